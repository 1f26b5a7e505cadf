// The observability settings in the environment (docs/observability.md), part of config.ts's schema.
// Tracing itself reads the standard OTEL_* variables (tracing.ts).
import { z } from "zod";

type Parsers = { duration: z.ZodType<number, string>; blankIsUnset: (v: unknown) => unknown };

export const observabilityEnv = ({ duration, blankIsUnset }: Parsers) => ({
  // A paid order without progress this long (Restate retrying it) gets one Slack alert.
  STUCK_ORDER_AFTER: z.preprocess(blankIsUnset, duration.default(30 * 60_000)),
  // A trace viewer's URL with {traceId} (Jaeger, Tempo): the console links each order to its trace.
  TRACE_URL_TEMPLATE: z.preprocess(
    blankIsUnset,
    z.string().includes("{traceId}", { message: "must contain {traceId}" }).optional(),
  ),
  // Each process's own metrics on a private port (the service endpoint has no other way to show them).
  METRICS_PORT: z.preprocess(blankIsUnset, z.coerce.number().int().min(0).max(65535).optional()),
});
