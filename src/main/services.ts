// `npm run start:services`: the Restate service endpoint on its own (HTTP/2, SERVICE_PORT), as
// SERVICE_WORKERS processes sharing the port. Only the services side is loaded, and only where it
// serves: a primary that just keeps the workers running never loads it.
import { servicesConfig } from "../process-config.ts";
import { runServer } from "./common.ts";

await runServer(
  "restate service endpoint",
  "postpay-services",
  (env) => env.SERVICE_WORKERS,
  async (env, db, log, tracing) => {
    const { serveServices } = await import("../runtime/services-system.ts");
    return serveServices(servicesConfig(env), db, log, { port: env.SERVICE_PORT, host: env.SERVICE_HOST, tracing });
  },
  servicesConfig,
);
