// Shared start-up for the entry points: configuration, database, shutdown.
import path from "node:path";
import { openDatabase, type Database } from "../../db/client.ts";
import { DEFAULT_ADMIN_URL, DEFAULT_INGRESS_URL, stepPolicyFrom, type Env } from "../config.ts";
import { log } from "../log.ts";
import type { SystemConfig } from "../runtime/system.ts";

export const DATA_DIR = path.resolve(process.env.POSTPAY_DATA_DIR ?? ".data");

/** Postgres when DATABASE_URL is set, else the embedded PGlite under .data/; always migrated. */
export async function openConfiguredDatabase(env: Env): Promise<Database> {
  const database = env.DATABASE_URL
    ? await openDatabase({ url: env.DATABASE_URL })
    : await openDatabase({ pgliteDir: path.join(DATA_DIR, "pglite") });
  await database.migrate();
  log.info("database ready", { kind: database.kind, location: env.DATABASE_URL ? "DATABASE_URL" : path.join(DATA_DIR, "pglite") });
  return database;
}

export function systemConfig(env: Env, resolved: Partial<SystemConfig> & Pick<SystemConfig, "stripeSecretKey" | "stripeWebhookSecret" | "adminToken">): SystemConfig {
  return {
    stripeApiBase: env.STRIPE_API_BASE,
    slackWebhookUrl: env.SLACK_WEBHOOK_URL,
    smtpUrl: env.SMTP_URL,
    emailFrom: env.EMAIL_FROM,
    restateIngressUrl: env.RESTATE_INGRESS_URL ?? DEFAULT_INGRESS_URL,
    restateAdminUrl: env.RESTATE_ADMIN_URL ?? DEFAULT_ADMIN_URL,
    publicUrl: env.PUBLIC_URL ?? `http://127.0.0.1:${env.HTTP_PORT}`,
    httpTimeoutMs: env.HTTP_TIMEOUT_MS,
    steps: stepPolicyFrom(env),
    ...resolved,
  };
}

/** Runs `stop` once on SIGINT/SIGTERM, then exits. */
export function onShutdown(stop: () => Promise<void>) {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    stop()
      .catch((err) => log.error("shutdown failed", { error: err }))
      .finally(() => process.exit(0));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}

/** Entry points end here on a start-up error: one clear line, exit code 1. */
export function fail(err: unknown): never {
  log.error("start-up failed", { error: err });
  process.exit(1);
}
