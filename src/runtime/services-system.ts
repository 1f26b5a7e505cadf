// The services side of postpay: the order ports with their real adapters and the Restate service
// endpoint. `npm run start:services` loads only this side (no Hono, console or Slack app code).
import type { Db } from "../../db/client.ts";
import { createServices } from "../../services/index.ts";
import { createEmailSender } from "../adapters/email.ts";
import { createFulfillmentClient } from "../adapters/fulfillment-center.ts";
import { createSlackPoster } from "../adapters/slack.ts";
import type { ServicesConfig } from "../process-config.ts";
import type { Logger } from "../log.ts";
import { createPorts } from "../wiring.ts";
import { startServiceEndpoint } from "./endpoint.ts";
import { createStripe } from "./stripe.ts";

/** The order ports with their real adapters. */
export function createSystemPorts(config: ServicesConfig, db: Db, log: Logger) {
  return createPorts({
    db,
    stripe: createStripe(config),
    centers: createFulfillmentClient({ timeoutMs: config.httpTimeoutMs }),
    email: createEmailSender({
      db,
      smtpUrl: config.smtpUrl,
      from: config.emailFrom,
      timeoutMs: config.httpTimeoutMs,
      log,
    }),
    slack: createSlackPoster({ url: config.slackWebhookUrl, timeoutMs: config.httpTimeoutMs, log }),
    publicUrl: config.publicUrl,
    restateAdminUrl: config.restateAdminUrl,
    supportEmail: config.supportEmail,
    slackSigningSecret: config.slackSigningSecret,
  });
}

/** The Restate service endpoint (HTTP/2). */
export function serveServices(config: ServicesConfig, db: Db, log: Logger, listen: { port: number; host?: string }) {
  if (config.identityOptOut)
    log.warn(
      { host: listen.host ?? "127.0.0.1" },
      "RESTATE_IDENTITY_KEYS=none: the service endpoint accepts unsigned invocations; something else must keep everyone but restate-server out",
    );
  const services = createServices(createSystemPorts(config, db, log), config);
  return startServiceEndpoint(services, {
    ...listen,
    log,
    identityKeys: config.identityKeys,
    version: config.version,
  });
}
