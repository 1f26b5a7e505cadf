// `npm run db:migrate`: applies the committed migrations (DATABASE_URL, or PGlite under .data/).
import { parseEnv } from "../config.ts";
import { log } from "../log.ts";
import { fail, openConfiguredDatabase } from "./common.ts";

try {
  const database = await openConfiguredDatabase(parseEnv());
  await database.close();
  log.info("migrations applied");
} catch (err) {
  fail(err);
}
