// The benchmark: paid orders turned into fulfilled orders, through the real path (checkout →
// paid in the Stripe emulator → signed webhook → OrderWorkflow → output ready), beside the same
// steps as plain async calls without Restate. Its own stack (dev/harness.ts): restate-server from
// node_modules, the app processes, the Stripe emulator and the fulfillment centers; PostgreSQL when
// DATABASE_URL is set (a scratch database on that server), PGlite otherwise.
import os from "node:os";
import * as clients from "@restatedev/restate-sdk-clients";
import { CHILD_SECRETS, startHarness } from "../dev/harness.ts";
import { workerPids } from "../dev/node-process.ts";
import type { StripeEmulator } from "../dev/stripe-emulator/index.ts";
import type { OrderWorkflow } from "../services/order-workflow.ts";
import { placeCheckout } from "../src/checkout.ts";
import { parseEnv, servicesConfig } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import { createStripe, createSystemPorts } from "../src/runtime/system.ts";
import { processOrderWithoutRestate } from "./baseline.ts";
import { cpuMeter, latencySummary, peakRssMb, pidsNamed, type ProcessGroup } from "./metrics.ts";

const MAX_CENTERS = 8;
const CENTERS = Array.from({ length: MAX_CENTERS }, (_, i) => ({ id: `fc-${i + 1}`, name: `Center ${i + 1}`, leadTimeDays: i + 1 }));
const PRODUCTS = CENTERS.map((c, i) => ({
  id: `p-${i + 1}`,
  name: `Product ${i + 1}`,
  priceCents: 1000 + i,
  currency: "usd",
  fulfillmentCenterId: c.id,
  stock: 10_000_000,
}));

export type BenchOptions = {
  orders: number; // N at concurrency C
  concurrency: number; // C
  oneAtATimeOrders: number; // orders at C=1 (two centers)
  sweepOrders: number; // orders per fan-out width at C=1
  fanOut: number[];
  /** A PostgreSQL server for a scratch database; PGlite without one. */
  postgres?: string;
  /** A directory for V8 CPU profiles of the app processes. */
  profileDir?: string;
  /** Restate as a replicated 3-node cluster (every node's ingress given to the app). */
  cluster?: boolean;
  progress?: (line: string) => void;
};

export const DEFAULTS: BenchOptions = { orders: 1000, concurrency: 50, oneAtATimeOrders: 100, sweepOrders: 40, fanOut: [1, 2, 4, 8] };

type Latency = ReturnType<typeof latencySummary>;
type PhaseResult = { orders: number; failed: number; seconds: number; ordersPerSecond: number; latencyMs: Latency };

const cart = (centers: number) => Array.from({ length: centers }, (_, i) => ({ productId: `p-${i + 1}`, quantity: 1 }));

export async function runBench(options: BenchOptions) {
  const progress = options.progress ?? (() => {});
  const postgres = options.postgres;
  // The system under test, as it is deployed: separate processes (one with PGlite, its only owner).
  const h = await startHarness({
    label: "bench",
    centers: CENTERS,
    products: PRODUCTS,
    postgres,
    app: postgres ? "two-processes" : "one-process",
    restateCluster: options.cluster,
    // BENCH_PROFILE=dir writes a V8 CPU profile of each app process there (see README).
    env: options.profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${options.profileDir}` } : {},
    progress,
  });
  try {
    const { restate, stripe, processes, url: appUrl } = h;
    const scratchUrl = h.postgresUrl;
    // Every restate-server process (three in a cluster), and each app process with its workers.
    const restatePids = () => (h.cluster ? h.cluster.nodes.flatMap((n) => (n.server ? [n.server.child.pid!] : [])) : [restate.child.pid!]);
    const groups: ProcessGroup[] = [
      { name: "restate-server", pids: restatePids },
      ...processes.map((proc) => ({ name: proc.name, pids: () => [proc.pid!, ...workerPids(proc.pid!)] })),
      ...(scratchUrl && isLocal(scratchUrl) ? [{ name: "postgres", pids: () => pidsNamed("postgres") }] : []),
      { name: "bench driver + stand-ins", pids: () => [process.pid] },
    ];

    const ingress = clients.connect({ url: restate.ingressUrl });
    const restateOrder = async (centersPerOrder: number) => {
      const res = await fetch(`${appUrl}/checkout`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${CHILD_SECRETS.SHOP_API_KEY}` },
        body: JSON.stringify({ customerId: "cus_bench", email: "bench@example.com", items: cart(centersPerOrder) }),
      });
      if (res.status !== 201) throw new Error(`checkout ${res.status}: ${await res.text()}`);
      const { paymentSessionId, stripeCheckoutSessionId } = (await res.json()) as { paymentSessionId: string; stripeCheckoutSessionId: string };
      const delivery = await stripe.complete(stripeCheckoutSessionId);
      if (delivery.status !== 200) throw new Error(`webhook ${delivery.status}: ${delivery.body}`);
      const accepted = performance.now();
      const result = await ingress.workflowClient<OrderWorkflow>({ name: "OrderWorkflow" }, paymentSessionId).workflowAttach();
      if (result.status !== "completed") throw new Error(`order ended ${result.status}`);
      return performance.now() - accepted;
    };

    // Warm-up: JIT, connection pools, Restate partitions.
    progress("warming up");
    await drive("warm-up", 30, 5, () => restateOrder(2), progress);

    progress(`Restate: ${options.orders} orders at C=${options.concurrency}`);
    const cpu = cpuMeter(groups);
    const durable = await drive("restate", options.orders, options.concurrency, () => restateOrder(2), progress);
    const cpuMs = cpu.stop();
    const cpuMsPerOrder = Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, round(v / options.orders, 2)]));
    // Everything here shares the machine's cores, so CPU per order sets a ceiling on orders/s.
    const totalCpuMsPerOrder = round(Object.values(cpuMsPerOrder).reduce((a, b) => a + b, 0), 2);
    const cpuCeilingOrdersPerSecond = round((os.cpus().length * 1000) / totalCpuMsPerOrder, 1);

    progress(`Restate: ${options.oneAtATimeOrders} orders one at a time`);
    const durableC1 = await drive("restate C=1", options.oneAtATimeOrders, 1, () => restateOrder(2), progress);
    const durableFanOut: Record<number, PhaseResult> = {};
    for (const k of options.fanOut) {
      durableFanOut[k] = await drive(`restate ${k} centers`, options.sweepOrders, 1, () => restateOrder(k), progress);
    }
    const restateProcesses = h.cluster
      ? h.cluster.nodes.map((n) => ({ name: `restate-server ${n.name}`, pid: n.server!.child.pid! }))
      : [{ name: "restate-server", pid: restate.child.pid! }];
    const peakRss = Object.fromEntries(
      [...restateProcesses, ...processes.map(({ name, pid }) => ({ name, pid: pid! }))].map(({ name, pid }) => [name, peakRssMb(pid)]),
    );

    // The baseline runs in this process with the same ports; PGlite is handed over first.
    if (!scratchUrl) progress("handing PGlite over to the baseline");
    const db = await h.database();
    const config = baselineConfig(stripe, h.smtp.url);
    const ports = createSystemPorts(config, db, createLogger({ level: "warn", bindings: { component: "baseline" } }));
    const stripeGateway = createStripe(config);
    const plainOrder = async (centersPerOrder: number) => {
      const placed = await placeCheckout({ db, stripe: stripeGateway, publicUrl: config.publicUrl }, {
        customerId: "cus_bench",
        email: "bench@example.com",
        items: cart(centersPerOrder),
      });
      stripe.setWebhookUrl(undefined); // the baseline does not go through the webhook
      await stripe.complete(placed.stripeCheckoutSessionId);
      const paid = performance.now();
      await processOrderWithoutRestate(ports, placed.paymentSessionId);
      return performance.now() - paid;
    };
    progress(`baseline: ${options.orders} orders at C=${options.concurrency}`);
    await drive("baseline warm-up", 30, 5, () => plainOrder(2), progress);
    const baseline = await drive("baseline", options.orders, options.concurrency, () => plainOrder(2), progress);
    const baselineC1 = await drive("baseline C=1", options.oneAtATimeOrders, 1, () => plainOrder(2), progress);
    const baselineFanOut: Record<number, PhaseResult> = {};
    for (const k of options.fanOut) {
      baselineFanOut[k] = await drive(`baseline ${k} centers`, options.sweepOrders, 1, () => plainOrder(k), progress);
    }

    return {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      database: scratchUrl ? (isLocal(scratchUrl) ? "PostgreSQL (local)" : "PostgreSQL") : "PGlite (embedded in the app process)",
      restateSetup: h.cluster ? "3-node cluster, replication 2 (restate-cluster/cluster.toml)" : "one restate-server (restate.toml)",
      options: { orders: options.orders, concurrency: options.concurrency, oneAtATimeOrders: options.oneAtATimeOrders, sweepOrders: options.sweepOrders, centersPerOrder: 2 },
      restate: { ...durable, cpuMsPerOrder, totalCpuMsPerOrder, cpuCeilingOrdersPerSecond, peakRssMb: peakRss },
      baseline,
      ratio: {
        throughput: round(durable.ordersPerSecond / baseline.ordersPerSecond, 2),
        p50: round(durable.latencyMs.p50 / baseline.latencyMs.p50, 2),
      },
      oneAtATime: { restate: durableC1.latencyMs, baseline: baselineC1.latencyMs },
      fanOut: options.fanOut.map((k) => ({ centers: k, restate: durableFanOut[k]!.latencyMs, baseline: baselineFanOut[k]!.latencyMs })),
    };
  } finally {
    await h.close().catch(() => {});
  }
}

export type BenchReport = Awaited<ReturnType<typeof runBench>>;

/** Runs `total` orders, `concurrency` at a time; reports throughput and latency. */
async function drive(label: string, total: number, concurrency: number, order: () => Promise<number>, progress: (line: string) => void): Promise<PhaseResult> {
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
  return { orders: total, failed, seconds: round(seconds, 2), ordersPerSecond: round(latencies.length / seconds, 1), latencyMs: latencySummary(latencies) };
}

function baselineConfig(stripe: StripeEmulator, smtpUrl: string) {
  return servicesConfig(parseEnv({ STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_API_BASE: stripe.url, SMTP_URL: smtpUrl }));
}

const isLocal = (url: string) => ["127.0.0.1", "localhost", "::1", ""].includes(new URL(url).hostname);
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
