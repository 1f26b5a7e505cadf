// Configuration: every environment variable postpay reads, parsed once at start-up into typed
// options. Each process then takes only the part it needs (process-config.ts).
import path from "node:path";
import bs58 from "bs58";
import { z } from "zod";
import { DEFAULT_SHIP_TO_COUNTRIES, isCountryCode } from "./domain/ship-to.ts";
import { LOG_LEVELS } from "./log.ts";
import { observabilityEnv } from "./telemetry/env.ts";

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
  .transform((v) =>
    v
      .split(",")
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf("=");
        return at < 0 ? ["", ""] : [pair.slice(0, at), pair.slice(at + 1)];
      }),
  )
  .pipe(
    z
      .array(
        z.tuple([
          z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, "each entry must be centerId=secret"),
          z.string().min(24, "each center secret must be at least 24 characters"),
        ]),
      )
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
  SLACK_OPERATOR_IDS: z.preprocess(
    blankIsUnset,
    z
      .string()
      .default("")
      .transform((v) =>
        v
          .split(",")
          .map((id) => id.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, "each id must be a Slack user id like U0123ABCD"))),
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
  // Request identity: the publickeyv1_… keys whose restate-server may call the service endpoint.
  RESTATE_IDENTITY_KEYS: z.preprocess(
    blankIsUnset,
    z
      .string()
      .default("")
      .transform((v) =>
        v
          .split(",")
          .map((k) => k.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z
            .string()
            .regex(/^publickeyv1_[1-9A-HJ-NP-Za-km-z]+$/, "each key must look like publickeyv1_<base58>")
            .refine(
              (k) => decodedLength(k.slice("publickeyv1_".length)) === 32,
              "each key must be a 32-byte Ed25519 public key",
            ),
        ),
      ),
  ),
  // The service endpoint's URL as restate-server reaches it (`npm run register`).
  SERVICE_URL: optionalUrl,
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
