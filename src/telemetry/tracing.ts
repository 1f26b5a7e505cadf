// Tracing, switched on by the standard OpenTelemetry variables: with OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, each process exports its spans over OTLP under its own
// service.name. Unset, nothing of OpenTelemetry's SDK is even loaded (the import below is
// dynamic), so tracing off costs nothing.
import type { ProcessName, Tracing } from "./tracing-types.ts";

export type { ProcessName, Tracing };

export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === "true") return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** Starts tracing when it is configured; undefined (and nothing loaded) when it is not. */
export async function startTracing(name: ProcessName): Promise<Tracing | undefined> {
  if (!tracingConfigured()) return undefined;
  const { startOpenTelemetry } = await import("./otel-sdk.ts");
  return startOpenTelemetry(name);
}
