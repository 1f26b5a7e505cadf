// The order workflow end to end through its front door (checkout, then Stripe's signed webhook):
// real restate-server, real database, real HTTP and SMTP, with stand-ins only for Stripe, Slack and
// the fulfillment centers. The workflow's rules themselves are specified in test/workflow; here,
// what only the real adapters show (stock in the database, the centers' HTTP answers, SMTP, Slack).
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fulfillmentsFor } from "../../db/fulfillment.ts";
import { incidentsFor } from "../../db/incidents.ts";
import { movementsFor } from "../../db/inventory.ts";
import { emailsFor } from "../../db/outbox.ts";
import { orderHistory } from "../../db/schema.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { quietFor } from "../support/wait.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const stockOf = (id: string) => stack.stockOf(id);

describe("a paid order", () => {
  it("ships from three centers, takes stock exactly, confirms once and records history", async () => {
    const before = {
      mug: await stockOf("sku-mug"),
      pen: await stockOf("sku-pen"),
      tee: await stockOf("sku-tee"),
      cap: await stockOf("sku-cap"),
    };
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

    const accepted = stack.acceptedFor(id);
    expect(accepted.map((a) => a.centerId).sort()).toEqual(["fc-east", "fc-north", "fc-west"]);
    expect((await fulfillmentsFor(stack.db, id)).map((f) => f.outcome)).toEqual(["accepted", "accepted", "accepted"]);

    // The latest arrival of the three centers (West has the longest lead time).
    const latest = order.shipments
      .map((s) => s.estimatedArrival)
      .sort()
      .at(-1);
    expect(order.estimatedArrival).toBe(latest);
    const mails = stack.smtp.for(id);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain(id);
    expect(mails[0]!.text).toContain(`Estimated arrival: ${order.estimatedArrival}`);

    const history = await stack.shop("GET", "/customers/cus_test/orders");
    const record = history.body.orders.find((o: { orderId: string }) => o.orderId === id);
    expect(record).toMatchObject({
      orderId: id,
      amountTotal: 2 * 1200 + 5 * 300 + 2500 + 3 * 1800,
      estimatedArrival: order.estimatedArrival,
    });
    expect(order.steps.map((s: { name: string }) => s.name)).toEqual(
      expect.arrayContaining([
        "load payment session",
        "verify payment",
        "update inventory fc-east",
        "send to fc-west",
        "email confirmation",
        "record history",
      ]),
    );
  });
});

describe("a fulfillment center in trouble", () => {
  it("is retried after a 500 and the order completes", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout([
      { productId: "sku-tee", quantity: 1 },
    ]);
    stack.centers.script("fc-west", [{ status: 500, body: { error: "try later" } }]);
    const deliveriesBefore = stack.centers.deliveries();
    await stack.stripe.complete(stripeCheckoutSessionId);

    const order = await stack.waitForStatus(id, ["completed", "needs_attention"]);
    expect(order.status).toBe("completed");
    expect(stack.centers.deliveries() - deliveriesBefore).toBe(2); // the 500, then the 200
    expect(stack.acceptedFor(id)).toHaveLength(1);
  });

  it("that rejects an order (422) reaches an operator: an incident on record, a Slack post, the admin list", async () => {
    // What the workflow does around the incident (the other centers still ship, nothing is
    // confirmed, the operator's choices) is specified in test/workflow.
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(
      [
        { productId: "sku-mug", quantity: 1 },
        { productId: "sku-cap", quantity: 1 },
      ],
      "cus_rejected",
    );
    stack.centers.script("fc-north", [{ status: 422, body: { error: "address not serviceable" } }]);
    await stack.stripe.complete(stripeCheckoutSessionId);

    const order = await stack.waitForStatus(id, ["needs_attention"]);
    expect(order.incident).toMatchObject({ step: "send to fc-north", error: expect.stringContaining("422") });
    expect(await incidentsFor(stack.db, id)).toEqual([
      expect.objectContaining({ step: "send to fc-north", status: "open", customerId: "cus_rejected" }),
    ]);
    await expect.poll(() => stack.slack.posts.filter((p) => p.text.includes(id)).length, { timeout: 10_000 }).toBe(1);
    const open = await stack.admin("GET", "/admin/incidents");
    expect(open.body.incidents.map((i: { orderId: string }) => i.orderId)).toContain(id);
    // No confirmation while it waits; the one email is the support team's, about the incident.
    expect((await emailsFor(stack.db, id)).map((e: { kind: string }) => e.kind)).toEqual([
      `support:${open.body.incidents.find((i: { orderId: string }) => i.orderId === id).id}`,
    ]);
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
    await quietFor(300); // a late redelivery must start nothing: give it the time it would take

    expect(await stockOf("sku-mug")).toBe(before.mug - 1);
    expect(await stockOf("sku-cap")).toBe(before.cap - 2);
    expect(stack.acceptedFor(id)).toHaveLength(2);
    expect(stack.smtp.for(id)).toHaveLength(1);
    expect(await stack.db.select().from(orderHistory).where(eq(orderHistory.orderId, id))).toHaveLength(1);
  });
});
