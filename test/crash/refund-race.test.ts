// A full refund racing the hand-off, while the app process (service endpoint + HTTP app, and PGlite
// when there is no DATABASE_URL) is SIGKILLed and started again. Orders are paid, then refunded in
// the Stripe emulator after a delay that varies per order, so some refunds land before the hand-off
// gate, some after, some while the process is down (Stripe redelivers). Per order, exactly one of:
//   stopped before the hand-off: refunded, no stock taken, nothing sent, one "refunded" email; or
//   after it: handed off, one "refunded after hand-off" incident per center, no "refunded" email.
// Never both, never neither.
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emailOutbox, fulfillmentRequests, inventoryMovements, orders, products } from "../../db/schema.ts";
import { incidents } from "../../db/schema-signals.ts";
import { CHILD_SECRETS, startHarness } from "../../dev/harness.ts";
import type { Delivery } from "../../dev/stripe-emulator/index.ts";
import { parseEnv } from "../../src/config.ts";
import { isRefundIncident } from "../../src/domain/stripe-signals.ts";
import { formatReport } from "../support/exactly-once.ts";
import { pool } from "../support/pool.ts";
import { QUICK_RECOVERY } from "../support/stack.ts";
import { letTimePass, until } from "../support/wait.ts";

const ORDERS = z.coerce.number().int().positive().default(40).parse(process.env.REFUND_RACE_ORDERS);
const KILLS = 3;
const STOCK = 10_000;
const CENTERS = [
  { id: "fc-east", name: "East", leadTimeDays: 2 },
  { id: "fc-west", name: "West", leadTimeDays: 4 },
];
const ITEMS = [
  { productId: "sku-a", quantity: 2 },
  { productId: "sku-c", quantity: 1 },
];

let h: Awaited<ReturnType<typeof harness>>;
async function harness() {
  const started = await startHarness({
    label: "refund-race",
    centers: CENTERS,
    products: [
      { id: "sku-a", name: "A", priceCents: 500, currency: "usd", fulfillmentCenterId: "fc-east", stock: STOCK },
      { id: "sku-c", name: "C", priceCents: 700, currency: "usd", fulfillmentCenterId: "fc-west", stock: STOCK },
    ],
    postgres: parseEnv().DATABASE_URL,
    restateEnv: QUICK_RECOVERY,
    app: "one-process",
    env: { STEP_RETRY_MAX_MS: "500" },
  });
  return Object.assign(started, { app: started.processes[0]! });
}
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

/** What Stripe does with each event: deliver, and redeliver until the webhook answers 2xx. */
async function untilAccepted(first: Delivery) {
  for (let d = first; d.status !== 200; d = await h.stripe.resend(d.eventId)) await letTimePass(150);
}

const admin = async (id: string) => {
  try {
    const res = await fetch(`${h.url}/admin/orders/${id}`, {
      headers: { authorization: `Bearer ${CHILD_SECRETS.ADMIN_TOKEN}` },
      signal: AbortSignal.timeout(5_000),
    });
    return res.ok ? ((await res.json()) as { status: string; incidents: { step: string }[] }) : undefined;
  } catch {
    return undefined; // the app process is being restarted
  }
};
/** Settled: stopped as refunded, or completed with its incident about the refund at every center. */
const settled = (o: Awaited<ReturnType<typeof admin>>) =>
  o?.status === "refunded" ||
  (o?.status === "completed" && o.incidents.filter((i) => isRefundIncident(i.step)).length === CENTERS.length);

describe(`a full refund racing the hand-off, ${ORDERS} orders, the app process SIGKILLed ${KILLS} times`, () => {
  it("stops each order before the hand-off (stock restored: none taken) or opens incidents after it, never both, never neither", async () => {
    const placed: { id: string; cs: string }[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const res = await fetch(`${h.url}/checkout`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${CHILD_SECRETS.SHOP_API_KEY}` },
        body: JSON.stringify({ customerId: `cus_${i}`, email: `c${i}@example.com`, items: ITEMS }),
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { paymentSessionId: string; stripeCheckoutSessionId: string };
      placed.push({ id: body.paymentSessionId, cs: body.stripeCheckoutSessionId });
    }

    let refunded = 0;
    const racing = pool([...placed.entries()], 6, async ([i, o]) => {
      await untilAccepted(await h.stripe.complete(o.cs));
      // 0 to 280 ms after the payment was accepted: the gate runs some ms after it, so both sides happen.
      await letTimePass((i % 8) * 40);
      const refund = await h.stripe.refund(o.cs);
      for (const d of refund.deliveries) await untilAccepted(d);
      refunded++;
    });
    const killing = (async () => {
      for (let k = 0; k < KILLS; k++) {
        await until(() => refunded >= ((k + 1) * ORDERS) / (KILLS + 1));
        await h.app.kill();
        await letTimePass(200); // down for a moment while refunds keep coming (Stripe redelivers)
        await h.app.start();
      }
    })();
    await Promise.all([racing, killing]);

    const pending = new Set(placed.map((o) => o.id));
    await until(
      async () => {
        await pool([...pending], 6, async (id) => {
          if (settled(await admin(id))) pending.delete(id);
        });
        return pending.size === 0;
      },
      { timeoutMs: 180_000, intervalMs: 250 },
    ).catch(() => {});
    expect([...pending], "orders not settled").toEqual([]);

    const db = await h.database();
    const [rows, moves, sent, outbox, opened, stock] = await Promise.all([
      db.select().from(orders),
      db.select().from(inventoryMovements),
      db.select().from(fulfillmentRequests),
      db.select().from(emailOutbox),
      db.select().from(incidents),
      db.select().from(products),
    ]);
    const problems: string[] = [];
    let before = 0;
    let after = 0;
    for (const { id } of placed) {
      const row = rows.find((r) => r.id === id);
      const stopped = {
        refunded: row?.status === "refunded",
        noStock: !moves.some((m) => m.orderId === id),
        nothingSent: !sent.some((s) => s.orderId === id) && !h.centers.accepted().some((a) => a.order.orderId === id),
        oneEmail: outbox.filter((e) => e.orderId === id && e.kind === "refunded").length === 1,
      };
      const refundIncidents = opened.filter((i) => i.orderId === id && isRefundIncident(i.step));
      const handedOff = {
        marked: row?.handedOffAt != null,
        incidentPerCenter: CENTERS.every((c) => refundIncidents.filter((i) => i.centerId === c.id).length === 1),
        noRefundedEmail: !outbox.some((e) => e.orderId === id && e.kind === "refunded"),
        stockTaken: moves.filter((m) => m.orderId === id).length === ITEMS.length,
      };
      const isBefore = Object.values(stopped).every(Boolean);
      const isAfter = Object.values(handedOff).every(Boolean);
      if (isBefore === isAfter) problems.push(`${id}: ${JSON.stringify({ status: row?.status, stopped, handedOff })}`);
      if (isBefore) before++;
      if (isAfter) after++;
    }
    for (const p of stock) {
      const sold = ITEMS.find((i) => i.productId === p.id)!.quantity * after;
      if (p.stock !== STOCK - sold) problems.push(`${p.id}: stock ${p.stock}, expected ${STOCK - sold}`);
    }
    console.log(
      formatReport("refund racing the hand-off", {
        orders: ORDERS,
        "stopped before the hand-off (refunded)": before,
        "incidents after the hand-off": after,
        "app process starts": h.app.starts,
        problems: problems.length,
      }),
    );
    expect(problems).toEqual([]);
  }, 600_000);
});
