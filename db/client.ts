// Connection factory: postgres-js when a DATABASE_URL is given, embedded PGlite otherwise.
// Both return the same Drizzle API, so repositories and tests do not care which one runs.
// Each driver is imported only when it is used: a process on PostgreSQL never loads PGlite.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DrizzleQueryError, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { DatabaseError } from "./errors.ts";
import { schema } from "./schema.ts";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** The rows of a raw `db.execute`: postgres-js returns them as the result, PGlite under `rows`. */
export const rowsOf = <T>(result: unknown): T[] =>
  (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];

export type Database = {
  db: Db;
  kind: "postgres" | "pglite";
  /** Applies the committed migrations (idempotent). */
  migrate(): Promise<void>;
  close(): Promise<void>;
};

export type DatabaseOptions =
  | { url: string; poolSize?: number }
  /** A directory for PGlite's files, or "memory://" for a throw-away database. */
  | { pgliteDir: string };

const migrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));

/**
 * The pool's limits (docs/operating.md, "The database is down"). While the database cannot be
 * reached every call must fail fast, so the HTTP app answers 503 at once and a step backs off:
 * - connect_timeout 2 s: an address that drops packets (a failover in progress, a partition) fails
 *   as CONNECT_TIMEOUT instead of hanging for postgres-js's default 30 s; a refused or reset
 *   connection fails at once anyway. Our own app and the database share a region: a healthy
 *   connect takes milliseconds, so 2 s is only ever reached by a database that is not answering.
 * - statement_timeout 5 s (server side): no statement of ours takes more than milliseconds; one
 *   stuck behind a lock or an overloaded server is cancelled (57014, treated as "unavailable")
 *   rather than holding a request or a step.
 * - idle_in_transaction_session_timeout 10 s: a transaction whose client vanished mid-way releases
 *   its row locks (stock rows!) instead of blocking every other order.
 * - idle_timeout 30 s, max_lifetime 10 min: idle sockets are not kept to a server that may have
 *   failed over, and every connection is renewed now and then (to the new primary).
 * - backoff at most 0.5 s: postgres-js waits this long before it connects again after a failed
 *   connection, growing to 20 s by default, and a query that needs that connection waits with it;
 *   a minute into an outage every request would hang 20 s before its 503, and the first ones
 *   after it up to 20 s more.
 * Migrations run on a connection of their own, without the statement timeout.
 */
const POOL = {
  connect_timeout: 2,
  idle_timeout: 30,
  max_lifetime: 10 * 60,
  backoff: (retries: number) => Math.min(0.1 * retries, 0.5),
  connection: { statement_timeout: 5_000, idle_in_transaction_session_timeout: 10_000 },
} as const;

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if ("url" in options) {
    const [{ default: postgres }, { drizzle: drizzlePostgres }, { migrate: migratePostgres }] = await Promise.all([
      import("postgres"),
      import("drizzle-orm/postgres-js"),
      import("drizzle-orm/postgres-js/migrator"),
    ]);
    const client = postgres(options.url, { ...POOL, max: options.poolSize ?? 10, onnotice: () => {} });
    const db = drizzlePostgres(client, { schema });
    markTransactionFailures(db);
    return {
      db: db as unknown as Db,
      kind: "postgres",
      async migrate() {
        const own = postgres(options.url, { connect_timeout: POOL.connect_timeout, max: 1, onnotice: () => {} });
        try {
          await migratePostgres(drizzlePostgres(own), { migrationsFolder });
        } finally {
          await own.end({ timeout: 5 });
        }
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (!options.pgliteDir.startsWith("memory://")) mkdirSync(options.pgliteDir, { recursive: true });
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("drizzle-orm/pglite"),
    import("drizzle-orm/pglite/migrator"),
  ]);
  const client = await PGlite.create(options.pgliteDir);
  const db = drizzlePglite(client, { schema });
  return {
    db: db as unknown as Db,
    kind: "pglite",
    migrate: () => migratePglite(db, { migrationsFolder }),
    close: () => client.close(),
  };
}

/**
 * postgres-js reports a failed BEGIN or COMMIT without Drizzle's DrizzleQueryError around it: such
 * a driver error (it has a code) is wrapped in DatabaseError, so isDatabaseUnavailable knows it
 * came from the database. What the transaction's own body throws (a domain error) passes as it is.
 */
function markTransactionFailures(db: { transaction: (...args: never[]) => Promise<unknown> }) {
  const transaction = db.transaction.bind(db);
  db.transaction = (async (...args: Parameters<typeof transaction>) => {
    try {
      return await transaction(...args);
    } catch (err) {
      const coded = typeof (err as { code?: unknown }).code === "string";
      throw coded && !(err instanceof DrizzleQueryError)
        ? new DatabaseError("transaction failed", { cause: err })
        : err;
    }
  }) as typeof db.transaction;
}

/** Readiness: whether the database answers a trivial query within `timeoutMs`. Never throws. */
export async function databaseAnswers(db: Db, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    const answer = db.execute(sql`select 1`).then(
      () => true,
      () => false,
    );
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}
