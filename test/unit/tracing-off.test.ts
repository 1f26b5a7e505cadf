// Tracing off costs nothing: without OTEL_EXPORTER_OTLP_ENDPOINT, starting tracing loads none of
// OpenTelemetry's SDK (its import is dynamic); with it, the SDK is loaded and started. Each case
// runs in a fresh Node process, so what the process loaded is all its own.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const PROBE = `
const { startTracing } = await import("./src/telemetry/tracing.ts");
const tracing = await startTracing("postpay-http");
const { createRequire } = await import("node:module");
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes("@opentelemetry/sdk-"));
await tracing?.shutdown();
console.log(JSON.stringify({ on: tracing !== undefined, sdkModules: loaded.length }));`;

function probe(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")));
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", PROBE], {
    env: { ...clean, ...env },
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").at(-1)!) as { on: boolean; sdkModules: number };
}

describe("tracing", () => {
  it("is off, with no OpenTelemetry SDK module loaded, when OTEL_EXPORTER_OTLP_ENDPOINT is unset", () => {
    expect(probe({})).toEqual({ on: false, sdkModules: 0 });
  });

  it("is on, with the SDK loaded, when it is set", () => {
    const on = probe({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" });
    expect(on.on).toBe(true);
    expect(on.sdkModules).toBeGreaterThan(0);
  });
});
