// The order workflow end to end: real restate-server, real database, real HTTP and SMTP, with
// stand-ins only for Stripe, Slack and the fulfillment centers.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fulfillmentsFor } from "../../db/fulfillment.ts";
import { incidentsFor } from "../../db/incidents.ts";
import { movementsFor } from "../../db/inventory.ts";
import { emailsFor } from "../../db/outbox.ts";
import { orderHistory, products } from "../../db/schema.ts";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const stockOf = async (id: string) =>
  (await stack.db.select({ stock: products.stock }).from(products).where(eq(products.id, id)))[0]!.stock;

describe("a paid order", () => {
  it("ships from three centers, takes stock exactly, confirms once and records history", async () => {
    const before = { mug: await stockOf("sku-mug"), pen: await stockOf("sku-pen"), tee: await stockOf("sku-tee"), cap: await stockOf("sku-cap") };
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout([
      { productId: "sku-mug", quantity: 2 },
      { productId: "sku-pen", quantity: 5 },
      { productId: "sku-tee", quantity: 1 },
      { productId: "sku-cap", quantity: 3 },
    ]);
    const delivery = await stack.stripe.complete(stripeCheckoutSessionId);
    expect(delivery.status).toBe(200);

    const order = await stack.waitForStatus(id, ["completed", "needs_attention"]);
    expect(order.status).toBe("completed");

    expect(await stockOf("sku-mug")).toBe(before.mug - 2);
    expect(await stockOf("sku-pen")).toBe(before.pen - 5);
    expect(await stockOf("sku-tee")).toBe(before.tee - 1);
    expect(await stockOf("sku-cap")).toBe(before.cap - 3);
    expect(await movementsFor(stack.db, id)).toHaveLength(4);

    const accepted = stack.centers.accepted().filter((a) => a.order.orderId === id);
    expect(accepted.map((a) => a.centerId).sort()).toEqual(["fc-east", "fc-north", "fc-west"]);
    expect((await fulfillmentsFor(stack.db, id)).map((f) => f.outcome)).toEqual(["accepted", "accepted", "accepted"]);

    // The latest arrival of the three centers (West has the longest lead time).
    const latest = order.shipments.map((s) => s.estimatedArrival).sort().at(-1);
    expect(order.estimatedArrival).toBe(latest);
    const mails = stack.smtp.for(id);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain(id);
    expect(mails[0]!.text).toContain(`Estimated arrival: ${order.estimatedArrival}`);

    const history = await stack.shop("GET", "/customers/cus_test/orders");
    const record = history.body.orders.find((o: { orderId: string }) => o.orderId === id);
    expect(record).toMatchObject({ orderId: id, amountTotal: 2 * 1200 + 5 * 300 + 2500 + 3 * 1800, estimatedArrival: order.estimatedArrival });
    expect(order.steps.map((s: { name: string }) => s.name)).toEqual(
      expect.arrayContaining(["load payment session", "verify payment", "update inventory fc-east", "send to fc-west", "email confirmation", "record history"]),
    );
  });
});

describe("a payment that is not confirmed", () => {
  it("gets the customer a notice and moves no stock and ships nothing", async () => {
    const before = await stockOf("sku-mug");
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout([{ productId: "sku-mug", quantity: 1 }], "cus_unpaid");
    expect((await stack.stripe.complete(stripeCheckoutSessionId, { paymentStatus: "unpaid" })).status).toBe(200);
    await stack.waitForStatus(id, ["awaiting_payment"]);
    expect((await stack.stripe.asyncResult(stripeCheckoutSessionId, "failed")).status).toBe(200);

    const order = await stack.waitForStatus(id, ["payment_failed"]);
    expect(order.status).toBe("payment_failed");
    const mails = stack.smtp.for(id);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain("could not be confirmed");
    expect(await stockOf("sku-mug")).toBe(before);
    expect(await movementsFor(stack.db, id)).toHaveLength(0);
    expect(stack.centers.accepted().filter((a) => a.order.orderId === id)).toHaveLength(0);
    expect(await stack.db.select().from(orderHistory).where(eq(orderHistory.orderId, id))).toHaveLength(0);
  });
});

describe("a fulfillment center in trouble", () => {
  it("is retried after a 500 and the order completes", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout([{ productId: "sku-tee", quantity: 1 }]);
    stack.centers.script("fc-west", [{ status: 500, body: { error: "try later" } }]);
    const deliveriesBefore = stack.centers.deliveries();
    await stack.stripe.complete(stripeCheckoutSessionId);

    const order = await stack.waitForStatus(id, ["completed", "needs_attention"]);
    expect(order.status).toBe("completed");
    expect(stack.centers.deliveries() - deliveriesBefore).toBe(2); // the 500, then the 200
    expect(stack.centers.accepted().filter((a) => a.order.orderId === id)).toHaveLength(1);
  });

  it("that rejects an order (422) raises an incident and Slack alert, and the other centers still ship", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(
      [
        { productId: "sku-mug", quantity: 1 },
        { productId: "sku-tee", quantity: 1 },
        { productId: "sku-cap", quantity: 1 },
      ],
      "cus_rejected",
    );
    stack.centers.script("fc-north", [{ status: 422, body: { error: "address not serviceable" } }]);
    await stack.stripe.complete(stripeCheckoutSessionId);

    const order = await stack.waitForStatus(id, ["needs_attention"]);
    expect(order.incident).toMatchObject({ step: "send to fc-north" });
    expect(order.incident!.error).toContain("422");

    const incidents = await incidentsFor(stack.db, id);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ step: "send to fc-north", status: "open", customerId: "cus_rejected" });
    const shipped = stack.centers.accepted().filter((a) => a.order.orderId === id).map((a) => a.centerId);
    expect(shipped.sort()).toEqual(["fc-east", "fc-west"]);

    await expect.poll(() => stack.slack.posts.filter((p) => p.text.includes(id)).length, { timeout: 10_000 }).toBe(1);
    const post = stack.slack.posts.find((p) => p.text.includes(id))!;
    expect(post.text).toContain("send to fc-north");
    expect(post.text).toContain("cus_rejected");
    expect(post.text).toContain("restate invocations describe");
    expect(JSON.stringify(post.blocks)).toContain(`/orders/${id}`);

    const open = await stack.admin("GET", "/admin/incidents");
    expect(open.body.incidents.map((i: { orderId: string }) => i.orderId)).toContain(id);
    // No confirmation while it waits; the one email is the support team's, about the incident.
    expect((await emailsFor(stack.db, id)).map((e) => e.kind)).toEqual([`support:${open.body.incidents.find((i: { orderId: string }) => i.orderId === id).id}`]);
  });
});

describe("Stripe delivering the same event more than once", () => {
  it("starts one workflow and applies every effect once, for repeated and concurrent deliveries", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(
      [
        { productId: "sku-mug", quantity: 1 },
        { productId: "sku-cap", quantity: 2 },
      ],
      "cus_dupes",
    );
    const before = { mug: await stockOf("sku-mug"), cap: await stockOf("sku-cap") };
    const first = await stack.stripe.complete(stripeCheckoutSessionId);
    const redeliveries = await Promise.all(Array.from({ length: 5 }, () => stack.stripe.resend(first.eventId)));
    expect(redeliveries.map((d) => d.status)).toEqual([200, 200, 200, 200, 200]);
    const invocationIds = new Set([first, ...redeliveries].map((d) => JSON.parse(d.body).invocationId));
    expect(invocationIds.size).toBe(1);

    await stack.waitForStatus(id, ["completed"]);
    await Promise.all(Array.from({ length: 3 }, () => stack.stripe.resend(first.eventId)));
    await new Promise((r) => setTimeout(r, 300));

    expect(await stockOf("sku-mug")).toBe(before.mug - 1);
    expect(await stockOf("sku-cap")).toBe(before.cap - 2);
    expect(stack.centers.accepted().filter((a) => a.order.orderId === id)).toHaveLength(2);
    expect(stack.smtp.for(id)).toHaveLength(1);
    expect(await stack.db.select().from(orderHistory).where(eq(orderHistory.orderId, id))).toHaveLength(1);
  });
});

describe("the Stripe webhook", () => {
  it("rejects a bad signature with 400 and starts nothing", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout([{ productId: "sku-pen", quantity: 1 }]);
    const event = { id: "evt_forged", type: "checkout.session.completed", data: { object: { id: stripeCheckoutSessionId, client_reference_id: id } } };
    const res = await fetch(`${stack.http.url}/webhooks/stripe`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` },
      body: JSON.stringify(event),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_signature");
    const order = await stack.api("GET", `/orders/${id}`);
    expect(order.body.status).toBe("awaiting_payment");
    expect(order.body.steps).toEqual([]);
  });
});
