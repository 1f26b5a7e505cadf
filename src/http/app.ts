// The HTTP app: one router per surface, each with its one rightful caller and lock (README,
// "Threat model"). Routes are thin: verify, map, hand off, answer; errors map to statuses in
// errors.ts. Built by a factory so tests and entry points wire it with the same real adapters.
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Db } from "../../db/client.ts";
import type { OrderClient, ShipmentClient } from "../adapters/restate-ingress.ts";
import type { StripeGateway } from "../adapters/stripe.ts";
import type { Operator } from "../domain/operators.ts";
import type { Logger } from "../log.ts";
import type { HttpMetrics } from "../telemetry/metrics.ts";
import { adminRoutes } from "./admin.ts";
import { centerWebhookRoutes } from "./center-webhook.ts";
import { consoleRoutes } from "./console/index.ts";
import type { VersionDirectory } from "./console/versions.ts";
import { ApiError, ERROR_STATUS, errorBody, RETRY_AFTER, toApiError } from "./errors.ts";
import { identifyClient } from "./client.ts";
import { healthRoutes } from "./health.ts";
import { failureCounter, TOKEN_FAILURES, type RateLimit } from "./middleware.ts";
import { countWebhooks, metricsRoutes } from "./metrics.ts";
import { orderRoutes } from "./orders.ts";
import { shopRoutes } from "./shop.ts";
import { slackRoutes, type SlackInteractions } from "./slack.ts";
import { stripeWebhookRoutes } from "./stripe-webhook.ts";

export type AppDeps = {
  db: Db;
  stripe: StripeGateway;
  orders: OrderClient;
  webhookSecret: string;
  adminToken: string;
  shopApiKey: string;
  publicUrl: string;
  /** Restate's admin URL, for the console's journal command and UI link; the CLI's default when unset. */
  restateAdminUrl?: string;
  /** Which version of the services ran what, for the console's footer and order pages. */
  versions?: VersionDirectory;
  /** Per client on anonymous routes (the order page, the webhook before its signature is checked). */
  rateLimit: RateLimit;
  log: Logger;
  /** Decisions from Slack's buttons (POST /slack/interactions); without it that route answers 404. */
  slack?: SlackInteractions;
  /** The way to the Shipments objects (center events, shipment decisions); without it centers have no event route. */
  shipments?: ShipmentClient;
  /** Per center id, the secret its shipment events are signed with (CENTER_WEBHOOK_SECRETS). */
  centerSecrets?: Readonly<Record<string, string>>;
  /** TRUSTED_PROXIES: the proxies whose X-Forwarded-For / -Proto are believed; none: the peer is the client. */
  trustedProxies?: readonly string[];
  /** OPERATORS: each operator's name and the SHA-256 (hex) of their console token. */
  operators?: readonly Operator[];
  /** This process's counters; with them, GET /metrics (admin bearer) serves them and the business gauges. */
  metrics?: HttpMetrics;
  /** TRACE_URL_TEMPLATE: the console links each order to its trace. */
  traceUrlTemplate?: string;
};

export function createApp(deps: AppDeps) {
  const { log } = deps;
  const app = new Hono();

  app.onError((err, c) => {
    // A middleware's own answer (bearerAuth's 401 with WWW-Authenticate) goes out as it is.
    if (err instanceof HTTPException && err.res) return err.getResponse();
    const apiError = toApiError(err);
    const status = ERROR_STATUS[apiError.code];
    if (status >= 500)
      log.error({ method: c.req.method, path: c.req.path, err, cause: (err as Error).cause }, "request failed");
    else if (apiError.code === "payment_rejected")
      log.warn({ path: c.req.path, cause: (err as Error).cause }, "Stripe rejected a checkout");
    // Refused before its body was read: the rest of it is still on the socket, so the socket must
    // not carry another request (a client reusing it would see "other side closed").
    if (apiError.code === "payload_too_large") c.header("Connection", "close");
    const retryAfter = RETRY_AFTER[apiError.code];
    if (retryAfter) c.header("Retry-After", String(retryAfter));
    return c.json(errorBody(apiError), status);
  });
  app.notFound((c) => c.json(errorBody(new ApiError("not_found", `no route ${c.req.method} ${c.req.path}`)), 404));

  // Every per-client limit is keyed by the client this finds; one failure count for every token lock.
  app.use("*", identifyClient(deps.trustedProxies ?? []));
  const tokenFailures = failureCounter(TOKEN_FAILURES);

  app.route("/", healthRoutes(deps));
  if (deps.metrics) {
    app.use("/webhooks/*", countWebhooks(deps.metrics));
    app.route("/", metricsRoutes({ ...deps, metrics: deps.metrics, tokenFailures }));
  }
  app.route("/", stripeWebhookRoutes(deps));
  if (deps.shipments)
    app.route(
      "/",
      centerWebhookRoutes({ ...deps, shipments: deps.shipments, centerSecrets: deps.centerSecrets ?? {} }),
    );
  app.route("/", orderRoutes(deps));
  app.route("/admin", adminRoutes({ ...deps, tokenFailures }));
  app.route("/console", consoleRoutes({ ...deps, tokenFailures }));
  app.route("/", shopRoutes({ ...deps, tokenFailures }));
  app.route("/", slackRoutes(deps));
  return app;
}
