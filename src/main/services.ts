// `npm run start:services`: the Restate service endpoint on its own (HTTP/2, SERVICE_PORT).
import { required, servicesConfig } from "../config.ts";
import { serveServices } from "../runtime/system.ts";
import { boot, fail, onShutdown, openConfiguredDatabase } from "./common.ts";

const { env, log } = boot();
try {
  required(env.DATABASE_URL, "DATABASE_URL", "separate processes must share one PostgreSQL database");
  const config = servicesConfig(env);
  const database = await openConfiguredDatabase(env, log);
  const endpoint = await serveServices(config, database.db, log, { port: env.SERVICE_PORT, host: env.SERVICE_HOST });
  log.info({ url: endpoint.url }, "restate service endpoint listening");
  onShutdown(log, async () => {
    await endpoint.close();
    await database.close();
  });
} catch (err) {
  fail(log, err);
}
