// `npm run start:http`: the Hono HTTP app on its own (HTTP_PORT), as HTTP_WORKERS processes.
import { httpConfig } from "../config.ts";
import { serveHttpApp } from "../runtime/system.ts";
import { runServer } from "./common.ts";

await runServer(
  "http app",
  (env) => env.HTTP_WORKERS,
  (env, db, log) => serveHttpApp(httpConfig(env), db, log, { port: env.HTTP_PORT, host: env.HTTP_HOST }),
);
