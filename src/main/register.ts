// `npm run register`: registers the service endpoint (SERVICE_URL) with Restate (RESTATE_ADMIN_URL).
import { DEFAULT_ADMIN_URL } from "../config.ts";
import { registerDeployment } from "../adapters/restate-admin.ts";
import { boot, fail } from "./common.ts";

const { env, log } = boot();
try {
  const adminUrl = env.RESTATE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const serviceUrl = env.SERVICE_URL ?? `http://127.0.0.1:${env.SERVICE_PORT}`;
  const id = await registerDeployment(adminUrl, serviceUrl, 120_000);
  log.info({ deploymentId: id, serviceUrl, adminUrl }, "deployment registered");
} catch (err) {
  fail(log, err);
}
