// The HTTP side of postpay: the Hono app served on node:http. `npm run start:http` loads only this
// side (no Restate SDK endpoint, no workflow code); it reaches the workflows through Restate's ingress.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Db } from "../../db/client.ts";
import { createRestateAdmin } from "../adapters/restate-admin.ts";
import { createOrderClient } from "../adapters/restate-ingress.ts";
import { DEFAULT_ADMIN_URL } from "../config.ts";
import { createVersionDirectory } from "../http/console/versions.ts";
import { createSlackResponder } from "../adapters/slack.ts";
import type { HttpConfig } from "../process-config.ts";
import { createApp } from "../http/app.ts";
import type { Logger } from "../log.ts";
import { createHttpMetrics } from "../telemetry/metrics.ts";
import { serveRegistry } from "../telemetry/metrics-server.ts";
import type { Tracing } from "../telemetry/tracing.ts";
import { createStripe } from "./stripe.ts";

/** The Hono HTTP app, served on node:http (and its own metrics on METRICS_PORT when set). */
export async function serveHttpApp(
  config: HttpConfig,
  db: Db,
  log: Logger,
  listen: { port: number; host?: string; tracing?: Tracing },
) {
  const metrics = createHttpMetrics();
  const restate = createOrderClient({ ingressUrls: config.restateIngressUrls, timeoutMs: config.httpTimeoutMs });
  const app = createApp({
    db,
    stripe: createStripe(config),
    orders: restate,
    shipments: restate,
    centerSecrets: config.centerWebhookSecrets,
    restateAdminUrl: config.restateAdminUrl,
    versions: createVersionDirectory(createRestateAdmin(config.restateAdminUrl ?? DEFAULT_ADMIN_URL), config.version),
    webhookSecret: config.stripeWebhookSecret,
    adminToken: config.adminToken,
    shopApiKey: config.shopApiKey,
    rateLimit: config.rateLimit,
    publicUrl: config.publicUrl,
    trustedProxies: config.trustedProxies,
    operators: config.operators,
    log,
    metrics,
    traceUrlTemplate: config.traceUrlTemplate,
    ...(config.slackSigningSecret && {
      slack: {
        signingSecret: config.slackSigningSecret,
        operatorIds: config.slackOperatorIds,
        respond: createSlackResponder({
          timeoutMs: config.httpTimeoutMs,
          log,
          allowedPrefix: config.slackResponseUrlPrefix,
        }),
      },
    }),
  });
  const host = listen.host ?? "127.0.0.1";
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: listen.port, hostname: host }, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const served =
    config.metricsPort === undefined ? undefined : await serveRegistry(metrics.registry, config.metricsPort, host);
  return {
    url: `http://${host}:${port}`,
    port,
    metricsUrl: served?.url,
    close: async () => {
      await served?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
