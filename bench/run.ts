// `npm run bench`: runs the benchmark and writes bench/results/latest.{json,md,svg}.
// Sizes: BENCH_ORDERS (1000), BENCH_CONCURRENCY (50), BENCH_C1_ORDERS (100), BENCH_FANOUT_ORDERS
// (40 per fan-out width), BENCH_SWEEP_C (1,8,32,128: the concurrency sweep), BENCH_SWEEP_MIN_ORDERS
// (40: a sweep point runs max(this, 4 × C) orders); DATABASE_URL: a PostgreSQL server (PGlite
// without); BENCH_PROFILE: a directory for CPU profiles; BENCH_CLUSTER=1: Restate as a replicated
// 3-node cluster instead of one restate-server; BENCH_TRACING=1: tracing on (OTLP to a receiver in
// the driver; needs DATABASE_URL, as the two deployed processes are what is traced).
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { parseEnv } from "../src/config.ts";
import { DEFAULTS, runBench } from "./bench.ts";
import { writeReport } from "./report.ts";

const size = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const BenchEnv = z.object({
  BENCH_ORDERS: size(DEFAULTS.orders),
  BENCH_CONCURRENCY: size(DEFAULTS.concurrency),
  BENCH_C1_ORDERS: size(DEFAULTS.oneAtATimeOrders),
  BENCH_FANOUT_ORDERS: size(DEFAULTS.fanOutOrders),
  BENCH_SWEEP_C: z
    .string()
    .regex(/^\d+(,\d+)*$/, "a comma-separated list of concurrency levels, e.g. 1,8,32,128")
    .transform((s) => s.split(",").map(Number))
    .refine((cs) => cs.every((c) => c > 0), "concurrency levels are positive")
    .default(DEFAULTS.sweep),
  BENCH_SWEEP_MIN_ORDERS: size(DEFAULTS.sweepMinOrders),
  // Renamed: it was the orders per fan-out width, which a sweep of concurrency would now confuse.
  BENCH_SWEEP_ORDERS: z
    .undefined({ error: "BENCH_SWEEP_ORDERS is now BENCH_FANOUT_ORDERS (orders per fan-out width)" })
    .optional(),
  BENCH_PROFILE: z.string().min(1).optional(),
  BENCH_CLUSTER: z.stringbool().default(false),
  BENCH_TRACING: z.stringbool().default(false),
});
const bench = BenchEnv.parse(process.env);
const out = fileURLToPath(new URL("./results/", import.meta.url));
const tty = process.stderr.isTTY;

const report = await runBench({
  ...DEFAULTS,
  orders: bench.BENCH_ORDERS,
  concurrency: bench.BENCH_CONCURRENCY,
  oneAtATimeOrders: bench.BENCH_C1_ORDERS,
  fanOutOrders: bench.BENCH_FANOUT_ORDERS,
  sweep: bench.BENCH_SWEEP_C,
  sweepMinOrders: bench.BENCH_SWEEP_MIN_ORDERS,
  postgres: parseEnv().DATABASE_URL,
  profileDir: bench.BENCH_PROFILE,
  cluster: bench.BENCH_CLUSTER,
  tracing: bench.BENCH_TRACING,
  progress: (line) => process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`),
});
if (tty) process.stderr.write("\n");
const { md } = await writeReport(report, out);
process.stdout.write(`${md}\nwritten: bench/results/latest.json, bench/results/latest.md, bench/results/latest.svg\n`);
process.exit(report.restate.failedInAllPhases + report.baseline.failedInAllPhases > 0 ? 1 : 0);
