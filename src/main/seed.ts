// `npm run db:seed -- FILE`: upserts a catalog file (centers, products, stock).
// With PGlite, stop `npm start` first: the embedded database has one owner process.
import path from "node:path";
import { DEMO_CATALOG_FILE, seedCatalog } from "../../db/seed.ts";
import { boot, fail, openConfiguredDatabase } from "./common.ts";

const { env, log } = boot();
try {
  const file = process.argv[2] ? path.resolve(process.argv[2]) : DEMO_CATALOG_FILE;
  const database = await openConfiguredDatabase(env, log);
  const catalog = await seedCatalog(database.db, file);
  await database.close();
  log.info(
    { file: String(file), centers: catalog.centers.length, products: catalog.products.length },
    "catalog seeded",
  );
} catch (err) {
  fail(log, err);
}
