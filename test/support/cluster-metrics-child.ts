// A primary with two workers (the real runWorkers), for test/unit/metrics-server.test.ts: each
// worker counts one call in its own registry and hands it to the primary (serveRegistry); the
// primary serves the sum on METRICS_PORT (serveClusterMetrics) and prints its URL.
import cluster from "node:cluster";
import { Counter, Registry } from "prom-client";
import { createLogger } from "../../src/log.ts";
import { runWorkers } from "../../src/main/workers.ts";
import { serveClusterMetrics, serveRegistry } from "../../src/telemetry/metrics-server.ts";

const log = createLogger({ level: "warn" });
if (cluster.isPrimary) {
  const server = await serveClusterMetrics(0, "127.0.0.1");
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
}
await runWorkers(2, log, async () => {
  const registry = new Registry();
  new Counter({ name: "postpay_test_calls_total", help: "calls", registers: [registry] }).inc();
  const served = await serveRegistry(registry, 0, "127.0.0.1");
  process.stdout.write(`${JSON.stringify({ worker: process.pid, servedItself: served !== undefined })}\n`);
  setInterval(() => {}, 60_000);
  process.on("SIGTERM", () => process.exit(0));
});
