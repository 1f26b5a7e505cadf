// A fresh database for one harness run (dev/harness.ts), migrated and holding the run's catalog.
import path from "node:path";
import { upsertCatalog } from "../db/catalog.ts";
import type { Catalog } from "../src/domain/catalog.ts";
import { openDatabase, type Database, type DatabaseOptions, type Db } from "../db/client.ts";
import { createScratchDatabase } from "./scratch-database.ts";

export type RunDatabase = {
  postgresUrl?: string;
  /** How an app child process finds it: DATABASE_URL, or the directory for its own PGlite. */
  env: Record<string, string>;
  /** PGlite files an app child process owns: this process may open them only once that one stops. */
  ownedByApp: boolean;
  open(): Promise<Db>;
};

/**
 * A fresh, migrated database holding the catalog: a scratch database on a PostgreSQL server; or
 * PGlite, in memory for an app in this process, or as files for an app child process (seeded
 * here, then closed: PGlite has one owner process).
 */
export async function prepareDatabase(
  where: { postgres?: string; label: string; dir: string; inMemory: boolean },
  catalog: Catalog,
  /** Called with each step that close must run (last first). */
  onClose: (step: () => unknown) => void,
): Promise<RunDatabase> {
  const fill = async (database: Database) => {
    await database.migrate();
    await upsertCatalog(database.db, catalog);
  };
  const openFilled = async (options: DatabaseOptions) => {
    const database = await openDatabase(options);
    onClose(() => database.close());
    await fill(database);
    return database.db;
  };
  if (where.postgres) {
    const scratch = await createScratchDatabase(where.postgres, `postpay_${where.label}`);
    onClose(() => scratch.drop());
    const db = await openFilled({ url: scratch.url });
    return { postgresUrl: scratch.url, env: { DATABASE_URL: scratch.url }, ownedByApp: false, open: async () => db };
  }
  if (where.inMemory) {
    const db = await openFilled({ pgliteDir: "memory://" });
    return { env: {}, ownedByApp: false, open: async () => db };
  }
  const dataDir = path.join(where.dir, "data");
  const pgliteDir = path.join(dataDir, "pglite"); // where src/main/common.ts puts it under POSTPAY_DATA_DIR
  const seed = await openDatabase({ pgliteDir });
  await fill(seed).finally(() => seed.close());
  let reopened: Database | undefined;
  onClose(() => reopened?.close());
  return {
    env: { DATABASE_URL: "", POSTPAY_DATA_DIR: dataDir },
    ownedByApp: true,
    async open() {
      reopened ??= await openDatabase({ pgliteDir });
      return reopened.db;
    },
  };
}
