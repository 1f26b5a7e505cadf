// `npm run register`: registers the service endpoint (SERVICE_URL) with Restate (RESTATE_ADMIN_URL),
// then starts the stuck-order sweeper (RESTATE_INGRESS_URL) unless it is already going.
import { DEFAULT_ADMIN_URL } from "../config.ts";
import { registerDeployment, startStuckOrderWatch } from "../adapters/restate-admin.ts";
import { boot, fail } from "./common.ts";

const { env, log } = boot();
try {
  const adminUrl = env.RESTATE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const serviceUrl = env.SERVICE_URL ?? `http://127.0.0.1:${env.SERVICE_PORT}`;
  const id = await registerDeployment(adminUrl, serviceUrl, 120_000);
  log.info({ deploymentId: id, serviceUrl, adminUrl }, "deployment registered");
  await startStuckOrderWatch(env.RESTATE_INGRESS_URL[0]!);
} catch (err) {
  fail(log, err);
}
