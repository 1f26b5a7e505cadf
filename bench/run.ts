// `npm run bench`: runs the benchmark and writes bench/results/latest.{json,md}.
// Sizes: BENCH_ORDERS (1000), BENCH_CONCURRENCY (50), BENCH_C1_ORDERS (100), BENCH_SWEEP_ORDERS (40).
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DEFAULTS, runBench } from "./bench.ts";
import { markdownReport } from "./report.ts";

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const out = fileURLToPath(new URL("./results/", import.meta.url));
const tty = process.stderr.isTTY;

const report = await runBench({
  ...DEFAULTS,
  orders: num("BENCH_ORDERS", DEFAULTS.orders),
  concurrency: num("BENCH_CONCURRENCY", DEFAULTS.concurrency),
  oneAtATimeOrders: num("BENCH_C1_ORDERS", DEFAULTS.oneAtATimeOrders),
  sweepOrders: num("BENCH_SWEEP_ORDERS", DEFAULTS.sweepOrders),
  progress: (line) => process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`),
});
if (tty) process.stderr.write("\n");
mkdirSync(out, { recursive: true });
writeFileSync(`${out}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
const md = markdownReport(report);
writeFileSync(`${out}latest.md`, md);
process.stdout.write(`${md}\nwritten: bench/results/latest.json, bench/results/latest.md\n`);
process.exit(report.restate.failed + report.baseline.failed > 0 ? 1 : 0);
