// Configuration: every environment variable postpay reads, parsed once at start-up into typed
// options. Each process then takes only the part it needs (process-config.ts).
import path from "node:path";
import { z } from "zod";
import { OperatorEntrySchema } from "./domain/operators.ts";
import { SERVICE_VERSION_FORMAT } from "./domain/deployment.ts";
import { DEFAULT_SHIP_TO_COUNTRIES, isCountryCode } from "./domain/ship-to.ts";
import { parseProxyEntry } from "./http/client.ts";
import {
  blankIsUnset,
  optionalString,
  optionalUrl,
  port,
  positiveInt,
  duration,
  commaList,
  centerSecrets,
  identityKeys,
} from "./config-fields.ts";
import { LOG_LEVELS } from "./log.ts";
import { observabilityEnv } from "./telemetry/env.ts";

export const DEFAULT_INGRESS_URL = "http://127.0.0.1:8080";
export const DEFAULT_ADMIN_URL = "http://127.0.0.1:9070";

const EnvSchema = z.object({
  DATABASE_URL: optionalString,
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_API_BASE: optionalUrl,
  STRIPE_WEBHOOK_SECRET: optionalString.refine((v) => v === undefined || v.startsWith("whsec_"), {
    message: "must start with whsec_",
  }),
  // Countries Stripe's Checkout collects a ship-to address for, when the shop gives none.
  SHIP_TO_COUNTRIES: z.preprocess(
    blankIsUnset,
    z
      .string()
      .default(DEFAULT_SHIP_TO_COUNTRIES.join(","))
      .transform((v) =>
        v
          .split(",")
          .map((c) => c.trim().toUpperCase())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().refine(isCountryCode, "each must be an ISO 3166-1 alpha-2 code, e.g. US")).min(1)),
  ),
  SLACK_WEBHOOK_URL: optionalUrl,
  // Slack's interactions (the decision buttons): the app's signing secret, and who may click.
  SLACK_SIGNING_SECRET: optionalString,
  // "*": anyone in the channel, written down as a choice; the HTTP app refuses an empty list.
  SLACK_OPERATOR_IDS: z.preprocess(
    blankIsUnset,
    z.union([
      z.literal("*"),
      z
        .string()
        .default("")
        .transform(commaList)
        .pipe(
          z.array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, "each id must be a Slack user id like U0123ABCD, or * alone")),
        ),
    ]),
  ),
  // A click's response_url is called only when it starts with this (Slack's own host by default).
  SLACK_RESPONSE_URL_PREFIX: z.preprocess(
    blankIsUnset,
    z
      .url()
      .default("https://hooks.slack.com/")
      .refine((v) => new URL(v).pathname.endsWith("/") && v.endsWith("/"), {
        message: "must end with / (a bare host would also match hooks.slack.com.example.net)",
      }),
  ),
  // Proxies whose X-Forwarded-For / -Proto are believed; unset: the peer address is the client.
  TRUSTED_PROXIES: z.preprocess(
    blankIsUnset,
    z
      .string()
      .default("")
      .transform(commaList)
      .pipe(
        z.array(z.string().refine((e) => parseProxyEntry(e) !== undefined, "each entry must be an address or CIDR")),
      ),
  ),
  // Operators who sign in to the console with tokens of their own: name:sha256hex(token), comma-separated.
  OPERATORS: z.preprocess(
    blankIsUnset,
    z
      .string()
      .default("")
      .transform(commaList)
      .pipe(z.array(OperatorEntrySchema))
      .refine((ops) => new Set(ops.map((o) => o.name.toLowerCase())).size === ops.length, "an operator is named twice"),
  ),
  SMTP_URL: optionalString.refine((v) => v === undefined || /^smtps?:\/\//.test(v), {
    message: "must look like smtp://host:port",
  }),
  // Every incident is also emailed here (the support team); unset: Slack only.
  SUPPORT_EMAIL: z.preprocess(blankIsUnset, z.email().optional()),
  EMAIL_FROM: z.preprocess(blankIsUnset, z.string().default("postpay <orders@postpay.localhost>")),
  // One URL, or several (the nodes of a cluster), comma-separated: the app fails over between them.
  RESTATE_INGRESS_URL: z.preprocess(
    blankIsUnset,
    z
      .string()
      .default(DEFAULT_INGRESS_URL)
      .transform((v) =>
        v
          .split(",")
          .map((u) => u.trim())
          .filter(Boolean),
      )
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
  // Request identity: the publickeyv1_… keys whose restate-server may call the service endpoint;
  // "none": an explicit opt-out (a mesh that authenticates otherwise).
  RESTATE_IDENTITY_KEYS: identityKeys,
  // The service endpoint's URL as restate-server reaches it, and its build's version (`npm run register`).
  SERVICE_URL: optionalUrl,
  SERVICE_VERSION: z.preprocess(blankIsUnset, SERVICE_VERSION_FORMAT.optional()),
  // Bearer secrets: long enough that guessing is pointless.
  ADMIN_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 24, {
    message: "must be at least 24 characters",
  }),
  SHOP_API_KEY: optionalString.refine((v) => v === undefined || v.length >= 24, {
    message: "must be at least 24 characters",
  }),
  // Fulfillment centers' shipment events: `centerId=secret,…`; a center without one has no route.
  CENTER_WEBHOOK_SECRETS: z.preprocess(blankIsUnset, centerSecrets.default({})),
  // Requests per minute per client on anonymous routes (the order page; refused webhooks).
  PUBLIC_RATE_LIMIT: positiveInt(300),
  PUBLIC_URL: optionalUrl,
  // Step retries: attempts per step (first try included) before an operator decides, backed off.
  STEP_MAX_ATTEMPTS: positiveInt(5),
  STEP_RETRY_INITIAL_MS: positiveInt(200),
  STEP_RETRY_MAX_MS: positiveInt(10_000),
  // An undecided incident is posted to Slack again after this long, then at the same interval.
  INCIDENT_REMIND_AFTER: z.preprocess(blankIsUnset, duration.default(3_600_000)),
  // A shipment not shipped this long after its hand-off opens an incident (a silent center).
  SHIPMENT_DEADLINE: z.preprocess(blankIsUnset, duration.default(2 * 86_400_000)),
  // Outbound HTTP calls (Stripe, fulfillment centers, Slack) are cut off after this long.
  HTTP_TIMEOUT_MS: positiveInt(10_000),
  ...observabilityEnv({ duration, blankIsUnset }),
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
