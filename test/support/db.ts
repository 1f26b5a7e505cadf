// A fresh, migrated database per test file: PGlite in memory by default, or a new database on
// the PostgreSQL server named by DATABASE_URL (dropped afterwards).
import { openDatabase, type Database } from "../../db/client.ts";
import { createScratchDatabase } from "../../db/scratch.ts";

export type TestDatabase = Database & { url?: string; drop(): Promise<void> };

export async function testDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const database = await openDatabase({ pgliteDir: "memory://" });
    await database.migrate();
    return { ...database, drop: () => database.close() };
  }
  const scratch = await createScratchDatabase(serverUrl, "postpay_test");
  const database = await openDatabase({ url: scratch.url });
  await database.migrate();
  return {
    ...database,
    url: scratch.url,
    async drop() {
      await database.close();
      await scratch.drop();
    },
  };
}
