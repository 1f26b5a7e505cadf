// `npm run start:services`: the Restate service endpoint on its own (HTTP/2, SERVICE_PORT).
import { servicesConfig } from "../config.ts";
import { serveServices } from "../runtime/system.ts";
import { runServer } from "./common.ts";

await runServer("restate service endpoint", (env, db, log) =>
  serveServices(servicesConfig(env), db, log, { port: env.SERVICE_PORT, host: env.SERVICE_HOST }),
);
