// `npm run start:http`: the Hono HTTP app on its own (HTTP_PORT).
import { parseEnv, required } from "../config.ts";
import { log } from "../log.ts";
import { serveHttpApp } from "../runtime/system.ts";
import { fail, onShutdown, openConfiguredDatabase, systemConfig } from "./common.ts";

try {
  const env = parseEnv();
  const why = "the HTTP app runs on its own, without local stand-ins";
  required(env.DATABASE_URL, "DATABASE_URL", "separate processes must share one PostgreSQL database");
  const config = systemConfig(env, {
    stripeSecretKey: required(env.STRIPE_SECRET_KEY, "STRIPE_SECRET_KEY", why),
    stripeWebhookSecret: required(env.STRIPE_WEBHOOK_SECRET, "STRIPE_WEBHOOK_SECRET", why),
    adminToken: required(env.ADMIN_TOKEN, "ADMIN_TOKEN", "it protects /admin/*"),
  });
  const database = await openConfiguredDatabase(env);
  const server = await serveHttpApp(config, database.db, log, { port: env.HTTP_PORT, host: env.HTTP_HOST });
  log.info("http app listening", { url: server.url });
  onShutdown(async () => {
    await server.close();
    await database.close();
  });
} catch (err) {
  fail(err);
}
