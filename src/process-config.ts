// What each process takes from the parsed environment (config.ts): the service endpoint's
// ServicesConfig and the HTTP app's HttpConfig. A process refuses to start without a value it
// needs, and never receives what only the other one uses.
import { BlockList, isIP } from "node:net";
import { ConfigError, required, type Env } from "./config.ts";
import type { Operator } from "./domain/operators.ts";
import { serviceVersion } from "./runtime/service-version.ts";

export type StripeConfig = { secretKey: string; apiBase?: string; shipToCountries: string[] };

/** What the Restate service endpoint needs. */
export type ServicesConfig = {
  /** This build's version, reported to Restate in every service's metadata. */
  version: string;
  /** Only restate-servers signing with these keys may call the endpoint; empty: anyone may. */
  identityKeys: string[];
  /** RESTATE_IDENTITY_KEYS=none: unsigned calls accepted on purpose (logged at warn). */
  identityOptOut: boolean;
  /** The Slack app's signing secret: the alerts' button values are signed with a key derived from it. */
  slackSigningSecret?: string;
  stripe: StripeConfig;
  slackWebhookUrl?: string;
  smtpUrl?: string;
  emailFrom: string;
  /** The support team's address: every incident is emailed there too. */
  supportEmail?: string;
  /** Base of links put in Slack alerts. */
  publicUrl: string;
  /** Named in the journal command of alerts when it is not the CLI's default. */
  restateAdminUrl?: string;
  httpTimeoutMs: number;
  steps: { maxAttempts: number; initialRetryMs: number; maxRetryMs: number; outageWaitMs?: number };
  escalation: { remindAfterMs: number };
  shipments: { deadlineMs: number };
  alerts: { minIntervalMs: number; maxBackoffMs: number };
  /** STUCK_ORDER_AFTER, and how often the sweeper looks. */
  stuckOrders: { stuckAfterMs: number; sweepEveryMs: number };
  /** METRICS_PORT: this process's metrics, on a private port; unset: not served. */
  metricsPort?: number;
};

/** What the HTTP app needs. */
export type HttpConfig = {
  /** This build's version, shown in the console's footer. */
  version: string;
  stripe: StripeConfig;
  stripeWebhookSecret: string;
  adminToken: string;
  shopApiKey: string;
  rateLimit: { limit: number; windowMs: number };
  /** Every node's ingress; the app fails over between them. */
  restateIngressUrls: string[];
  /** Named in the console's journal command and Restate UI link, when it is not the CLI's default. */
  restateAdminUrl?: string;
  publicUrl: string;
  httpTimeoutMs: number;
  /** Verifies POST /slack/interactions; unset: that route answers 404. */
  slackSigningSecret?: string;
  /** Slack user ids allowed to decide from Slack; "*": anyone in the channel. */
  slackOperatorIds: string[] | "*";
  /** response_urls outside this prefix are never called. */
  slackResponseUrlPrefix: string;
  /** Proxies whose X-Forwarded-For / -Proto are believed. */
  trustedProxies: string[];
  /** Operators who sign in to the console with their own tokens. */
  operators: Operator[];
  /** Per center id, the secret its shipment events are signed with (POST /webhooks/centers/:centerId). */
  centerWebhookSecrets: Record<string, string>;
  /** A trace viewer's URL with `{traceId}`: the console links each order to its trace. */
  traceUrlTemplate?: string;
  /** METRICS_PORT: this process's metrics, on a private port; unset: not served (GET /metrics still is). */
  metricsPort?: number;
};

const publicUrlOf = (env: Env) => env.PUBLIC_URL ?? `http://127.0.0.1:${env.HTTP_PORT}`;
const stripeOf = (env: Env, why: string): StripeConfig => ({
  secretKey: required(env.STRIPE_SECRET_KEY, "STRIPE_SECRET_KEY", why),
  apiBase: env.STRIPE_API_BASE,
  shipToCountries: env.SHIP_TO_COUNTRIES,
});

/** Slack allows one message per second per webhook; while it fails, retries back off to 5 min. */
export const SLACK_ALERT_PACE = { minIntervalMs: 1000, maxBackoffMs: 5 * 60_000 };

/** 127.0.0.0/8, ::1 and "localhost": the interfaces nothing outside this machine reaches. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");
export const isLoopback = (host: string) =>
  host === "localhost" || (isIP(host) !== 0 && LOOPBACK.check(host, isIP(host) === 6 ? "ipv6" : "ipv4"));

/** The sweeper looks five times per STUCK_ORDER_AFTER, at most once a minute, at least every 200 ms. */
export const stuckOrderPolicy = (stuckAfterMs: number) => ({
  stuckAfterMs,
  sweepEveryMs: Math.min(60_000, Math.max(200, Math.round(stuckAfterMs / 5))),
});

export function servicesConfig(env: Env): ServicesConfig {
  const identityOptOut = env.RESTATE_IDENTITY_KEYS === "none";
  const identityKeys = identityOptOut ? [] : (env.RESTATE_IDENTITY_KEYS as string[]);
  // Fail closed: an endpoint others can reach takes calls only from our restate-server.
  if (identityKeys.length === 0 && !identityOptOut && !isLoopback(env.SERVICE_HOST)) {
    throw new ConfigError(
      `RESTATE_IDENTITY_KEYS is required when SERVICE_HOST (${env.SERVICE_HOST}) is not loopback: without it anyone who reaches the endpoint can invoke every handler. Set it to restate-server's publickeyv1_… key (npm run identity-keys), or to "none" if something else authenticates restate-server.`,
    );
  }
  return {
    version: serviceVersion(env.SERVICE_VERSION),
    identityKeys,
    identityOptOut,
    slackSigningSecret: env.SLACK_SIGNING_SECRET,
    stripe: stripeOf(env, "the workflow verifies every payment with Stripe"),
    slackWebhookUrl: env.SLACK_WEBHOOK_URL,
    smtpUrl: env.SMTP_URL,
    emailFrom: env.EMAIL_FROM,
    supportEmail: env.SUPPORT_EMAIL,
    publicUrl: publicUrlOf(env),
    restateAdminUrl: env.RESTATE_ADMIN_URL,
    httpTimeoutMs: env.HTTP_TIMEOUT_MS,
    steps: {
      maxAttempts: env.STEP_MAX_ATTEMPTS,
      initialRetryMs: env.STEP_RETRY_INITIAL_MS,
      maxRetryMs: env.STEP_RETRY_MAX_MS,
    },
    escalation: { remindAfterMs: env.INCIDENT_REMIND_AFTER },
    shipments: { deadlineMs: env.SHIPMENT_DEADLINE },
    alerts: SLACK_ALERT_PACE,
    stuckOrders: stuckOrderPolicy(env.STUCK_ORDER_AFTER),
    metricsPort: env.METRICS_PORT,
  };
}

export function httpConfig(env: Env): HttpConfig {
  // Closed by default: with Slack's buttons on, who may click them is written down.
  if (env.SLACK_SIGNING_SECRET && env.SLACK_OPERATOR_IDS !== "*" && env.SLACK_OPERATOR_IDS.length === 0) {
    throw new ConfigError(
      "SLACK_OPERATOR_IDS is empty while SLACK_SIGNING_SECRET is set: list the Slack user ids allowed to decide orders (U0123ABCD,U0456EFGH), or write * to let anyone in the channel decide.",
    );
  }
  return {
    version: serviceVersion(env.SERVICE_VERSION),
    stripe: stripeOf(env, "checkout creates Stripe Checkout Sessions"),
    stripeWebhookSecret: required(env.STRIPE_WEBHOOK_SECRET, "STRIPE_WEBHOOK_SECRET", "it verifies Stripe's webhooks"),
    adminToken: required(env.ADMIN_TOKEN, "ADMIN_TOKEN", "it protects /admin/*"),
    shopApiKey: required(env.SHOP_API_KEY, "SHOP_API_KEY", "it protects /checkout and customer histories"),
    rateLimit: { limit: env.PUBLIC_RATE_LIMIT, windowMs: 60_000 },
    restateIngressUrls: env.RESTATE_INGRESS_URL,
    restateAdminUrl: env.RESTATE_ADMIN_URL,
    publicUrl: publicUrlOf(env),
    httpTimeoutMs: env.HTTP_TIMEOUT_MS,
    slackSigningSecret: env.SLACK_SIGNING_SECRET,
    slackOperatorIds: env.SLACK_OPERATOR_IDS,
    slackResponseUrlPrefix: env.SLACK_RESPONSE_URL_PREFIX,
    trustedProxies: env.TRUSTED_PROXIES,
    operators: env.OPERATORS,
    centerWebhookSecrets: env.CENTER_WEBHOOK_SECRETS,
    traceUrlTemplate: env.TRACE_URL_TEMPLATE,
    metricsPort: env.METRICS_PORT,
  };
}
