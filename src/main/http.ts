// `npm run start:http`: the Hono HTTP app on its own (HTTP_PORT), as HTTP_WORKERS processes. Only
// the HTTP side is loaded, and only where it serves (not in a primary that just keeps the workers).
import { httpConfig } from "../process-config.ts";
import { runServer } from "./common.ts";

await runServer(
  "http app",
  "postpay-http",
  (env) => env.HTTP_WORKERS,
  async (env, db, log, tracing) => {
    const { serveHttpApp } = await import("../runtime/http-system.ts");
    return serveHttpApp(httpConfig(env), db, log, { port: env.HTTP_PORT, host: env.HTTP_HOST, tracing });
  },
  httpConfig,
);
