// `npm run register`: registers the service endpoint (SERVICE_URL) with Restate (RESTATE_ADMIN_URL).
import { DEFAULT_ADMIN_URL, parseEnv } from "../config.ts";
import { log } from "../log.ts";
import { registerDeployment } from "../runtime/restate-server.ts";
import { fail } from "./common.ts";

try {
  const env = parseEnv();
  const adminUrl = env.RESTATE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const serviceUrl = process.env.SERVICE_URL ?? `http://127.0.0.1:${env.SERVICE_PORT}`;
  const id = await registerDeployment(adminUrl, serviceUrl, 120_000);
  log.info("deployment registered", { deploymentId: id, serviceUrl, adminUrl });
} catch (err) {
  fail(err);
}
