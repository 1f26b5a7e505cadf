// Failover on a replicated Restate cluster. Three restate-server nodes (replication 2), the
// service endpoint as two worker processes (SERVICE_WORKERS=2) and the HTTP app as separate
// processes on PostgreSQL, the app given all three ingress URLs. Hundreds of orders go through
// checkout and Stripe's signed webhook (redelivered like Stripe until it gets a 200) while the node
// leading the most partitions and one service worker are SIGKILLed; the node is started again
// later. Every order must complete with each effect exactly once (the crash test's counts). It
// prints the failover it saw: the longest gap between two consecutive order completions, the
// slowest webhook delivery to succeed, and how many deliveries needed a retry.
//
// PostgreSQL: DATABASE_URL, or a server the test starts from npm (test/support/postgres.ts); the
// run gets a scratch database of its own there. FAILOVER_ORDERS changes the size.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { CHILD_SECRETS, startHarness } from "../../dev/harness.ts";
import { workerPids } from "../../dev/node-process.ts";
import { exactlyOnceCheck, formatReport, type PlacedOrder } from "../support/exactly-once.ts";
import { pool } from "../support/pool.ts";
import { postgresServer } from "../support/postgres.ts";
import { QUICK_RECOVERY } from "../support/stack.ts";
import { letTimePass, quietFor, until } from "../support/wait.ts";

const ORDERS = z.coerce.number().int().positive().default(600).parse(process.env.FAILOVER_ORDERS);
const CONCURRENCY = 16;
/** At most this many orders paid and not yet complete: a steady stream, so a stall shows. */
const IN_FLIGHT = 48;
const STOCK = 1_000_000;

const CENTERS = [
  { id: "fc-east", name: "East", leadTimeDays: 2 },
  { id: "fc-west", name: "West", leadTimeDays: 4 },
  { id: "fc-north", name: "North", leadTimeDays: 3 },
];
const PRODUCTS = [
  { id: "sku-a", center: "fc-east" },
  { id: "sku-b", center: "fc-east" },
  { id: "sku-c", center: "fc-west" },
  { id: "sku-d", center: "fc-north" },
];
const centerOf = (productId: string) => PRODUCTS.find((p) => p.id === productId)!.center;

/** One to four products over one to three centers. */
function cart(i: number) {
  const items = [{ productId: "sku-a", quantity: (i % 3) + 1 }];
  if (i % 2 === 0) items.push({ productId: "sku-c", quantity: 1 });
  if (i % 3 === 0) items.push({ productId: "sku-d", quantity: 2 });
  if (i % 5 === 0) items.push({ productId: "sku-b", quantity: 1 });
  return items;
}

async function harness(postgres: string) {
  return startHarness({
    label: "failover",
    centers: CENTERS,
    products: PRODUCTS.map((p) => ({
      id: p.id,
      name: p.id,
      priceCents: 500,
      currency: "usd",
      fulfillmentCenterId: p.center,
      stock: STOCK,
    })),
    postgres,
    restateCluster: true,
    restateEnv: QUICK_RECOVERY,
    app: "two-processes",
    // The order page is rate limited per client (300/min by default); this test polls it for every order.
    env: { SERVICE_WORKERS: "2", STEP_RETRY_MAX_MS: "500", HTTP_TIMEOUT_MS: "5000", PUBLIC_RATE_LIMIT: "100000" },
  });
}
type Harness = Awaited<ReturnType<typeof harness>>;

function completionsPer(windowMs: number, times: number[]): number[] {
  const buckets: number[] = [];
  for (const t of times) buckets[Math.floor(t / windowMs)] = (buckets[Math.floor(t / windowMs)] ?? 0) + 1;
  return Array.from(buckets, (n) => n ?? 0);
}

describe(`a 3-node Restate cluster, ${ORDERS} orders in flight`, () => {
  let server: Awaited<ReturnType<typeof postgresServer>>;
  let h: Harness;
  beforeAll(async () => {
    server = await postgresServer("failover");
    h = await harness(server.url);
  });
  afterAll(async () => {
    await h?.close();
    await server?.close();
  });

  it("SIGKILL of the busiest leader node and of a service worker loses and doubles nothing", async () => {
    const cluster = h.cluster!;
    const services = h.processes.find((p) => p.name === "services")!;

    // Checkout, as the shop's backend does.
    const orders: (PlacedOrder & { cs: string })[] = [];
    await pool(
      Array.from({ length: ORDERS }, (_, i) => i),
      8,
      async (i) => {
        const items = cart(i);
        const res = await fetch(`${h.url}/checkout`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${CHILD_SECRETS.SHOP_API_KEY}` },
          body: JSON.stringify({ customerId: `cus_${i % 17}`, email: `c${i}@example.com`, items }),
        });
        expect(res.status).toBe(201);
        const body = (await res.json()) as { paymentSessionId: string; stripeCheckoutSessionId: string };
        orders.push({ id: body.paymentSessionId, cs: body.stripeCheckoutSessionId, items });
      },
    );

    // An order is complete when its confirmation email arrives (the last step, beside history).
    const t0 = performance.now();
    const completions: number[] = [];
    const paidAt = new Map<string, number>();
    let slowestOrderMs = 0;
    const seen = new Set<string>();
    const watcher = setInterval(() => {
      for (const m of h.smtp.received) {
        if (m.messageId.endsWith(".confirmation@postpay>") && !seen.has(m.messageId)) {
          seen.add(m.messageId);
          completions.push(performance.now() - t0);
          const id = m.messageId.slice(1, -".confirmation@postpay>".length);
          slowestOrderMs = Math.max(slowestOrderMs, performance.now() - (paidAt.get(id) ?? t0));
        }
      }
    }, 10);

    // Stripe: deliver, and redeliver until the webhook answers 200.
    let deliveries = 0;
    let retriedOrders = 0;
    let slowestDeliveryMs = 0;
    let paid = 0;
    const paying = pool(orders, CONCURRENCY, async (o) => {
      await until(() => paid - seen.size < IN_FLIGHT, { intervalMs: 5 });
      const start = performance.now();
      let delivery = await h.stripe.complete(o.cs);
      deliveries++;
      if (delivery.status !== 200) retriedOrders++;
      while (delivery.status !== 200) {
        if (performance.now() - start > 90_000)
          throw new Error(`webhook for ${o.id} still ${delivery.status} after 90 s: ${delivery.body}`);
        await letTimePass(200); // Stripe's pause before it redelivers
        delivery = await h.stripe.resend(delivery.eventId);
        deliveries++;
      }
      slowestDeliveryMs = Math.max(slowestDeliveryMs, performance.now() - start);
      paidAt.set(o.id, performance.now());
      paid++;
    });

    // The failures, spread over the run while orders are being paid and processed.
    const events: string[] = [];
    const at = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
    const progress = () => seen.size;
    const chaos = (async () => {
      await until(() => progress() >= ORDERS * 0.25);
      const before = await cluster.status();
      const victim = await cluster.busiestLeader();
      const led = [...before.leaders].filter(([, n]) => n === victim.id).map(([p]) => p);
      const killedAt = performance.now();
      await cluster.kill(victim.id);
      events.push(
        `${at()}: SIGKILL ${victim.name} (leading partitions ${led.join(", ")} of ${before.partitions}; ${paid} paid, ${seen.size} completed)`,
      );
      // Until the two nodes left report a leader for every partition again and answer queries.
      const taken = await cluster.waitReady(60_000);
      const leaderlessMs = performance.now() - killedAt;
      events.push(
        `${at()}: every partition led again (${[...taken.leaders].map(([p, n]) => `P${p}→N${n}`).join(" ")})`,
      );

      await until(() => progress() >= ORDERS * 0.45);
      const workers = workerPids(services.pid!);
      expect(workers.length, "service worker processes").toBe(2);
      process.kill(workers[0]!, "SIGKILL");
      events.push(`${at()}: SIGKILL service worker ${workers[0]} (${paid} paid, ${seen.size} completed)`);

      await until(() => progress() >= ORDERS * 0.65);
      await cluster.start(victim.id);
      const after = await cluster.waitReady(90_000);
      events.push(
        `${at()}: ${victim.name} back, cluster ready again (leaders ${[...after.leaders].map(([p, n]) => `P${p}→N${n}`).join(" ")})`,
      );
      return { victim, led, leaderlessMs };
    })();
    const [, { victim, led, leaderlessMs }] = await Promise.all([paying, chaos]);

    // Wait until every order has settled.
    const final = new Map<string, string>();
    const pending = new Set(orders.map((o) => o.id));
    const settled = async () => {
      await pool([...pending], 8, async (id) => {
        const res = await fetch(`${h.url}/orders/${id}`, { signal: AbortSignal.timeout(10_000) }).catch(
          () => undefined,
        );
        const status = res?.ok ? ((await res.json()) as { status: string }).status : undefined;
        if (status === "completed" || status === "needs_attention") {
          final.set(id, status);
          pending.delete(id);
        }
      });
      return pending.size === 0;
    };
    // Orders still pending after the wait are named by the expectation below.
    await until(settled, { timeoutMs: 150_000, intervalMs: 500 }).catch(() => {});
    await quietFor(200); // a confirmation sent twice would reach the SMTP sink and the watcher by now
    clearInterval(watcher);
    const elapsedS = (performance.now() - t0) / 1000;

    const gaps = completions.slice(1).map((t, i) => t - completions[i]!);
    const longestGap = Math.max(0, ...gaps);
    const gapEndsAt = completions[gaps.indexOf(longestGap) + 1] ?? 0;
    const { problems, counts } = await exactlyOnceCheck({
      db: await h.database(),
      centers: h.centers,
      smtp: h.smtp,
      orders,
      final,
      centerOf,
      initialStock: STOCK,
    });
    console.log(
      [
        ...events,
        formatReport("failover on a 3-node cluster", {
          "killed node (busiest leader)": `${victim.name}, led ${led.length} of ${(await cluster.status()).partitions} partitions`,
          "service worker processes after the kill": workerPids(services.pid!).length,
          "failover: node killed → every partition led again (ms)": Math.round(leaderlessMs),
          "longest gap between two order completions (ms)": `${Math.round(longestGap)} (ending at ${(gapEndsAt / 1000).toFixed(1)} s)`,
          "slowest webhook delivery to a 200, retries included (ms)": Math.round(slowestDeliveryMs),
          "slowest order, webhook accepted to confirmation sent (ms)": Math.round(slowestOrderMs),
          "completions per 5 s": completionsPer(5000, completions).join(" "),
          "orders whose first webhook delivery was refused (retried)": retriedOrders,
          "webhook deliveries in all": deliveries,
          "seconds from first payment to all settled": elapsedS.toFixed(1),
          ...counts,
        }),
      ].join("\n"),
    );
    expect([...pending], "orders still not settled").toEqual([]);
    expect(problems).toEqual([]);
    expect(led.length, "the killed node led partitions").toBeGreaterThan(0);
    expect(workerPids(services.pid!).length, "the dead worker was replaced").toBe(2);
  }, 300_000);
});
