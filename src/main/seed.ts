// `npm run db:seed -- FILE`: upserts a catalog file (centers, products, stock).
// With PGlite, stop `npm start` first: the embedded database has one owner process.
import path from "node:path";
import { DEMO_CATALOG_FILE, seedCatalog } from "../../db/seed.ts";
import { parseEnv } from "../config.ts";
import { log } from "../log.ts";
import { fail, openConfiguredDatabase } from "./common.ts";

try {
  const file = process.argv[2] ? path.resolve(process.argv[2]) : DEMO_CATALOG_FILE;
  const database = await openConfiguredDatabase(parseEnv());
  const catalog = await seedCatalog(database.db, file);
  await database.close();
  log.info("catalog seeded", { file: String(file), centers: catalog.centers.length, products: catalog.products.length });
} catch (err) {
  fail(err);
}
