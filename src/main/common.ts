// Shared start-up for the entry points: configuration and logger, database, shutdown.
import cluster from "node:cluster";
import path from "node:path";
import { openDatabase, type Database } from "../../db/client.ts";
import type { Db } from "../../db/client.ts";
import { parseEnv, required, type Env } from "../config.ts";
import { createLogger, type Logger } from "../log.ts";
import { serveClusterMetrics } from "../telemetry/metrics-server.ts";
import { startTracing, type ProcessName, type Tracing } from "../telemetry/tracing.ts";
import { runWorkers } from "./workers.ts";

/** Parses the environment once and builds the logger it configures; exits on a bad value. */
export function boot(): { env: Env; log: Logger } {
  try {
    const env = parseEnv();
    return { env, log: createLogger({ level: env.LOG_LEVEL }) };
  } catch (err) {
    return fail(createLogger(), err);
  }
}

/** Postgres when DATABASE_URL is set, else the embedded PGlite under the data dir; migrated unless told. */
export async function openConfiguredDatabase(env: Env, log: Logger, { migrate = true } = {}): Promise<Database> {
  const pgliteDir = path.join(env.POSTPAY_DATA_DIR, "pglite");
  const database = env.DATABASE_URL ? await openDatabase({ url: env.DATABASE_URL }) : await openDatabase({ pgliteDir });
  if (migrate) await database.migrate();
  log.info({ kind: database.kind, location: env.DATABASE_URL ? "DATABASE_URL" : pgliteDir }, "database ready");
  return database;
}

/** Runs `stop` once on SIGINT/SIGTERM, then exits. */
export function onShutdown(log: Logger, stop: () => Promise<void>) {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    stop()
      .catch((err) => log.error({ err }, "shutdown failed"))
      .finally(() => process.exit(0));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}

/** Entry points end here on a start-up error: one clear line, exit code 1. */
export function fail(log: Logger, err: unknown): never {
  log.error({ err }, "start-up failed");
  process.exit(1);
}

/**
 * A deployed process (start:services, start:http): shares PostgreSQL with the other one, runs as
 * `workers` processes on one port, serves until SIGINT/SIGTERM, then closes its server and the
 * database.
 */
export async function runServer(
  what: string,
  name: ProcessName,
  workersOf: (env: Env) => number,
  serve: (env: Env, db: Db, log: Logger, tracing?: Tracing) => Promise<{ url: string; close(): Promise<void> }>,
  /** The process's own configuration, checked before anything starts: a refusal exits 1 at once. */
  check: (env: Env) => unknown = () => undefined,
): Promise<void> {
  const { env, log: bootLog } = boot();
  let log = bootLog;
  const workers = workersOf(env);
  try {
    check(env);
    required(env.DATABASE_URL, "DATABASE_URL", "separate processes must share one PostgreSQL database");
    // Migrations run once, before any worker starts: two migrators at once would collide.
    if (cluster.isPrimary) await (await openConfiguredDatabase(env, log)).close();
    // With workers, METRICS_PORT is the primary's: it serves the sum of the workers' metrics.
    if (cluster.isPrimary && workers > 1 && env.METRICS_PORT !== undefined)
      await serveClusterMetrics(env.METRICS_PORT, name === "postpay-http" ? env.HTTP_HOST : env.SERVICE_HOST);
  } catch (err) {
    fail(log, err);
  }
  await runWorkers(workers, log, async () => {
    try {
      // Before the app's modules load: their HTTP clients and servers are then instrumented.
      const tracing = await startTracing(name);
      if (tracing) log = createLogger({ level: env.LOG_LEVEL, mixin: tracing.logFields });
      const database = await openConfiguredDatabase(env, log, { migrate: false });
      tracing?.instrumentDb(database.db);
      const server = await serve(env, database.db, log, tracing);
      log.info({ url: server.url, tracing: Boolean(tracing) }, `${what} listening`);
      onShutdown(log, async () => {
        await server.close();
        await database.close();
        await tracing?.shutdown();
      });
    } catch (err) {
      fail(log, err);
    }
  });
}
