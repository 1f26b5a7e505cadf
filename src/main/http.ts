// `npm run start:http`: the Hono HTTP app on its own (HTTP_PORT).
import { httpConfig, required } from "../config.ts";
import { serveHttpApp } from "../runtime/system.ts";
import { boot, fail, onShutdown, openConfiguredDatabase } from "./common.ts";

const { env, log } = boot();
try {
  required(env.DATABASE_URL, "DATABASE_URL", "separate processes must share one PostgreSQL database");
  const config = httpConfig(env);
  const database = await openConfiguredDatabase(env, log);
  const server = await serveHttpApp(config, database.db, log, { port: env.HTTP_PORT, host: env.HTTP_HOST });
  log.info({ url: server.url }, "http app listening");
  onShutdown(log, async () => {
    await server.close();
    await database.close();
  });
} catch (err) {
  fail(log, err);
}
