// What each process takes from the parsed environment (config.ts): the service endpoint's
// ServicesConfig and the HTTP app's HttpConfig. A process refuses to start without a value it
// needs, and never receives what only the other one uses.
import { required, type Env } from "./config.ts";

export type StripeConfig = { secretKey: string; apiBase?: string; shipToCountries: string[] };

/** What the Restate service endpoint needs. */
export type ServicesConfig = {
  /** Only restate-servers signing with these keys may call the endpoint; empty: anyone may. */
  identityKeys: string[];
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
  steps: { maxAttempts: number; initialRetryMs: number; maxRetryMs: number };
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
  /** Slack user ids allowed to decide from Slack; empty: anyone in the channel. */
  slackOperatorIds: string[];
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

/** The sweeper looks five times per STUCK_ORDER_AFTER, at most once a minute, at least every 200 ms. */
export const stuckOrderPolicy = (stuckAfterMs: number) => ({
  stuckAfterMs,
  sweepEveryMs: Math.min(60_000, Math.max(200, Math.round(stuckAfterMs / 5))),
});

export function servicesConfig(env: Env): ServicesConfig {
  return {
    identityKeys: env.RESTATE_IDENTITY_KEYS,
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
  return {
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
    centerWebhookSecrets: env.CENTER_WEBHOOK_SECRETS,
    traceUrlTemplate: env.TRACE_URL_TEMPLATE,
    metricsPort: env.METRICS_PORT,
  };
}
