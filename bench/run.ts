// `npm run bench`: runs the benchmark and writes bench/results/latest.{json,md}.
// Sizes: BENCH_ORDERS (1000), BENCH_CONCURRENCY (50), BENCH_C1_ORDERS (100), BENCH_SWEEP_ORDERS (40);
// DATABASE_URL: a PostgreSQL server (PGlite without); BENCH_PROFILE: a directory for CPU profiles;
// BENCH_CLUSTER=1: Restate as a replicated 3-node cluster instead of one restate-server.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { parseEnv } from "../src/config.ts";
import { DEFAULTS, runBench } from "./bench.ts";
import { markdownReport } from "./report.ts";

const size = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const BenchEnv = z.object({
  BENCH_ORDERS: size(DEFAULTS.orders),
  BENCH_CONCURRENCY: size(DEFAULTS.concurrency),
  BENCH_C1_ORDERS: size(DEFAULTS.oneAtATimeOrders),
  BENCH_SWEEP_ORDERS: size(DEFAULTS.sweepOrders),
  BENCH_PROFILE: z.string().min(1).optional(),
  BENCH_CLUSTER: z.stringbool().default(false),
});
const bench = BenchEnv.parse(process.env);
const out = fileURLToPath(new URL("./results/", import.meta.url));
const tty = process.stderr.isTTY;

const report = await runBench({
  ...DEFAULTS,
  orders: bench.BENCH_ORDERS,
  concurrency: bench.BENCH_CONCURRENCY,
  oneAtATimeOrders: bench.BENCH_C1_ORDERS,
  sweepOrders: bench.BENCH_SWEEP_ORDERS,
  postgres: parseEnv().DATABASE_URL,
  profileDir: bench.BENCH_PROFILE,
  cluster: bench.BENCH_CLUSTER,
  progress: (line) => process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`),
});
if (tty) process.stderr.write("\n");
mkdirSync(out, { recursive: true });
writeFileSync(`${out}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
const md = markdownReport(report);
writeFileSync(`${out}latest.md`, md);
process.stdout.write(`${md}\nwritten: bench/results/latest.json, bench/results/latest.md\n`);
process.exit(report.restate.failed + report.baseline.failed > 0 ? 1 : 0);
