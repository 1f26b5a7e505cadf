// `npm run start:services`: the Restate service endpoint on its own (HTTP/2, SERVICE_PORT), as
// SERVICE_WORKERS processes sharing the port.
import { servicesConfig } from "../config.ts";
import { serveServices } from "../runtime/system.ts";
import { runServer } from "./common.ts";

await runServer(
  "restate service endpoint",
  (env) => env.SERVICE_WORKERS,
  (env, db, log) => serveServices(servicesConfig(env), db, log, { port: env.SERVICE_PORT, host: env.SERVICE_HOST }),
);
