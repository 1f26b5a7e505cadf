// POST /webhooks/centers/:centerId has one caller per center and one lock, that center's own
// secret. A verified event is recorded before the order's Shipments object hears of it, and the
// object acts only on recorded events: repeats, late events and calls straight through Restate's
// ingress change nothing.
import { quietFor } from "../support/wait.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findShipmentEvent } from "../../db/shipments.ts";
import { signCenterEvent } from "../../src/adapters/center-signature.ts";
import { createOrderClient } from "../../src/adapters/restate-ingress.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { closedPort, serveSecondApp, viaIngress } from "../support/security.ts";

let stack: Stack;
let handedOver: string; // an order with a shipment at fc-east (and one at fc-west)
beforeAll(async () => {
  stack = await startStack();
  const { paymentSessionId, stripeCheckoutSessionId } = await stack.checkout(
    [
      { productId: "sku-mug", quantity: 1 },
      { productId: "sku-tee", quantity: 1 },
    ],
    "cus_door",
  );
  await stack.pay(stripeCheckoutSessionId);
  await stack.waitForStatus(paymentSessionId, ["completed"]);
  handedOver = paymentSessionId;
});
afterAll(async () => {
  await stack?.close();
});

const now = () => Math.floor(Date.now() / 1000);
let n = 0;
const event = (
  orderId: string,
  status: "shipped" | "delivered" | "exception",
  extra: Record<string, unknown> = {},
) => ({
  eventId: `evt_door_${++n}_${Date.now()}`,
  orderId,
  status,
  occurredAt: new Date().toISOString(),
  ...(status !== "exception" && {
    carrier: "Parcelwise",
    trackingNumber: `PP${n}`,
    trackingUrl: `https://tracking.example.com/PP${n}`,
  }),
  ...extra,
});
const secretOf = (centerId: string) => stack.config.centerWebhookSecrets[centerId]!;

/** POSTs `body` as center `centerId`; signed with its secret now unless told otherwise. */
async function post(
  centerId: string,
  body: unknown,
  sign: { secret?: string; skewSeconds?: number; header?: string | null } = {},
  url = stack.http.url,
) {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const header =
    sign.header === undefined
      ? signCenterEvent(raw, sign.secret ?? secretOf(centerId), now() + (sign.skewSeconds ?? 0))
      : sign.header;
  const res = await fetch(`${url}/webhooks/centers/${centerId}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(header !== null && { "postpay-signature": header }) },
    body: raw,
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as { received?: boolean; error?: { code: string; message: string } },
  };
}

const shipmentOf = async (orderId: string, centerId: string) =>
  (
    (await stack.api("GET", `/orders/${orderId}`)).body.shipments as {
      centerId: string;
      status: string;
      trackingNumber: string | null;
    }[]
  ).find((s) => s.centerId === centerId);
const shippedMails = (orderId: string, centerId: string) =>
  stack.smtp.for(orderId).filter((m) => /shipped/.test(m.subject) && m.text.includes(centerId));

async function paidOrder(items: { productId: string; quantity: number }[], customerId: string) {
  const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(items, customerId);
  await stack.pay(stripeCheckoutSessionId);
  await stack.waitForStatus(id, ["completed"]);
  return id;
}

describe("the signature", () => {
  it("signed with the center's secret: 200, and the shipment moves", async () => {
    const e = event(handedOver, "shipped");
    expect(await post("fc-east", e)).toMatchObject({ status: 200, body: { received: true } });
    await expect
      .poll(() => shipmentOf(handedOver, "fc-east"), { timeout: 15_000 })
      .toMatchObject({ status: "shipped", trackingNumber: e.trackingNumber });
  });

  it.each([
    ["missing", { header: null }],
    ["made with a guessed secret", { secret: "guessed-secret-0123456789abcdef" }],
    ["301 s old", { skewSeconds: -301 }],
    ["301 s ahead", { skewSeconds: 301 }],
    ["malformed", { header: "sha256=abc" }],
  ])("%s: 401, nothing recorded", async (_, sign) => {
    const e = event(handedOver, "delivered");
    const res = await post("fc-west", e, sign);
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe("unauthorized");
    expect(res.body.error?.message).not.toContain(secretOf("fc-west"));
    expect(await findShipmentEvent(stack.db, "fc-west", e.eventId)).toBeUndefined();
  });

  it("of another center never verifies this center's events", async () => {
    const e = event(handedOver, "delivered");
    expect((await post("fc-west", e, { secret: secretOf("fc-east") })).status).toBe(401);
    expect(await findShipmentEvent(stack.db, "fc-west", e.eventId)).toBeUndefined();
  });

  it("a center without a secret has no route: 404", async () => {
    expect((await post("fc-nowhere", event(handedOver, "shipped"), { secret: secretOf("fc-east") })).status).toBe(404);
    const app = await serveSecondApp(stack, {
      shipments: createOrderClient({ ingressUrls: [stack.restate.ingressUrl], timeoutMs: 5000 }),
      centerSecrets: { "fc-east": secretOf("fc-east") },
    });
    try {
      const res = await post("fc-west", event(handedOver, "shipped"), {}, app.url);
      expect(res.status).toBe(404);
    } finally {
      await app.close();
    }
  });
});

describe("a verified event", () => {
  it("sent twice: 200 both times, one shipped email", async () => {
    const id = await paidOrder([{ productId: "sku-cap", quantity: 1 }], "cus_door_twice");
    const e = event(id, "shipped");
    expect((await post("fc-north", e)).status).toBe(200);
    expect((await post("fc-north", e)).status).toBe(200);
    await expect.poll(() => shippedMails(id, "fc-north").length, { timeout: 15_000 }).toBe(1);
    await quietFor(1000); // an effect would show by now
    expect(shippedMails(id, "fc-north")).toHaveLength(1);
  });

  it("out of order: delivered, then a late shipped, stays delivered with one shipped email", async () => {
    const id = await paidOrder([{ productId: "sku-cap", quantity: 1 }], "cus_door_late");
    const delivered = event(id, "delivered");
    expect((await post("fc-north", delivered)).status).toBe(200);
    await expect.poll(() => shipmentOf(id, "fc-north"), { timeout: 15_000 }).toMatchObject({ status: "delivered" });
    expect(
      (await post("fc-north", event(id, "shipped", { occurredAt: new Date(Date.now() - 60_000).toISOString() })))
        .status,
    ).toBe(200);
    await quietFor(1000); // an effect would show by now
    expect(await shipmentOf(id, "fc-north")).toMatchObject({
      status: "delivered",
      trackingNumber: delivered.trackingNumber,
    });
    expect(shippedMails(id, "fc-north")).toHaveLength(1);
    expect(stack.smtp.for(id).filter((m) => /delivered/.test(m.subject))).toHaveLength(1);
  });

  it("for an unknown order, or one with nothing at that center: 404", async () => {
    expect((await post("fc-east", event("ps_nobody", "shipped"))).status).toBe(404);
    const id = await paidOrder([{ productId: "sku-cap", quantity: 1 }], "cus_door_elsewhere");
    const res = await post("fc-east", event(id, "shipped"));
    expect(res).toMatchObject({
      status: 404,
      body: { error: { message: expect.stringContaining("no shipment at fc-east") } },
    });
  });

  it("for a shipment not yet handed to that center: 409, not recorded", async () => {
    const { paymentSessionId: unpaid } = await stack.checkout(
      [{ productId: "sku-mug", quantity: 1 }],
      "cus_door_unpaid",
    );
    const e = event(unpaid, "shipped");
    expect((await post("fc-east", e)).status).toBe(409);
    expect(await findShipmentEvent(stack.db, "fc-east", e.eventId)).toBeUndefined();
  });

  it.each([
    ["not JSON", "{not json"],
    ["missing its status", { eventId: "evt_bad_1", orderId: "x", occurredAt: new Date().toISOString() }],
    ["with an http tracking URL", { ...event("x", "shipped"), trackingUrl: "http://tracking.example.com/1" }],
    ["with a time without offset", { ...event("x", "shipped"), occurredAt: "2026-12-04T10:00:00" }],
  ])("%s: 400", async (_, body) => {
    const res = await post("fc-east", body);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe("invalid_request");
  });

  it("while Restate is unreachable: 503 with Retry-After, recorded, and taken up when the center sends it again", async () => {
    const id = await paidOrder([{ productId: "sku-pen", quantity: 1 }], "cus_door_503");
    const down = createOrderClient({ ingressUrls: [`http://127.0.0.1:${await closedPort()}`], timeoutMs: 1000 });
    const app = await serveSecondApp(stack, { shipments: down, centerSecrets: stack.config.centerWebhookSecrets });
    const e = event(id, "shipped");
    try {
      const res = await post("fc-east", e, {}, app.url);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
    expect(await findShipmentEvent(stack.db, "fc-east", e.eventId)).toMatchObject({ orderId: id, appliedAt: null });
    expect((await post("fc-east", e)).status).toBe(200);
    await expect.poll(() => shipmentOf(id, "fc-east"), { timeout: 15_000 }).toMatchObject({ status: "shipped" });
  });
});

describe("Restate's ingress, reached directly", () => {
  it("changes nothing without a recorded event, or with another order's", async () => {
    const id = await paidOrder([{ productId: "sku-cap", quantity: 1 }], "cus_door_ingress");
    const forged = await viaIngress(stack, `/Shipments/${id}/event`, {
      centerId: "fc-north",
      eventId: "evt_never_recorded",
    });
    expect(forged.status).toBe(403);
    // A real event, recorded for another order, does not move this one.
    const other = event(handedOver, "delivered");
    expect((await post("fc-east", other)).status).toBe(200);
    const borrowed = await viaIngress(stack, `/Shipments/${id}/event`, { centerId: "fc-east", eventId: other.eventId });
    expect(borrowed.status).toBe(403);
    const decided = await viaIngress(stack, `/Shipments/${id}/resolve`, {
      action: "skip",
      incidentId: `${id}#fc-north#evt_x`,
    });
    expect(decided.status).toBe(404);
    expect(await shipmentOf(id, "fc-north")).toMatchObject({ status: "accepted" });
    expect(stack.smtp.for(id).filter((m) => /shipped|delivered/.test(m.subject))).toEqual([]);
  });
});
