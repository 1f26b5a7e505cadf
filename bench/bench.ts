// The benchmark: paid orders turned into fulfilled orders through the real path (checkout over
// HTTP → paid in the Stripe emulator → signed webhook → OrderWorkflow → output ready), beside the
// same deployment without durability: the same HTTP app as a child process (bench/inline-app.ts),
// whose webhook handler does the same steps with the same ports inline and answers when the order
// is done. Same driver, stand-ins, warm-up and database for both; Restate's processes are stopped
// before the baseline runs. Its own stack (dev/harness.ts): restate-server from node_modules, the
// app processes, the Stripe emulator and the fulfillment centers; PostgreSQL when DATABASE_URL is
// set (a scratch database on that server), PGlite otherwise (owned by whichever app process runs).
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { Agent, request } from "undici";
import { CHILD_SECRETS, startHarness } from "../dev/harness.ts";
import { startOtlpReceiver } from "../dev/otlp-receiver.ts";
import { benchCatalog } from "./catalog.ts";
import { httpReady, nodeProcess, workerPids, type NodeProcess } from "../dev/node-process.ts";
import type { OrderResult } from "../src/domain/order-view.ts";
import {
  cpuMeter,
  latencySummary,
  peakRssMb,
  postgresPidsFor,
  privateRssSampler,
  type ProcessGroup,
} from "./metrics.ts";

const MAX_CENTERS = 8;
const { centers: CENTERS, products: PRODUCTS } = benchCatalog(MAX_CENTERS);
const WARM_UP = { orders: 30, concurrency: 5 };
const DRIVER = "bench driver + stand-ins";

export type BenchOptions = {
  orders: number; // N at concurrency C
  concurrency: number; // C
  oneAtATimeOrders: number; // orders at C=1 (two centers)
  fanOutOrders: number; // orders per fan-out width at C=1
  fanOut: number[];
  /** Concurrency levels of the throughput-latency sweep (two centers per order). */
  sweep: number[];
  /** Orders per sweep point: max(this, 4 × C). */
  sweepMinOrders: number;
  /** A PostgreSQL server for a scratch database; PGlite without one. */
  postgres?: string;
  /** A directory for V8 CPU profiles of the app processes. */
  profileDir?: string;
  /** Restate as a replicated 3-node cluster (every node's ingress given to the app). */
  cluster?: boolean;
  /**
   * Tracing on: the app processes and restate-server export every span over OTLP to a receiver in
   * the driver's process (its decoding counts as the driver's CPU, not the product's).
   */
  tracing?: boolean;
  progress?: (line: string) => void;
};

export const DEFAULTS: BenchOptions = {
  orders: 1000,
  concurrency: 50,
  oneAtATimeOrders: 100,
  fanOutOrders: 40,
  fanOut: [1, 2, 4, 8],
  sweep: [1, 8, 32, 128],
  sweepMinOrders: 40,
};

export const sweepPointOrders = (options: Pick<BenchOptions, "sweepMinOrders">, concurrency: number) =>
  Math.max(options.sweepMinOrders, 4 * concurrency);

type Latency = ReturnType<typeof latencySummary>;
type PhaseResult = { orders: number; failed: number; seconds: number; ordersPerSecond: number; latencyMs: Latency };
/**
 * One order: its latency in ms, from just before the webhook delivery to the order completed, and
 * that moment by the wall clock (for the latency to its completed status in the database).
 */
type Order = (centersPerOrder: number) => Promise<{ id: string; latencyMs: number; webhookAt: number }>;
/** When each order's completed status was written (orders.updated_at, epoch ms). */
type CompletedAt = (orderIds: string[]) => Promise<Map<string, number>>;

/** One path (durable or baseline), every phase, with its processes' CPU and memory. */
export type PathResult = PhaseResult & {
  /** CPU per order of each process during the main phase (N orders at C). */
  cpuMsPerOrder: Record<string, number>;
  totalCpuMsPerOrder: number;
  /** The same without the driver and stand-ins. */
  productCpuMsPerOrder: number;
  /** What the CPU per order allows on this machine's cores. */
  cpuCeilingOrdersPerSecond: number;
  /** CPU that processes outside this benchmark used during the main phase, in cores (0 on a quiet machine). */
  otherLoadCores: number;
  /** Peak resident memory of each process over this path's phases. */
  peakRssMb: Record<string, number>;
  /** Sampled peak of RssAnon: the process's own memory, without its executable's file-backed pages. */
  peakPrivateRssMb: Record<string, number>;
  oneAtATime: PhaseResult;
  /**
   * The same C=1 orders, from just before the webhook delivery to the completed status written in
   * the database (the run's last step; the baseline's too): the order's latency without the
   * driver's attach or the baseline's answer. PostgreSQL only (PGlite belongs to the app process).
   */
  oneAtATimeToStatusMs?: Latency;
  fanOut: (PhaseResult & { centers: number })[];
  sweep: (PhaseResult & { concurrency: number })[];
  /** Failed orders in all phases but the warm-up. */
  failedInAllPhases: number;
};

const cart = (centers: number) => Array.from({ length: centers }, (_, i) => ({ productId: `p-${i + 1}`, quantity: 1 }));

export async function runBench(options: BenchOptions) {
  const progress = options.progress ?? (() => {});
  const postgres = options.postgres;
  if (options.tracing && !postgres)
    throw new Error("BENCH_TRACING needs DATABASE_URL: tracing is measured on the deployed two-process setup");
  const otlp = options.tracing ? await startOtlpReceiver() : undefined;
  // The system under test, as it is deployed: separate processes (one with PGlite, its only owner).
  const h = await startHarness({
    label: "bench",
    centers: CENTERS,
    products: PRODUCTS,
    postgres,
    app: postgres ? "two-processes" : "one-process",
    restateCluster: options.cluster,
    ...(otlp && { restateEnv: { RESTATE_TRACING_ENDPOINT: otlp.grpcUrl } }),
    env: {
      // BENCH_PROFILE=dir writes a V8 CPU profile of each app process there (see README).
      ...(options.profileDir && { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${options.profileDir}` }),
      ...(otlp && { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.httpUrl }),
    },
    progress,
  });
  let inline: NodeProcess | undefined;
  try {
    const { restate, stripe, processes, url: appUrl } = h;
    const scratchUrl = h.postgresUrl;
    // The scratch database's backends and the server's own processes, not other databases' backends.
    const scratchDb = scratchUrl && decodeURIComponent(new URL(scratchUrl).pathname.slice(1));
    const postgresGroup: ProcessGroup[] =
      scratchDb && isLocal(scratchUrl) ? [{ name: "postgres", pids: () => postgresPidsFor(scratchDb) }] : [];
    const driverGroup: ProcessGroup = { name: DRIVER, pids: () => [process.pid] };
    const withWorkers = (proc: NodeProcess) => () => (proc.pid ? [proc.pid, ...workerPids(proc.pid)] : []);
    const completedAt = scratchUrl ? completedAtReader(scratchUrl) : undefined;

    // Both paths: checkout over HTTP with the shop's key, then the customer pays in the emulator,
    // which delivers the signed webhook. Latency starts just before that delivery.
    const checkout = async (centersPerOrder: number) => {
      const res = await fetch(`${appUrl}/checkout`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${CHILD_SECRETS.SHOP_API_KEY}` },
        body: JSON.stringify({ customerId: "cus_bench", email: "bench@example.com", items: cart(centersPerOrder) }),
      });
      if (res.status !== 201) throw new Error(`checkout ${res.status}: ${await res.text()}`);
      return (await res.json()) as { paymentSessionId: string; stripeCheckoutSessionId: string };
    };
    const pay = async (stripeCheckoutSessionId: string) => {
      const delivery = await stripe.complete(stripeCheckoutSessionId);
      if (delivery.status !== 200) throw new Error(`webhook ${delivery.status}: ${delivery.body}`);
      const body = JSON.parse(delivery.body) as { ignored?: string; invocationId?: string };
      if (body.ignored || !body.invocationId) throw new Error(`webhook did not take the order: ${delivery.body}`);
      return body;
    };

    // Durable: the webhook's 200 means Restate accepted the workflow; the order is done when the
    // workflow's output is ready.
    // The driver shares the machine's cores with the system under test, so it waits for the output
    // with undici's request() (Restate's documented attach endpoint) rather than the clients
    // library's fetch(), which costs ~0.6 ms more CPU per call.
    const attachments = new Agent({ keepAliveTimeout: 30_000 });
    const attach = async (orderId: string): Promise<OrderResult> => {
      const res = await request(
        `${restate.ingressUrl}/restate/workflow/OrderWorkflow/${encodeURIComponent(orderId)}/attach`,
        { dispatcher: attachments },
      );
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`attach ${res.statusCode}: ${text}`);
      return JSON.parse(text) as OrderResult;
    };
    const restateOrder: Order = async (centersPerOrder) => {
      const { paymentSessionId, stripeCheckoutSessionId } = await checkout(centersPerOrder);
      const [t0, webhookAt] = [performance.now(), Date.now()];
      await pay(stripeCheckoutSessionId);
      const result = await attach(paymentSessionId);
      if (result.status !== "completed") throw new Error(`order ended ${result.status}`);
      return { id: paymentSessionId, latencyMs: performance.now() - t0, webhookAt };
    };
    const restateProcesses = () =>
      h.cluster
        ? h.cluster.nodes.flatMap((n) =>
            n.server ? [{ name: `restate-server ${n.name}`, pid: n.server.child.pid! }] : [],
          )
        : [{ name: "restate-server", pid: restate.child.pid! }];
    const durable = await measurePath(
      "restate",
      restateOrder,
      [
        // Every restate-server process (three in a cluster), and each app process with its workers.
        { name: "restate-server", pids: () => restateProcesses().map((p) => p.pid) },
        ...processes.map((proc) => ({ name: proc.name, pids: withWorkers(proc) })),
        ...postgresGroup,
        driverGroup,
      ],
      () => [...restateProcesses(), ...processes.map(({ name, pid }) => ({ name, pid: pid! }))],
      completedAt,
      options,
      progress,
    );

    // The same deployment without durability: Restate's processes stop (which also hands PGlite
    // over), and the inline app takes the app's place: same environment, same port, same database.
    progress("baseline: stopping Restate and the app processes, starting the inline app");
    for (const proc of [...processes].reverse()) await proc.stop();
    await h.stopRestate();
    const inlineName = scratchUrl ? "app" : "app+PGlite";
    inline = nodeProcess({
      name: inlineName,
      script: "bench/inline-app.ts",
      env: h.appEnv,
      logFile: path.join(h.dir, "inline-app.log"),
      ready: httpReady(`${appUrl}/healthz`),
    });
    await inline.start();
    const inlineOrder: Order = async (centersPerOrder) => {
      const { paymentSessionId, stripeCheckoutSessionId } = await checkout(centersPerOrder);
      const [t0, webhookAt] = [performance.now(), Date.now()];
      const body = await pay(stripeCheckoutSessionId); // 200 once the order is done
      if (body.invocationId !== "inline") throw new Error(`not the inline app: ${JSON.stringify(body)}`);
      return { id: paymentSessionId, latencyMs: performance.now() - t0, webhookAt };
    };
    const inlineProc = inline;
    const baseline = await measurePath(
      "baseline",
      inlineOrder,
      [{ name: inlineName, pids: withWorkers(inlineProc) }, ...postgresGroup, driverGroup],
      () => [{ name: inlineName, pid: inlineProc.pid! }],
      completedAt,
      options,
      progress,
    );
    // The inline app's 200 is the order done; its record says so too.
    await expectCompleted(appUrl, baseline.lastOrderIds);

    const { lastOrderIds: _d, ...restateResult } = durable;
    const { lastOrderIds: _b, ...baselineResult } = baseline;
    return {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model ?? "unknown",
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
      },
      database: scratchUrl
        ? isLocal(scratchUrl)
          ? "PostgreSQL (local)"
          : "PostgreSQL"
        : "PGlite (embedded in the app process)",
      tracing: otlp
        ? `on: OTLP from the app processes (http/protobuf) and restate-server (gRPC) to a receiver in the driver; ${otlp.spans.length} spans received`
        : "off (OTEL_EXPORTER_OTLP_ENDPOINT unset)",
      restateSetup: h.cluster
        ? "3-node cluster, replication 2 (restate-cluster/cluster.toml)"
        : "one restate-server (restate.toml)",
      options: {
        orders: options.orders,
        concurrency: options.concurrency,
        oneAtATimeOrders: options.oneAtATimeOrders,
        fanOutOrders: options.fanOutOrders,
        sweep: options.sweep.map((c) => ({ concurrency: c, orders: sweepPointOrders(options, c) })),
        sweepMinOrders: options.sweepMinOrders,
        centersPerOrder: 2,
        warmUp: WARM_UP,
      },
      latency:
        "from just before the signed webhook is delivered to the order completed (Restate: webhook 200, then the workflow's output; baseline: the webhook's 200, sent after inline processing)",
      throughput: "completed orders / wall time of the whole loop (checkout + pay + done)",
      restate: restateResult,
      baseline: baselineResult,
      ratio: {
        throughput: round(durable.ordersPerSecond / baseline.ordersPerSecond, 2),
        p50: round(durable.latencyMs.p50 / baseline.latencyMs.p50, 2),
        p50AtC1: round(durable.oneAtATime.latencyMs.p50 / baseline.oneAtATime.latencyMs.p50, 2),
        cpuPerOrder: round(durable.totalCpuMsPerOrder / baseline.totalCpuMsPerOrder, 2),
        productCpuPerOrder: round(durable.productCpuMsPerOrder / baseline.productCpuMsPerOrder, 2),
        ...(durable.oneAtATimeToStatusMs &&
          baseline.oneAtATimeToStatusMs && {
            p50AtC1ToStatus: round(durable.oneAtATimeToStatusMs.p50 / baseline.oneAtATimeToStatusMs.p50, 2),
          }),
        fanOutGrowth: {
          restate: growth(durable.fanOut),
          baseline: growth(baseline.fanOut),
        },
      },
    };
  } finally {
    await inline?.stop().catch(() => {});
    await h.close().catch(() => {});
    await otlp?.close();
  }
}

export type BenchReport = Awaited<ReturnType<typeof runBench>>;

/** Warm-up, then N at C (CPU measured), C=1, the fan-out widths and the concurrency sweep. */
async function measurePath(
  label: string,
  order: Order,
  groups: ProcessGroup[],
  rssProcesses: () => { name: string; pid: number }[],
  completedAt: CompletedAt | undefined,
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<PathResult & { lastOrderIds: string[] }> {
  const ids: string[] = [];
  let webhooks: { id: string; webhookAt: number }[] = [];
  const timed = (centers: number) => async () => {
    const done = await order(centers);
    ids.push(done.id);
    webhooks.push(done);
    return done.latencyMs;
  };
  progress(`${label}: warming up (${WARM_UP.orders} orders at C=${WARM_UP.concurrency})`);
  await drive(`${label} warm-up`, WARM_UP.orders, WARM_UP.concurrency, timed(2), progress);
  resetOwnPeakRss();
  const privateRss = privateRssSampler(() => [...rssProcesses(), { name: DRIVER, pid: process.pid }]);

  progress(`${label}: ${options.orders} orders at C=${options.concurrency}`);
  const cpu = cpuMeter(groups);
  const main = await drive(label, options.orders, options.concurrency, timed(2), progress);
  const cpuMs = cpu.stop();
  const cpuMsPerOrder = Object.fromEntries(
    Object.entries(cpuMs.groups).map(([k, v]) => [k, round(v / options.orders, 2)]),
  );
  // What else ran on the machine meanwhile, in cores: above a small fraction the figures are contended.
  const otherLoadCores = round(cpuMs.others / 1000 / main.seconds, 2);
  // Everything here shares the machine's cores, so CPU per order sets a ceiling on orders/s.
  const totalCpuMsPerOrder = round(
    Object.values(cpuMsPerOrder).reduce((a, b) => a + b, 0),
    2,
  );
  const cpuCeilingOrdersPerSecond = round((os.cpus().length * 1000) / totalCpuMsPerOrder, 1);
  // The product's own processes: restate-server, the app processes, PostgreSQL; not the driver.
  const productCpuMsPerOrder = round(
    Object.entries(cpuMsPerOrder).reduce((a, [name, v]) => (name === DRIVER ? a : a + v), 0),
    2,
  );

  progress(`${label}: ${options.oneAtATimeOrders} orders one at a time`);
  webhooks = [];
  const oneAtATime = await drive(`${label} C=1`, options.oneAtATimeOrders, 1, timed(2), progress);
  const oneAtATimeToStatusMs = completedAt && (await toStatusLatency(webhooks, completedAt));
  const fanOut: PathResult["fanOut"] = [];
  for (const k of options.fanOut) {
    fanOut.push({ centers: k, ...(await drive(`${label} ${k} centers`, options.fanOutOrders, 1, timed(k), progress)) });
  }
  const sweep: PathResult["sweep"] = [];
  for (const c of options.sweep) {
    const n = sweepPointOrders(options, c);
    progress(`${label}: sweep, ${n} orders at C=${c}`);
    sweep.push({ concurrency: c, ...(await drive(`${label} sweep C=${c}`, n, c, timed(2), progress)) });
  }
  const peakRss = Object.fromEntries(
    [...rssProcesses(), { name: DRIVER, pid: process.pid }].map(({ name, pid }) => [name, peakRssMb(pid)]),
  );
  const peakPrivateRssMb = privateRss.stop();
  const failedInAllPhases = [main, oneAtATime, ...fanOut, ...sweep].reduce((s, p) => s + p.failed, 0);
  return {
    ...main,
    cpuMsPerOrder,
    totalCpuMsPerOrder,
    productCpuMsPerOrder,
    cpuCeilingOrdersPerSecond,
    otherLoadCores,
    peakRssMb: peakRss,
    peakPrivateRssMb,
    oneAtATime,
    ...(oneAtATimeToStatusMs && { oneAtATimeToStatusMs }),
    fanOut,
    sweep,
    failedInAllPhases,
    lastOrderIds: ids.slice(-5),
  };
}

/** Runs `total` orders, `concurrency` at a time; reports throughput and latency. */
async function drive(
  label: string,
  total: number,
  concurrency: number,
  order: () => Promise<number>,
  progress: (line: string) => void,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  let started = 0;
  let failed = 0;
  let firstError: unknown;
  const t0 = performance.now();
  const ticker = setInterval(() => {
    const s = (performance.now() - t0) / 1000;
    progress(`${label}: ${latencies.length + failed}/${total} orders, ${Math.round(latencies.length / s)}/s`);
  }, 1000);
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, total) }, async () => {
        while (started < total) {
          started++;
          try {
            latencies.push(await order());
          } catch (err) {
            failed++;
            firstError ??= err;
          }
        }
      }),
    );
  } finally {
    clearInterval(ticker);
  }
  if (failed) progress(`${label}: ${failed} orders failed, first: ${(firstError as Error)?.message}`);
  const seconds = (performance.now() - t0) / 1000;
  return {
    orders: total,
    failed,
    seconds: round(seconds, 2),
    ordersPerSecond: round(latencies.length / seconds, 1),
    latencyMs: latencySummary(latencies),
  };
}

/** The order page (answered from the database by the inline app) says each order is completed. */
async function expectCompleted(appUrl: string, orderIds: string[]) {
  for (const id of orderIds) {
    const res = await fetch(`${appUrl}/orders/${id}`);
    const body = (await res.json()) as { status?: string };
    if (res.status !== 200 || body.status !== "completed")
      throw new Error(`baseline order ${id}: ${res.status} ${JSON.stringify(body)}`);
  }
}

/** Starts this process's peak RSS (VmHWM) afresh, so each path reports its own (Linux; best effort). */
function resetOwnPeakRss() {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    // not Linux, or not allowed: the peak then covers the whole run
  }
}

/** Reads orders.updated_at, which the completed status sets (db/orders.ts setOrderStatus). */
function completedAtReader(databaseUrl: string): CompletedAt {
  return async (orderIds) => {
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ id: string; at: Date }[]>`
        SELECT id, updated_at AS at FROM orders WHERE id = ANY(${orderIds}) AND status = 'completed'`;
      return new Map(rows.map((r) => [r.id, r.at.getTime()]));
    } finally {
      await sql.end();
    }
  };
}

async function toStatusLatency(orders: { id: string; webhookAt: number }[], completedAt: CompletedAt) {
  const at = await completedAt(orders.map((o) => o.id));
  const missing = orders.filter((o) => !at.has(o.id));
  if (missing.length) throw new Error(`${missing.length} orders have no completed status, e.g. ${missing[0]!.id}`);
  return latencySummary(orders.map((o) => at.get(o.id)! - o.webhookAt));
}

/** The 8-center p50 over the 1-center p50 (undefined when the fan-out does not span both). */
function growth(fanOut: PathResult["fanOut"]) {
  const p50 = (k: number) => fanOut.find((f) => f.centers === k)?.latencyMs.p50;
  const [one, eight] = [p50(1), p50(MAX_CENTERS)];
  return one && eight ? round(eight / one, 2) : undefined;
}

const isLocal = (url: string) => ["127.0.0.1", "localhost", "::1", ""].includes(new URL(url).hostname);
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
