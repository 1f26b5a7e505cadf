// The benchmark report: latest.json (the source), latest.md (tables) and latest.svg (the chart).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { BenchReport, PathResult } from "./bench.ts";
import { chartSvg, PATH_LABELS } from "./chart.ts";

const ms = (l: { p50: number; p95: number; p99: number }) => `${l.p50} / ${l.p95} / ${l.p99}`;

export function markdownReport(r: BenchReport): string {
  const o = r.options;
  const sweepRows = o.sweep.map(({ concurrency: c, orders }) => {
    const d = r.restate.sweep.find((p) => p.concurrency === c)!;
    const b = r.baseline.sweep.find((p) => p.concurrency === c)!;
    return `| ${c} | ${orders} | ${d.ordersPerSecond} | ${d.latencyMs.p50} / ${d.latencyMs.p95} | ${b.ordersPerSecond} | ${b.latencyMs.p50} / ${b.latencyMs.p95} |`;
  });
  return [
    `### postpay benchmark — ${r.date.slice(0, 10)}`,
    "",
    `${r.machine.cpus} × ${r.machine.model}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; database: ${r.database}; Restate: ${r.restateSetup}; tracing: ${r.tracing}.`,
    `Both paths: the same HTTP app as a child process, checkout over HTTP with the shop's key, paid in the Stripe emulator, which delivers the signed webhook; the same driver, stand-ins, warm-up (${o.warmUp.orders} orders at C=${o.warmUp.concurrency}) and database. Restate (durable): the webhook submits the order workflow (restate-server + service endpoint). Baseline: the same app's webhook handler does the same steps with the same ports inline (bench/inline-app.ts), Restate's processes stopped.`,
    `Latency: ${r.latency}. Throughput: ${r.throughput}.`,
    "",
    `| ${o.orders} orders of ${o.centersPerOrder} centers | Restate (durable) | baseline (inline) | ratio |`,
    "|---|---|---|---|",
    `| orders/s at C=${o.concurrency} | ${r.restate.ordersPerSecond} | ${r.baseline.ordersPerSecond} | ${r.ratio.throughput} |`,
    `| latency p50 / p95 / p99 at C=${o.concurrency} (ms) | ${ms(r.restate.latencyMs)} | ${ms(r.baseline.latencyMs)} | ${r.ratio.p50} (p50) |`,
    `| latency p50 / p95 / p99 at C=1 (ms, ${o.oneAtATimeOrders} orders) | ${ms(r.restate.oneAtATime.latencyMs)} | ${ms(r.baseline.oneAtATime.latencyMs)} | ${r.ratio.p50AtC1} (p50) |`,
    ...(r.restate.oneAtATimeToStatusMs && r.baseline.oneAtATimeToStatusMs
      ? [
          `| the same, to the completed status in the database (ms; no attach, no answer) | ${ms(r.restate.oneAtATimeToStatusMs)} | ${ms(r.baseline.oneAtATimeToStatusMs)} | ${r.ratio.p50AtC1ToStatus} (p50) |`,
        ]
      : []),
    `| CPU per order at C=${o.concurrency}, all processes (ms) | ${r.restate.totalCpuMsPerOrder} | ${r.baseline.totalCpuMsPerOrder} | ${r.ratio.cpuPerOrder} |`,
    `| CPU per order at C=${o.concurrency}, the product's processes (ms; not the driver and stand-ins) | ${r.restate.productCpuMsPerOrder} | ${r.baseline.productCpuMsPerOrder} | ${r.ratio.productCpuPerOrder} |`,
    `| CPU ceiling on ${r.machine.cpus} cores (orders/s) | ${r.restate.cpuCeilingOrdersPerSecond} | ${r.baseline.cpuCeilingOrdersPerSecond} | |`,
    `| other load on the machine at C=${o.concurrency} (cores busy outside this benchmark) | ${r.restate.otherLoadCores} | ${r.baseline.otherLoadCores} | |`,
    `| failed orders (all phases) | ${r.restate.failedInAllPhases} | ${r.baseline.failedInAllPhases} | |`,
    "",
    `CPU per order and peak RSS of each process (CPU over the ${o.orders} orders at C=${o.concurrency}; peak RSS over the path's phases, the driver's reset before each path, and in brackets the sampled peak of its private part (RssAnon, without the file-backed pages of the executable and libraries); PostgreSQL's memory is its server's, not measured; — = not running on that path):`,
    "",
    ...processTable(r.restate, r.baseline),
    "",
    `Concurrency sweep (${o.centersPerOrder}-center orders, max(${o.sweepMinOrders}, 4 × C) orders per point; chart: latest.svg):`,
    "",
    "| C | orders | Restate orders/s | Restate p50 / p95 (ms) | baseline orders/s | baseline p50 / p95 (ms) |",
    "|---|---|---|---|---|---|",
    ...sweepRows,
    "",
    `Fan-out (C=1, ${o.fanOutOrders} orders per width):`,
    "",
    `8 ÷ 1 center p50: Restate ${r.ratio.fanOutGrowth.restate ?? "—"}, baseline ${r.ratio.fanOutGrowth.baseline ?? "—"}.`,
    "",
    "| centers per order | Restate p50 / p95 (ms) | baseline p50 / p95 (ms) |",
    "|---|---|---|",
    ...r.restate.fanOut.map((f, i) => {
      const b = r.baseline.fanOut[i]!;
      return `| ${f.centers} | ${f.latencyMs.p50} / ${f.latencyMs.p95} | ${b.latencyMs.p50} / ${b.latencyMs.p95} |`;
    }),
    "",
  ].join("\n");
}

/** One row per process, either path's; the durable path's extra processes are the cost of durability. */
function processTable(durable: PathResult, baseline: PathResult): string[] {
  const names = [
    ...new Set([
      ...Object.keys(durable.cpuMsPerOrder),
      ...Object.keys(baseline.cpuMsPerOrder),
      ...Object.keys(durable.peakRssMb),
      ...Object.keys(baseline.peakRssMb),
    ]),
  ];
  const cell = (v: number | undefined, unit: string) => (v === undefined ? "—" : `${v} ${unit}`);
  const rss = (r: PathResult, n: string) =>
    r.peakRssMb[n] === undefined ? "—" : `${r.peakRssMb[n]} MB (${r.peakPrivateRssMb[n] ?? "?"} private)`;
  const diff = (n: string) => {
    const d = durable.cpuMsPerOrder[n] ?? 0;
    const b = baseline.cpuMsPerOrder[n] ?? 0;
    return d === 0 && b === 0 ? "" : `${d - b >= 0 ? "+" : ""}${round2(d - b)} ms`;
  };
  return [
    `| process | CPU/order ${PATH_LABELS.restate} | CPU/order baseline | durability's cost | peak RSS Restate | peak RSS baseline |`,
    "|---|---|---|---|---|---|",
    ...names.map(
      (n) =>
        `| ${n} | ${cell(durable.cpuMsPerOrder[n], "ms")} | ${cell(baseline.cpuMsPerOrder[n], "ms")} | ${diff(n)} | ${rss(durable, n)} | ${rss(baseline, n)} |`,
    ),
    `| all | ${durable.totalCpuMsPerOrder} ms | ${baseline.totalCpuMsPerOrder} ms | +${round2(durable.totalCpuMsPerOrder - baseline.totalCpuMsPerOrder)} ms | | |`,
  ];
}

/** Writes latest.json, latest.md and latest.svg into `dir`; returns the markdown. */
export async function writeReport(r: BenchReport, dir: string): Promise<{ md: string; files: string[] }> {
  mkdirSync(dir, { recursive: true });
  const md = markdownReport(r);
  const files = {
    json: path.join(dir, "latest.json"),
    md: path.join(dir, "latest.md"),
    svg: path.join(dir, "latest.svg"),
  };
  writeFileSync(files.json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(files.md, md);
  writeFileSync(files.svg, await chartSvg(r));
  return { md, files: Object.values(files) };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
