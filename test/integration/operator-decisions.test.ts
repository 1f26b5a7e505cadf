// The admin API is a door to a waiting order: an operator's decision there reaches the workflow,
// is recorded on the order's incident, and survives restarts while it waits. What retry, skip and
// abandon each do to an order is specified once, in test/workflow; who may decide, in
// test/security/admin-api.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fulfillmentsFor } from "../../db/fulfillment.ts";
import { incidentsFor } from "../../db/incidents.ts";
import { findOrder } from "../../db/orders.ts";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const orderStuckAtNorth = (customerId: string) => stack.orderStuckAtNorth(customerId);

const decide = (id: string, body: unknown) => stack.admin("POST", `/admin/orders/${id}/resolution`, body);

describe("POST /admin/orders/:id/resolution", () => {
  it("answers an unknown action with 400 and an order without an open incident with 409", async () => {
    const id = await orderStuckAtNorth("cus_bad_decision");
    expect((await decide(id, { action: "refund" })).status).toBe(400);
    const { paymentSessionId: done, stripeCheckoutSessionId } = await stack.checkout([
      { productId: "sku-pen", quantity: 1 },
    ]);
    await stack.pay(stripeCheckoutSessionId);
    await stack.waitForStatus(done, ["completed"]);
    const res = await decide(done, { action: "retry" });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/no open incident/);
  });

  it("reaches the waiting order with retry, skip or abandon, each recorded on its incident with the note", async () => {
    const retried = await orderStuckAtNorth("cus_retry");
    const skipped = await orderStuckAtNorth("cus_skip");
    const abandoned = await orderStuckAtNorth("cus_abandon");

    const answer = await decide(retried, { action: "retry", note: "address fixed" });
    expect(answer).toMatchObject({ status: 200, body: { action: "retry", step: "send to fc-north" } });
    expect((await decide(skipped, { action: "skip", note: "shipped from the store" })).status).toBe(200);
    expect((await decide(abandoned, { action: "abandon", note: "customer called" })).status).toBe(200);

    await stack.waitForStatus(retried, ["completed"]);
    await stack.waitForStatus(skipped, ["completed"]);
    await stack.waitForStatus(abandoned, ["abandoned"]);
    expect((await findOrder(stack.db, abandoned))?.status).toBe("abandoned");
    for (const [id, resolution, note] of [
      [retried, "retry", "address fixed"],
      [skipped, "skip", "shipped from the store"],
      [abandoned, "abandon", "customer called"],
    ] as const) {
      expect(await incidentsFor(stack.db, id)).toEqual([
        expect.objectContaining({ status: "resolved", resolution, note }),
      ]);
    }
    // A skipped shipment is on record as done by hand, with no shipment id from the center.
    expect((await fulfillmentsFor(stack.db, skipped)).find((f) => f.centerId === "fc-north")).toMatchObject({
      outcome: "manual",
      shipmentId: null,
    });
  });

  it("still reaches the order after restate-server was killed and the service endpoint restarted while it waited", async () => {
    const id = await orderStuckAtNorth("cus_restart");
    await stack.stopRestate(true);
    await stack.restartServices();
    await stack.startRestate();
    expect((await stack.api("GET", `/orders/${id}`)).body.status).toBe("needs_attention");
    expect((await decide(id, { action: "retry" })).status).toBe(200);
    await stack.waitForStatus(id, ["completed"]);
    expect(stack.mailsToCustomer(id)).toHaveLength(1);
  });
});
