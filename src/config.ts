// Configuration: environment variables, parsed once at start-up into typed options.
import { z } from "zod";

const optionalString = z.preprocess((v) => (v === "" ? undefined : v), z.string().optional());
const optionalUrl = z.preprocess((v) => (v === "" ? undefined : v), z.url().optional());
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const EnvSchema = z.object({
  DATABASE_URL: optionalString,
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_API_BASE: optionalUrl,
  STRIPE_WEBHOOK_SECRET: optionalString.refine((v) => v === undefined || v.startsWith("whsec_"), {
    message: "must start with whsec_",
  }),
  SLACK_WEBHOOK_URL: optionalUrl,
  SMTP_URL: optionalString.refine((v) => v === undefined || /^smtps?:\/\//.test(v), {
    message: "must look like smtp://host:port",
  }),
  EMAIL_FROM: z.preprocess((v) => (v === "" ? undefined : v), z.string().default("postpay <orders@postpay.localhost>")),
  RESTATE_INGRESS_URL: optionalUrl,
  RESTATE_ADMIN_URL: optionalUrl,
  HTTP_PORT: port(3000),
  SERVICE_PORT: port(9080),
  // Interfaces to listen on: loopback by default; containers set 0.0.0.0.
  HTTP_HOST: z.string().default("127.0.0.1"),
  SERVICE_HOST: z.string().default("127.0.0.1"),
  ADMIN_TOKEN: optionalString,
  PUBLIC_URL: optionalUrl,
  // Step retries: attempts per step (first try included) before it escalates to an operator,
  // with exponential backoff between them.
  STEP_MAX_ATTEMPTS: positiveInt(5),
  STEP_RETRY_INITIAL_MS: positiveInt(200),
  STEP_RETRY_MAX_MS: positiveInt(10_000),
  // Outbound HTTP calls (Stripe, fulfillment centers, Slack) are cut off after this long.
  HTTP_TIMEOUT_MS: positiveInt(10_000),
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

export type StepPolicy = {
  maxAttempts: number;
  initialRetryMs: number;
  maxRetryMs: number;
};

export const stepPolicyFrom = (env: Env): StepPolicy => ({
  maxAttempts: env.STEP_MAX_ATTEMPTS,
  initialRetryMs: env.STEP_RETRY_INITIAL_MS,
  maxRetryMs: env.STEP_RETRY_MAX_MS,
});

/** Fails with a clear message when a process that needs a value was started without it. */
export function required<T>(value: T | undefined, name: string, why: string): T {
  if (value === undefined) throw new ConfigError(`${name} is required: ${why}`);
  return value;
}

export const DEFAULT_INGRESS_URL = "http://127.0.0.1:8080";
export const DEFAULT_ADMIN_URL = "http://127.0.0.1:9070";
