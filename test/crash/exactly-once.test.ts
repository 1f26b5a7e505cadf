// Nothing lost, nothing doubled. 200 orders go through the webhook while the app process (service
// endpoint + HTTP app, and PGlite when there is no DATABASE_URL) or restate-server is killed with
// SIGKILL and started again, several times. Afterwards every order is completed, or in
// needs_attention where a failure was injected, and every effect happened exactly once.
// Then, with the app as the victim, the centers report on every shipment they were handed —
// `shipped` twice with one event id, `delivered`, for some a late `shipped` — while the app is
// killed twice more: every shipment ends delivered, with one shipped email each and one delivered
// email per order.
import { z } from "zod";
import { createRestateAdmin } from "../../src/adapters/restate-admin.ts";
import { parseEnv } from "../../src/config.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHILD_SECRETS, startHarness } from "../../dev/harness.ts";
import { exactlyOnceCheck, formatReport, shipmentsCheck, type SentShipment } from "../support/exactly-once.ts";
import { pool } from "../support/pool.ts";
import { letTimePass, until } from "../support/wait.ts";
import { QUICK_RECOVERY } from "../support/stack.ts";

// CRASH_ORDERS changes the size (a quick local run: CRASH_ORDERS=40).
const ORDERS = z.coerce.number().int().positive().default(200).parse(process.env.CRASH_ORDERS);
const KILLS = 4;
/** More kills of the app while the centers' shipment events arrive. */
const EVENT_KILLS = 2;
const CONCURRENCY = 10;
const STOCK = 100_000;

const CENTERS = [
  { id: "fc-east", name: "East", leadTimeDays: 2 },
  { id: "fc-west", name: "West", leadTimeDays: 4 },
  { id: "fc-north", name: "North", leadTimeDays: 3 },
  { id: "fc-reject", name: "Always rejects", leadTimeDays: 1 }, // the injected failure
];
const PRODUCTS = [
  { id: "sku-a", center: "fc-east" },
  { id: "sku-b", center: "fc-east" },
  { id: "sku-c", center: "fc-west" },
  { id: "sku-d", center: "fc-north" },
  { id: "sku-x", center: "fc-reject" },
];

/** A deterministic mix: one to four products over one to four centers; about 1 in 25 is rejected. */
function cart(i: number) {
  const items = [{ productId: "sku-a", quantity: (i % 3) + 1 }];
  if (i % 2 === 0) items.push({ productId: "sku-c", quantity: 1 });
  if (i % 3 === 0) items.push({ productId: "sku-d", quantity: 2 });
  if (i % 5 === 0) items.push({ productId: "sku-b", quantity: 1 });
  if (i % 25 === 7) items.push({ productId: "sku-x", quantity: 1 });
  return items;
}
const centerOf = (productId: string) => PRODUCTS.find((p) => p.id === productId)!.center;

/** The whole system with the app as one child process (dev/start.ts), so it can be SIGKILLed. */
async function harness() {
  const h = await startHarness({
    label: "crash",
    centers: CENTERS,
    products: PRODUCTS.map((p) => ({
      id: p.id,
      name: p.id,
      priceCents: 500,
      currency: "usd",
      fulfillmentCenterId: p.center,
      stock: STOCK,
    })),
    postgres: parseEnv().DATABASE_URL,
    restateEnv: QUICK_RECOVERY,
    app: "one-process",
    env: { STEP_RETRY_MAX_MS: "500" },
  });
  h.centers.script(
    "fc-reject",
    Array.from({ length: 5_000 }, () => ({ status: 422, body: { error: "we do not ship this" } })),
  );
  const app = h.processes[0]!;
  return Object.assign(h, {
    app,
    async restartRestate() {
      await h.stopRestate(true);
      await letTimePass(200); // down for a moment, as after a crash, while orders keep coming
      await h.startRestate();
    },
    async restartApp() {
      await app.kill();
      await letTimePass(200); // down for a moment, as after a crash, while orders keep coming
      await app.start();
    },
  });
}
type Harness = Awaited<ReturnType<typeof harness>>;

/** What Stripe does: deliver, and redeliver until the webhook answers 2xx. */
async function payLikeStripe(h: Harness, checkoutSessionId: string): Promise<number> {
  let delivery = await h.stripe.complete(checkoutSessionId);
  let deliveries = 1;
  while (delivery.status !== 200) {
    await letTimePass(150); // Stripe's pause before it redelivers
    delivery = await h.stripe.resend(delivery.eventId);
    deliveries++;
  }
  return deliveries;
}

async function statusOf(h: Harness, id: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${h.url}/orders/${id}`, { signal: AbortSignal.timeout(5_000) });
    return res.ok ? ((await res.json()) as { status: string }).status : undefined;
  } catch {
    return undefined; // the app process is being restarted
  }
}

async function runWithKills(h: Harness, victim: "app" | "restate") {
  const orders: { id: string; cs: string; items: ReturnType<typeof cart> }[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const items = cart(i);
    const res = await fetch(`${h.url}/checkout`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${CHILD_SECRETS.SHOP_API_KEY}` },
      body: JSON.stringify({ customerId: `cus_${i % 17}`, email: `c${i}@example.com`, items }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { paymentSessionId: string; stripeCheckoutSessionId: string };
    orders.push({ id: body.paymentSessionId, cs: body.stripeCheckoutSessionId, items });
  }

  let webhookDeliveries = 0;
  let paid = 0;
  const paying = pool(orders, CONCURRENCY, async (o) => {
    webhookDeliveries += await payLikeStripe(h, o.cs);
    paid++;
  });
  const killing = (async () => {
    for (let k = 0; k < KILLS; k++) {
      // Kill while orders are in flight: spread over the payment phase.
      await until(() => paid >= ((k + 1) * ORDERS) / (KILLS + 1));
      await (victim === "app" ? h.restartApp() : h.restartRestate());
    }
  })();
  await Promise.all([paying, killing]);

  const pending = new Set(orders.map((o) => o.id));
  const final = new Map<string, string>();
  const settled = async () => {
    await pool([...pending], CONCURRENCY, async (id) => {
      const status = await statusOf(h, id);
      if (status === "completed" || status === "needs_attention") {
        final.set(id, status);
        pending.delete(id);
      }
    });
    return pending.size === 0;
  };
  // Orders still pending after the wait are named by verify().
  await until(settled, { timeoutMs: 180_000, intervalMs: 250 }).catch(() => {});
  return { orders, final, pending, webhookDeliveries };
}

async function verify(h: Harness, run: Awaited<ReturnType<typeof runWithKills>>, label: string) {
  expect([...run.pending], "orders still not settled").toEqual([]);
  const { problems, counts } = await exactlyOnceCheck({
    db: await h.database(),
    centers: h.centers,
    smtp: h.smtp,
    orders: run.orders,
    final: run.final,
    centerOf,
    initialStock: STOCK,
    rejected: (o) => o.items.some((i) => i.productId === "sku-x"),
    rejecting: (center) => center === "fc-reject",
  });
  const report = {
    run: label,
    ...counts,
    "app process starts": h.app.starts,
    "webhook deliveries (with Stripe retries)": run.webhookDeliveries,
  };
  console.log(formatReport(`exactly-once check, ${label}`, report));
  expect(problems).toEqual([]);
}

/**
 * What a center does: sign and send one event (through the stand-in's control endpoint, which
 * reports what postpay answered), and send it again, same event id, until postpay answers 200.
 * Gives the number of attempts.
 */
async function sendLikeACenter(h: Harness, centerId: string, event: Record<string, string>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const answer = await fetch(`${h.centers.url}/_control/centers/${centerId}/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(event),
    }).then((res) => res.json() as Promise<{ status: number; body: unknown }>);
    // No answer (status 0: postpay is being restarted), 429 or 5xx: try again. Any other answer is
    // final, and only 200 is right.
    if (answer.status !== 0 && answer.status < 500 && answer.status !== 429) {
      expect(answer, `${centerId} ${event.status} ${event.eventId} for ${event.orderId}`).toMatchObject({
        status: 200,
      });
      return attempt;
    }
    await letTimePass(150); // the center's pause before it sends again
  }
}

/**
 * Every handed-over shipment of the run, reported by its center: `shipped` twice (one event id, the
 * second a redelivery sent at the same time), `delivered`, and for every third order a `shipped`
 * that arrives after `delivered` (it happened earlier; it is recorded and changes nothing).
 */
async function reportShipments(h: Harness, run: Awaited<ReturnType<typeof runWithKills>>) {
  const shipments: (SentShipment & { late: boolean })[] = run.orders.flatMap((o, i) =>
    [...new Set(o.items.map((item) => centerOf(item.productId)))]
      .filter((center) => center !== "fc-reject") // never handed over there
      .map((centerId) => ({ orderId: o.id, centerId, eventIds: [] as string[], late: i % 3 === 0 })),
  );
  const start = Date.parse("2026-12-04T09:00:00Z");
  const at = (minutes: number) => new Date(start + minutes * 60_000).toISOString();
  let sends = 0;
  let reported = 0;
  const reporting = pool(shipments, CONCURRENCY, async (s) => {
    const event = (status: string, name: string, occurredAt: string) => {
      const eventId = `evt_${s.orderId}_${s.centerId}_${name}`;
      if (!s.eventIds.includes(eventId)) s.eventIds.push(eventId);
      return { orderId: s.orderId, status, eventId, occurredAt };
    };
    const shipped = event("shipped", "shipped", at(60));
    const counts = await Promise.all([
      sendLikeACenter(h, s.centerId, shipped),
      sendLikeACenter(h, s.centerId, shipped),
    ]);
    counts.push(await sendLikeACenter(h, s.centerId, event("delivered", "delivered", at(600))));
    if (s.late) counts.push(await sendLikeACenter(h, s.centerId, event("shipped", "shipped-again", at(30))));
    sends += counts.reduce((a, b) => a + b, 0);
    reported++;
  });
  const killing = (async () => {
    for (let k = 0; k < EVENT_KILLS; k++) {
      await until(() => reported >= ((k + 1) * shipments.length) / (EVENT_KILLS + 1));
      await h.restartApp();
    }
  })();
  await Promise.all([reporting, killing]);

  // Every event was answered 200, so it is recorded and Restate has it: wait for its effects.
  const wholeOrders = new Set([...run.final].filter(([, status]) => status === "completed").map(([id]) => id));
  const delivered = async (orderId: string) => {
    const res = await fetch(`${h.url}/orders/${orderId}`).catch(() => undefined);
    const page = res?.ok ? ((await res.json()) as { shipments: { status: string }[] }) : undefined;
    return page?.shipments.every((s) => s.status === "delivered") ?? false;
  };
  const mailed = (text: string) => h.smtp.received.some((m) => m.text.includes(text));
  const pending = new Set(run.orders.map((o) => o.id));
  await until(
    async () => {
      await pool([...pending], CONCURRENCY, async (id) => {
        const emails = shipments
          .filter((s) => s.orderId === id)
          .map((s) => `order ${id} has shipped from ${s.centerId}.`);
        if (wholeOrders.has(id)) emails.push(`Every parcel of your order ${id} has been delivered.`);
        if ((await delivered(id)) && emails.every(mailed)) pending.delete(id);
      });
      return pending.size === 0;
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  ).catch(() => {}); // what is still missing is named by shipmentsCheck
  // A late event changes nothing the page or the mail shows, so it may still be on its way through
  // Restate (an invocation retried after a kill): wait until Restate has run every event it
  // accepted. Asked of Restate, not the database: opening PGlite here stops the app processes,
  // which would strand an invocation still in flight (a CI run once did exactly that).
  const admin = createRestateAdmin(h.restate.adminUrl);
  await until(
    async () =>
      (
        await admin.query<{ n: number }>(
          "SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = 'Shipments' AND target_handler_name = 'event' AND status != 'completed'",
        )
      )[0]?.n === 0,
    { timeoutMs: 60_000, intervalMs: 250 },
  ).catch(() => {}); // one never applied is named by shipmentsCheck
  return { shipments, wholeOrders, sends };
}

describe.each([
  ["the app process (service endpoint + HTTP app)", "app" as const],
  ["restate-server", "restate" as const],
])(`SIGKILL of %s ${KILLS} times during ${ORDERS} orders`, (_label, victim) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("leaves every order completed (or needs_attention where injected) with each effect exactly once", async () => {
    const run = await runWithKills(h, victim);
    if (victim === "app") {
      const reported = await reportShipments(h, run);
      await verify(h, run, `kill ${victim}`);
      const db = await h.database();
      const { problems, counts } = await shipmentsCheck({ db, smtp: h.smtp, ...reported });
      const report = {
        ...counts,
        "event sends (with duplicates, out of order, center retries)": reported.sends,
        "app process starts": h.app.starts,
      };
      console.log(formatReport(`exactly-once check of shipment events, kill app ${EVENT_KILLS} more times`, report));
      expect(problems).toEqual([]);
    } else await verify(h, run, `kill ${victim}`);
  }, 600_000);
});
