// Configuration: every environment variable postpay reads, parsed once at start-up into typed
// options. Each process then takes only the part it needs (servicesConfig, httpConfig).
import path from "node:path";
import bs58 from "bs58";
import { z } from "zod";
import { LOG_LEVELS } from "./log.ts";

export const DEFAULT_INGRESS_URL = "http://127.0.0.1:8080";
export const DEFAULT_ADMIN_URL = "http://127.0.0.1:9070";

const blankIsUnset = (v: unknown) => (v === "" ? undefined : v);
const optionalString = z.preprocess(blankIsUnset, z.string().optional());
const optionalUrl = z.preprocess(blankIsUnset, z.url().optional());
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** "90s", "15m", "1h", "2d" (or "500ms") → milliseconds. */
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration like "90s", "15m" or "1h"')
  .transform((v) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(v)!;
    return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  })
  .pipe(z.number().int().positive());
const decodedLength = (base58: string) => {
  try {
    return bs58.decode(base58).length;
  } catch {
    return -1;
  }
};

/** "fc-east=secret1,fc-west=secret2" → { "fc-east": "secret1", … }; each secret at least 24 characters. */
const centerSecrets = z
  .string()
  .transform((v) => v.split(",").map((pair) => pair.trim()).filter(Boolean).map((pair) => {
    const at = pair.indexOf("=");
    return at < 0 ? ["", ""] : [pair.slice(0, at), pair.slice(at + 1)];
  }))
  .pipe(
    z
      .array(z.tuple([z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, "each entry must be centerId=secret"), z.string().min(24, "each center secret must be at least 24 characters")]))
      .refine((pairs) => new Set(pairs.map(([id]) => id)).size === pairs.length, "a center is named twice"),
  )
  .transform((pairs): Record<string, string> => Object.fromEntries(pairs));

const EnvSchema = z.object({
  DATABASE_URL: optionalString,
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_API_BASE: optionalUrl,
  STRIPE_WEBHOOK_SECRET: optionalString.refine((v) => v === undefined || v.startsWith("whsec_"), {
    message: "must start with whsec_",
  }),
  SLACK_WEBHOOK_URL: optionalUrl,
  // Slack's interactions (the decision buttons): the app's signing secret, and who may click.
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_OPERATOR_IDS: z.preprocess(
    blankIsUnset,
    z
      .string()
      .default("")
      .transform((v) => v.split(",").map((id) => id.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, "each id must be a Slack user id like U0123ABCD"))),
  ),
  SMTP_URL: optionalString.refine((v) => v === undefined || /^smtps?:\/\//.test(v), {
    message: "must look like smtp://host:port",
  }),
  EMAIL_FROM: z.preprocess(blankIsUnset, z.string().default("postpay <orders@postpay.localhost>")),
  // One URL, or several (the nodes of a cluster), comma-separated: the app fails over between them.
  RESTATE_INGRESS_URL: z.preprocess(
    blankIsUnset,
    z
      .string()
      .default(DEFAULT_INGRESS_URL)
      .transform((v) => v.split(",").map((u) => u.trim()).filter(Boolean))
      .pipe(z.array(z.url()).min(1)),
  ),
  RESTATE_ADMIN_URL: optionalUrl,
  HTTP_PORT: port(3000),
  SERVICE_PORT: port(9080),
  // Worker processes sharing each port (Node's cluster module); a dead worker is started again.
  SERVICE_WORKERS: positiveInt(1),
  HTTP_WORKERS: positiveInt(1),
  // Interfaces to listen on: loopback by default; containers set 0.0.0.0.
  HTTP_HOST: z.string().default("127.0.0.1"),
  SERVICE_HOST: z.string().default("127.0.0.1"),
  // Request identity: the publickeyv1_… keys whose restate-server may call the service endpoint.
  RESTATE_IDENTITY_KEYS: z.preprocess(
    blankIsUnset,
    z
      .string()
      .default("")
      .transform((v) => v.split(",").map((k) => k.trim()).filter(Boolean))
      .pipe(
        z.array(
          z
            .string()
            .regex(/^publickeyv1_[1-9A-HJ-NP-Za-km-z]+$/, "each key must look like publickeyv1_<base58>")
            .refine((k) => decodedLength(k.slice("publickeyv1_".length)) === 32, "each key must be a 32-byte Ed25519 public key"),
        ),
      ),
  ),
  // The service endpoint's URL as restate-server reaches it (`npm run register`).
  SERVICE_URL: optionalUrl,
  // Bearer secrets: long enough that guessing is pointless.
  ADMIN_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 24, { message: "must be at least 24 characters" }),
  SHOP_API_KEY: optionalString.refine((v) => v === undefined || v.length >= 24, { message: "must be at least 24 characters" }),
  // Fulfillment centers' shipment events: `centerId=secret,…`; a center without one has no route.
  CENTER_WEBHOOK_SECRETS: z.preprocess(blankIsUnset, centerSecrets.default({})),
  // Requests per minute per client on anonymous routes (the order page; refused webhooks).
  PUBLIC_RATE_LIMIT: positiveInt(300),
  PUBLIC_URL: optionalUrl,
  // Step retries: attempts per step (first try included) before it escalates to an operator,
  // with exponential backoff between them.
  STEP_MAX_ATTEMPTS: positiveInt(5),
  STEP_RETRY_INITIAL_MS: positiveInt(200),
  STEP_RETRY_MAX_MS: positiveInt(10_000),
  // An undecided incident is posted to Slack again after this long, then at the same interval.
  INCIDENT_REMIND_AFTER: z.preprocess(blankIsUnset, duration.default(3_600_000)),
  // Outbound HTTP calls (Stripe, fulfillment centers, Slack) are cut off after this long.
  HTTP_TIMEOUT_MS: positiveInt(10_000),
  LOG_LEVEL: z.preprocess(blankIsUnset, z.enum(LOG_LEVELS).default("info")),
  // Local state of `npm start`: embedded PGlite and restate-server's data.
  POSTPAY_DATA_DIR: z.preprocess(blankIsUnset, z.string().default(".data")).transform((d) => path.resolve(d)),
});

export type Env = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function parseEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new ConfigError(`invalid configuration:\n${problems}`);
  }
  return parsed.data;
}

/** Fails with a clear message when a process that needs a value was started without it. */
export function required<T>(value: T | undefined, name: string, why: string): T {
  if (value === undefined) throw new ConfigError(`${name} is required: ${why}`);
  return value;
}


export type StripeConfig = { secretKey: string; apiBase?: string };

/** What the Restate service endpoint needs. */
export type ServicesConfig = {
  /** Only restate-servers signing with these keys may call the endpoint; empty: anyone may. */
  identityKeys: string[];
  stripe: StripeConfig;
  slackWebhookUrl?: string;
  smtpUrl?: string;
  emailFrom: string;
  /** Base of links put in Slack alerts. */
  publicUrl: string;
  /** Named in the journal command of alerts when it is not the CLI's default. */
  restateAdminUrl?: string;
  httpTimeoutMs: number;
  steps: { maxAttempts: number; initialRetryMs: number; maxRetryMs: number };
  escalation: { remindAfterMs: number };
  alerts: { minIntervalMs: number; maxBackoffMs: number };
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
};

const publicUrlOf = (env: Env) => env.PUBLIC_URL ?? `http://127.0.0.1:${env.HTTP_PORT}`;
const stripeOf = (env: Env, why: string): StripeConfig => ({
  secretKey: required(env.STRIPE_SECRET_KEY, "STRIPE_SECRET_KEY", why),
  apiBase: env.STRIPE_API_BASE,
});

/** Slack allows one message per second per webhook; while it fails, retries back off to 5 min. */
export const SLACK_ALERT_PACE = { minIntervalMs: 1000, maxBackoffMs: 5 * 60_000 };

export function servicesConfig(env: Env): ServicesConfig {
  return {
    identityKeys: env.RESTATE_IDENTITY_KEYS,
    stripe: stripeOf(env, "the workflow verifies every payment with Stripe"),
    slackWebhookUrl: env.SLACK_WEBHOOK_URL,
    smtpUrl: env.SMTP_URL,
    emailFrom: env.EMAIL_FROM,
    publicUrl: publicUrlOf(env),
    restateAdminUrl: env.RESTATE_ADMIN_URL,
    httpTimeoutMs: env.HTTP_TIMEOUT_MS,
    steps: { maxAttempts: env.STEP_MAX_ATTEMPTS, initialRetryMs: env.STEP_RETRY_INITIAL_MS, maxRetryMs: env.STEP_RETRY_MAX_MS },
    escalation: { remindAfterMs: env.INCIDENT_REMIND_AFTER },
    alerts: SLACK_ALERT_PACE,
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
  };
}
