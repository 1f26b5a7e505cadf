// Structured logs through pino: one JSON object per line on stdout. Secrets and personal data never
// reach them: every logged object passes through `redact`, which hides fields whose name looks
// secret or personal (an address, an email address) and masks credentials inside URLs, wherever
// they sit (pino's own path-based redaction cannot match by name at any depth).
import pino from "pino";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type Logger = pino.Logger;

const SECRET_NAME = /secret|token|password|authorization|signature|api[-_]?key|cookie/i;
/** Personal data (addresses, email addresses): never in logs, whoever passes it in by mistake. */
const PERSONAL_NAME = /^(ship[-_]?to|shipping[-_]?details|address|email|customer[-_]?email|recipient|to)$/i;
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+(:[^/\s@]*)?@/gi;

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return value.replace(URL_CREDENTIALS, "$1***@");
  if (value instanceof Error) return { name: value.name, message: redact(value.message) };
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET_NAME.test(k) ? "[redacted]" : PERSONAL_NAME.test(k) ? "[personal]" : redact(v, depth + 1),
    ]),
  );
}

export type LoggerOptions = {
  level?: LogLevel;
  bindings?: Record<string, unknown>;
  destination?: pino.DestinationStream;
  /** Fields added to every line, e.g. the active trace's id (src/telemetry/tracing.ts). */
  mixin?: () => Record<string, string>;
};

export function createLogger({ level = "info", bindings = {}, destination, mixin }: LoggerOptions = {}): Logger {
  const options: pino.LoggerOptions = {
    level,
    ...(mixin && { mixin }),
    base: bindings,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (b) => redact(b) as Record<string, unknown>,
      log: (fields) => redact(fields) as Record<string, unknown>,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
