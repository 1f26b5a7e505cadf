// `npm run db:migrate`: applies the committed migrations (DATABASE_URL, or PGlite under the data dir).
import { boot, fail, openConfiguredDatabase } from "./common.ts";

const { env, log } = boot();
try {
  const database = await openConfiguredDatabase(env, log);
  await database.close();
  log.info("migrations applied");
} catch (err) {
  fail(log, err);
}
