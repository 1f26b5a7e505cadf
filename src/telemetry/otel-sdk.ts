// OpenTelemetry's Node SDK, loaded only when tracing is configured (tracing.ts). Exporter, sampler,
// propagators and resource come from the standard OTEL_* variables (OTLP over http/protobuf unless
// OTEL_EXPORTER_OTLP_PROTOCOL says otherwise). Instrumented: node:http (the Hono app's requests,
// which continue an incoming W3C traceparent; Stripe's client; Slack's webhook client, axios),
// undici (request() and fetch(): the centers, Restate's ingress), Drizzle (both drivers), and
// the Restate SDK's own hook (an attempt span, a span per executed ctx.run: a replayed step,
// already in the journal, runs no closure and opens no span). Only traces are exported: metrics
// are Prometheus' (GET /metrics) and logs stay JSON lines on stdout, with the trace id in each.
import { instrumentDrizzleClient } from "@kubiks/otel-drizzle";
import { trace } from "@opentelemetry/api";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { openTelemetryHook } from "@restatedev/restate-sdk-opentelemetry";
import type { ProcessName, Tracing } from "./tracing-types.ts";

/** Requests that say nothing about an order: probes and scrapes. */
const UNTRACED_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

export function startOpenTelemetry(name: ProcessName): Tracing {
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? name,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? "").split("?")[0]!),
      }),
      new UndiciInstrumentation(),
    ],
    // Traces only, unless the operator asks the SDK for more with its own variables.
    ...(!process.env.OTEL_METRICS_EXPORTER && { metricReaders: [] }),
    ...(!process.env.OTEL_LOGS_EXPORTER && { logRecordProcessors: [] }),
  });
  sdk.start();
  const tracer = trace.getTracer("postpay");
  const activeTraceId = () => {
    const context = trace.getActiveSpan()?.spanContext();
    return context && trace.isSpanContextValid(context) ? context.traceId : undefined;
  };
  return {
    restateHooks: [openTelemetryHook({ tracer })],
    logFields(): Record<string, string> {
      const context = trace.getActiveSpan()?.spanContext();
      if (!context || !trace.isSpanContextValid(context)) return {};
      return { trace_id: context.traceId, span_id: context.spanId };
    },
    instrumentDb: (db) => void instrumentDrizzleClient(db as never, { dbSystem: "postgresql" }),
    activeTraceId,
    shutdown: () => sdk.shutdown(),
  };
}
