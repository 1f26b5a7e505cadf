// `npm run start:services`: the Restate service endpoint on its own (HTTP/2, SERVICE_PORT).
import { parseEnv, required } from "../config.ts";
import { log } from "../log.ts";
import { serveServices } from "../runtime/system.ts";
import { fail, onShutdown, openConfiguredDatabase, systemConfig } from "./common.ts";

try {
  const env = parseEnv();
  const why = "the service endpoint runs on its own, without local stand-ins";
  required(env.DATABASE_URL, "DATABASE_URL", "separate processes must share one PostgreSQL database");
  const config = systemConfig(env, {
    stripeSecretKey: required(env.STRIPE_SECRET_KEY, "STRIPE_SECRET_KEY", why),
    stripeWebhookSecret: env.STRIPE_WEBHOOK_SECRET ?? "unused",
    adminToken: "unused",
  });
  const database = await openConfiguredDatabase(env);
  const endpoint = await serveServices(config, database.db, log, { port: env.SERVICE_PORT, host: env.SERVICE_HOST });
  log.info("restate service endpoint listening", { url: endpoint.url });
  onShutdown(async () => {
    await endpoint.close();
    await database.close();
  });
} catch (err) {
  fail(err);
}
