// The benchmark report as a markdown table (the JSON is the source).
import type { BenchReport } from "./bench.ts";

const ms = (l: { p50: number; p95: number; p99: number }) => `${l.p50} / ${l.p95} / ${l.p99}`;

export function markdownReport(r: BenchReport): string {
  const cpu = Object.entries(r.restate.cpuMsPerOrder).map(([k, v]) => `${k} ${v} ms`).join(", ");
  const rss = Object.entries(r.restate.peakRssMb).map(([k, v]) => `${k} ${v} MB`).join(", ");
  return [
    `### postpay benchmark — ${r.date.slice(0, 10)}`,
    "",
    `${r.machine.cpus} × ${r.machine.model}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; database: ${r.database}; Restate: ${r.restateSetup}.`,
    `${r.options.orders} orders of ${r.options.centersPerOrder} centers at concurrency ${r.options.concurrency}; latency from webhook accepted (baseline: from paid) to order completed.`,
    "",
    "| | Restate (durable) | baseline (plain async) | ratio |",
    "|---|---|---|---|",
    `| orders/s at C=${r.options.concurrency} | ${r.restate.ordersPerSecond} | ${r.baseline.ordersPerSecond} | ${r.ratio.throughput} |`,
    `| latency p50 / p95 / p99 at C=${r.options.concurrency} (ms) | ${ms(r.restate.latencyMs)} | ${ms(r.baseline.latencyMs)} | ${r.ratio.p50} (p50) |`,
    `| latency p50 / p95 / p99 at C=1 (ms) | ${ms(r.oneAtATime.restate)} | ${ms(r.oneAtATime.baseline)} | ${round2(r.oneAtATime.restate.p50 / r.oneAtATime.baseline.p50)} (p50) |`,
    `| failed orders | ${r.restate.failed} | ${r.baseline.failed} | |`,
    "",
    `CPU per order (Restate run): ${cpu}; ${r.restate.totalCpuMsPerOrder} ms in all, so ${r.machine.cpus} cores cap this machine at ~${r.restate.cpuCeilingOrdersPerSecond} orders/s. Peak RSS: ${rss}.`,
    "",
    "| centers per order (C=1) | Restate p50 / p95 (ms) | baseline p50 / p95 (ms) |",
    "|---|---|---|",
    ...r.fanOut.map((f) => `| ${f.centers} | ${f.restate.p50} / ${f.restate.p95} | ${f.baseline.p50} / ${f.baseline.p95} |`),
    "",
  ].join("\n");
}

const round2 = (n: number) => Math.round(n * 100) / 100;
