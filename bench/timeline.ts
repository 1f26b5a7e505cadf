// Where one order's time goes on the durable path: places orders one at a time through the real
// path (checkout, paid in the Stripe emulator, signed webhook, workflow output), then reads each
// run's journal from restate-server's SQL introspection (sys_invocation, sys_journal: when each
// entry was appended, to the millisecond) and prints the median and mean of each phase. A step's
// command is appended when the endpoint starts it, its notification when restate-server proposes
// its result to the log; the next phase starts once that result is durable (a log append with
// fsync), so the gaps between phases are Restate's own waits. Per phase of steps it also shows how
// many notifications it had, in how many distinct ms they were proposed, and how long each result
// took from the step finishing in the service to its proposal; with BENCH_TIMELINE_PERF=1, how many
// fsyncs restate-server made in each phase (Linux perf, bench/fsync-trace.ts), by file (the log
// server's RocksDB WAL is log-store/#.log; the threads, tokio's rs:worker-N, say less).
// Usage: npm run bench:timeline   (BENCH_TIMELINE_ORDERS, default 60, after a warm-up of 300 orders
// at C=10 so that the processes' code is compiled as in the benchmark; BENCH_TIMELINE_CENTERS,
// default 2: one product from each of that many centers per order, up to 8; BENCH_TIMELINE_PERF=1;
// BENCH_TIMELINE_RAW=file.json: every order's times, journal and the fsyncs, for a closer look;
// DATABASE_URL: a PostgreSQL server for a scratch database, PGlite without)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Agent, request } from "undici";
import { z } from "zod";
import { CHILD_SECRETS, startHarness } from "../dev/harness.ts";
import { parseEnv } from "../src/config.ts";
import { benchCatalog } from "./catalog.ts";
import { type Fsync, requirePerf, traceFsyncs } from "./fsync-trace.ts";
import {
  type JournalRow,
  type Sample,
  type StepPhase,
  stepPhases,
  summarize,
  type Timeline,
  tableOf,
} from "./timeline-phases.ts";

export type TimelineOptions = {
  orders: number;
  /** Centers per order, one product from each (default 2). */
  centers?: number;
  warmUp: { orders: number; concurrency: number };
  /** A PostgreSQL server for a scratch database; PGlite without one. */
  postgres?: string;
  /** Count restate-server's fsyncs per phase with Linux perf. */
  perf?: boolean;
  /** Write each order's times, journal (without payloads), phases and the fsyncs here, as JSON. */
  rawFile?: string;
  progress?: (line: string) => void;
};

export async function measureTimeline(options: TimelineOptions): Promise<Timeline> {
  const progress = options.progress ?? (() => {});
  if (options.perf) requirePerf();
  const { centers, products } = benchCatalog(options.centers ?? 2);
  const h = await startHarness({
    label: "timeline",
    centers,
    products,
    postgres: options.postgres,
    app: options.postgres ? "two-processes" : "one-process",
    progress,
  });
  const scratch = mkdtempSync(path.join(tmpdir(), "postpay-timeline-"));
  try {
    const dispatcher = new Agent({ keepAliveTimeout: 30_000 });
    const query = async <T>(sql: string): Promise<T[]> => {
      const res = await request(`${h.restate.adminUrl}/query`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ query: sql }),
        dispatcher,
      });
      const body = (await res.body.json()) as { rows?: T[]; message?: string };
      if (res.statusCode !== 200 || !body.rows) throw new Error(`query ${res.statusCode}: ${body.message ?? ""}`);
      return body.rows;
    };

    /** One order, timed by the wall clock that restate-server's timestamps use. */
    const placeOrder = async () => {
      const res = await fetch(`${h.url}/checkout`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${CHILD_SECRETS.SHOP_API_KEY}` },
        body: JSON.stringify({
          customerId: "cus_timeline",
          email: "timeline@example.com",
          items: products.map((p) => ({ productId: p.id, quantity: 1 })),
        }),
      });
      if (res.status !== 201) throw new Error(`checkout ${res.status}: ${await res.text()}`);
      const { paymentSessionId, stripeCheckoutSessionId } = (await res.json()) as {
        paymentSessionId: string;
        stripeCheckoutSessionId: string;
      };
      const webhookAt = Date.now();
      const delivery = await h.stripe.complete(stripeCheckoutSessionId);
      if (delivery.status !== 200) throw new Error(`webhook ${delivery.status}: ${delivery.body}`);
      const answeredAt = Date.now();
      const attached = await request(
        `${h.restate.ingressUrl}/restate/workflow/OrderWorkflow/${encodeURIComponent(paymentSessionId)}/attach`,
        { dispatcher },
      );
      const output = await attached.body.text();
      if (attached.statusCode !== 200 || !output.includes('"completed"'))
        throw new Error(`attach ${attached.statusCode}: ${output}`);
      return { orderId: paymentSessionId, webhookAt, answeredAt, doneAt: Date.now() };
    };

    let warmed = 0;
    await Promise.all(
      Array.from({ length: options.warmUp.concurrency }, async () => {
        while (warmed++ < options.warmUp.orders) await placeOrder();
      }),
    );
    progress(`warm-up: ${options.warmUp.orders} orders at C=${options.warmUp.concurrency}`);
    const pid = h.restate.child.pid;
    if (options.perf && pid === undefined) throw new Error("restate-server has no pid");
    const trace = options.perf ? await traceFsyncs(pid!, scratch) : undefined;
    const placed: Awaited<ReturnType<typeof placeOrder>>[] = [];
    for (let i = 0; i < options.orders; i++) {
      placed.push(await placeOrder());
      if (i % 10 === 9) progress(`${i + 1}/${options.orders} orders placed one at a time`);
    }
    const fsyncs = await trace?.stop();

    const rows = new Map<string, Sample[]>();
    const note = (phase: string, sample: Sample) => rows.set(phase, [...(rows.get(phase) ?? []), sample]);
    const raw: unknown[] = [];
    let labels: string | undefined;
    for (const order of placed) {
      const [run] = await query<{ id: string; created_at: string; completed_at: string }>(
        `SELECT id, created_at, completed_at FROM sys_invocation WHERE target_service_key = '${order.orderId}' AND target_handler_name = 'run'`,
      );
      if (!run) throw new Error(`no run for ${order.orderId}`);
      const journal = await query<JournalRow>(
        `SELECT index, entry_type, appended_at, entry_json FROM sys_journal WHERE id = '${run.id}' ORDER BY index`,
      );
      const phases = stepPhases(
        journal,
        centers.map((c) => c.id),
      );
      const output = journal.find((e) => e.entry_type === "Command: Output");
      if (!output || phases.length === 0) throw new Error(`${order.orderId}: no steps or no output in its journal`);
      const these = phases.map((p) => p.label).join(" / ");
      labels ??= these;
      if (labels !== these) throw new Error(`${order.orderId}: phases ${these}, not ${labels}`);
      // Other invocations of the order (Shipments.watch) append to the same log meanwhile.
      const others = await query<{ appended_at: string; entry_type: string }>(
        `SELECT j.appended_at, j.entry_type FROM sys_journal j JOIN sys_invocation i ON j.id = i.id WHERE i.target_service_key = '${order.orderId}' AND i.id != '${run.id}'`,
      );
      raw.push({ ...order, run, phases, journal: journal.map(({ entry_json, ...e }) => e), others });
      // The rows follow each other, each until the next one's start. A phase of steps starts when its
      // first step starts in the service (its commands reach restate-server after that) and lasts
      // until the next phase's first step starts (after its results are durable and acknowledged).
      const firstStart = (p: StepPhase) => Math.min(...p.steps.map((s) => s.startedAt));
      const edges: [string, number, Partial<Sample>?][] = [
        ["webhook delivered → run created (app: signature, session read, submit)", order.webhookAt],
        ["run created → first step started (restate-server → endpoint)", Date.parse(run.created_at)],
        ...phases.map((p, i): [string, number, Partial<Sample>] => {
          const next = phases[i + 1];
          const label = `${p.label} → ${next ? "next phase" : "output"}`;
          return [label, firstStart(p), { phase: p, nextStartedAt: next && firstStart(next) }];
        }),
        ["output → run completed", Date.parse(output.appended_at)],
        ["run completed → the driver's attach returns", Date.parse(run.completed_at)],
      ];
      const otherAt = others.map((e) => Date.parse(e.appended_at));
      const sample = (from: number, to: number) => ({
        from,
        to,
        others: otherAt.filter((t) => t >= from && t < to).length,
      });
      for (const [i, [phase, from, extra]] of edges.entries())
        note(phase, { ...extra, ...sample(from, edges[i + 1]?.[1] ?? order.doneAt) });
      note("total: webhook delivered → done", sample(order.webhookAt, order.doneAt));
      note("(beside it) webhook delivered → webhook's 200", sample(order.webhookAt, order.answeredAt));
    }
    if (options.rawFile) writeFileSync(options.rawFile, JSON.stringify({ orders: raw, fsyncs }));
    const inOrder = (f: Fsync) => placed.some((o) => f.at >= o.webhookAt && f.at < o.doneAt);
    const threads: Record<string, number> = {};
    for (const f of fsyncs ?? []) threads[f.thread] = (threads[f.thread] ?? 0) + 1 / placed.length;
    return {
      phases: [...rows].map(([phase, samples]) =>
        summarize(phase, samples, phase.startsWith("(beside") ? undefined : fsyncs),
      ),
      stepPhases: labels!.split(" / ").length,
      fsyncsBetweenOrders: fsyncs && fsyncs.filter((f) => !inOrder(f)).length / placed.length,
      fsyncThreads: fsyncs && threads,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await h.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const env = z
    .object({
      BENCH_TIMELINE_ORDERS: z.coerce.number().int().positive().default(60),
      BENCH_TIMELINE_CENTERS: z.coerce.number().int().min(1).max(8).default(2),
      BENCH_TIMELINE_PERF: z.enum(["0", "1"]).default("0"),
      BENCH_TIMELINE_RAW: z.string().optional(),
    })
    .parse(process.env);
  const timeline = await measureTimeline({
    orders: env.BENCH_TIMELINE_ORDERS,
    centers: env.BENCH_TIMELINE_CENTERS,
    warmUp: { orders: 300, concurrency: 10 },
    postgres: parseEnv().DATABASE_URL,
    perf: env.BENCH_TIMELINE_PERF === "1",
    rawFile: env.BENCH_TIMELINE_RAW,
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  for (const line of tableOf(timeline, env.BENCH_TIMELINE_CENTERS, env.BENCH_TIMELINE_ORDERS)) console.log(line);
}
