// What a process gets from tracing when it is on (tracing.ts starts it, otel-sdk.ts builds it).
import type { HooksProvider } from "@restatedev/restate-sdk";
import type { Db } from "../../db/client.ts";

export type Tracing = {
  /** The Restate SDK's OpenTelemetry hook: a span per attempt and per executed ctx.run. */
  restateHooks: HooksProvider[];
  /** `trace_id`/`span_id` of the active span, for every log line (pino's mixin). */
  logFields(): Record<string, string>;
  /** Spans around the database calls made through this Drizzle instance. */
  instrumentDb(db: Db): void;
  /** The active trace's id, if any (the webhook's, recorded with the order). */
  activeTraceId(): string | undefined;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
};

/** `postpay-http`, `postpay-services`: each process exports under its own name. */
export type ProcessName = "postpay-http" | "postpay-services" | "postpay";
