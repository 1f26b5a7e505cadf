// The services side of postpay: the order ports with their real adapters and the Restate service
// endpoint. `npm run start:services` loads only this side (no Hono, console or Slack app code).
import type { Db } from "../../db/client.ts";
import { createServices } from "../../services/index.ts";
import { createEmailSender } from "../adapters/email.ts";
import { createFulfillmentClient } from "../adapters/fulfillment-center.ts";
import { createSlackPoster } from "../adapters/slack.ts";
import type { ServicesConfig } from "../process-config.ts";
import type { Logger } from "../log.ts";
import { createServiceMetrics, type ServiceMetrics } from "../telemetry/metrics.ts";
import { serveRegistry } from "../telemetry/metrics-server.ts";
import type { Tracing } from "../telemetry/tracing.ts";
import { createPorts } from "../wiring.ts";
import { startServiceEndpoint } from "./endpoint.ts";
import { createStripe } from "./stripe.ts";

/** The order ports with their real adapters, each call to an outside system counted and timed. */
export function createSystemPorts(
  config: ServicesConfig,
  db: Db,
  log: Logger,
  metrics: Pick<ServiceMetrics, "measure"> = createServiceMetrics(),
) {
  const { measure } = metrics;
  return createPorts({
    db,
    stripe: measure("stripe", createStripe(config)),
    centers: measure("center", createFulfillmentClient({ timeoutMs: config.httpTimeoutMs })),
    email: measure(
      "smtp",
      createEmailSender({ db, smtpUrl: config.smtpUrl, from: config.emailFrom, timeoutMs: config.httpTimeoutMs, log }),
    ),
    slack: measure("slack", createSlackPoster({ url: config.slackWebhookUrl, timeoutMs: config.httpTimeoutMs, log })),
    publicUrl: config.publicUrl,
    restateAdminUrl: config.restateAdminUrl,
    supportEmail: config.supportEmail,
    slackSigningSecret: config.slackSigningSecret,
  });
}

/**
 * The Restate service endpoint (HTTP/2), and its metrics on METRICS_PORT when set (the in-process
 * test harness asks for a free port with 0). `metricsUrl` says where they are.
 */
export async function serveServices(
  config: ServicesConfig,
  db: Db,
  log: Logger,
  { tracing, ...listen }: { port: number; host?: string; tracing?: Tracing },
) {
  if (config.identityOptOut)
    log.warn(
      { host: listen.host ?? "127.0.0.1" },
      "RESTATE_IDENTITY_KEYS=none: the service endpoint accepts unsigned invocations; something else must keep everyone but restate-server out",
    );
  const metrics = createServiceMetrics();
  const services = createServices(createSystemPorts(config, db, log, metrics), config);
  const hooks = [...(tracing?.restateHooks ?? []), metrics.stepHooks];
  const endpoint = await startServiceEndpoint(services, {
    ...listen,
    log,
    identityKeys: config.identityKeys,
    version: config.version,
    hooks,
  });
  const host = listen.host ?? "127.0.0.1";
  const served =
    config.metricsPort === undefined ? undefined : await serveRegistry(metrics.registry, config.metricsPort, host);
  return {
    ...endpoint,
    metricsUrl: served?.url,
    close: async () => {
      await served?.close();
      await endpoint.close();
    },
  };
}
