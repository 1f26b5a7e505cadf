// Builds postpay's parts from configuration. Entry points (npm start, start:services, start:http),
// the tests and the benchmark all assemble the system through these functions.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Db } from "../../db/client.ts";
import { createServices } from "../../services/index.ts";
import { createEmailSender } from "../adapters/email.ts";
import { createFulfillmentClient } from "../adapters/fulfillment-center.ts";
import { createOrderClient } from "../adapters/restate-ingress.ts";
import { createSlackPoster, createSlackResponder } from "../adapters/slack.ts";
import { createStripeClient, createStripeGateway } from "../adapters/stripe.ts";
import type { HttpConfig, ServicesConfig, StripeConfig } from "../config.ts";
import { createApp } from "../http/app.ts";
import type { Logger } from "../log.ts";
import { createPorts } from "../wiring.ts";
import { startServiceEndpoint } from "./endpoint.ts";

export function createStripe(config: { stripe: StripeConfig; httpTimeoutMs: number }) {
  return createStripeGateway(createStripeClient({ ...config.stripe, timeoutMs: config.httpTimeoutMs }));
}

/** The order ports with their real adapters. */
export function createSystemPorts(config: ServicesConfig, db: Db, log: Logger) {
  return createPorts({
    db,
    stripe: createStripe(config),
    centers: createFulfillmentClient({ timeoutMs: config.httpTimeoutMs }),
    email: createEmailSender({ db, smtpUrl: config.smtpUrl, from: config.emailFrom, timeoutMs: config.httpTimeoutMs, log }),
    slack: createSlackPoster({ url: config.slackWebhookUrl, timeoutMs: config.httpTimeoutMs, log }),
    publicUrl: config.publicUrl,
    restateAdminUrl: config.restateAdminUrl,
  });
}

/** The Restate service endpoint (HTTP/2). */
export function serveServices(config: ServicesConfig, db: Db, log: Logger, listen: { port: number; host?: string }) {
  const services = createServices(createSystemPorts(config, db, log), config);
  return startServiceEndpoint(services, { ...listen, log, identityKeys: config.identityKeys });
}

/** The Hono HTTP app, served on node:http. */
export async function serveHttpApp(config: HttpConfig, db: Db, log: Logger, listen: { port: number; host?: string }) {
  const app = createApp({
    db,
    stripe: createStripe(config),
    orders: createOrderClient({ ingressUrls: config.restateIngressUrls, timeoutMs: config.httpTimeoutMs }),
    restateAdminUrl: config.restateAdminUrl,
    webhookSecret: config.stripeWebhookSecret,
    adminToken: config.adminToken,
    shopApiKey: config.shopApiKey,
    rateLimit: config.rateLimit,
    publicUrl: config.publicUrl,
    log,
    ...(config.slackSigningSecret && {
      slack: {
        signingSecret: config.slackSigningSecret,
        operatorIds: config.slackOperatorIds,
        respond: createSlackResponder({ timeoutMs: config.httpTimeoutMs, log }),
      },
    }),
  });
  const host = listen.host ?? "127.0.0.1";
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: listen.port, hostname: host }, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
