// An order in needs_attention waits durably for an operator: retry, skip or abandon, through the
// admin API or straight through Restate. Each decision is recorded on its incident.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fulfillmentsFor } from "../../db/fulfillment.ts";
import { incidentsFor } from "../../db/incidents.ts";
import { findOrderHistory } from "../../db/order-history.ts";
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

describe("the admin API", () => {
  it("answers a missing or wrong bearer token with 401", async () => {
    const id = await orderStuckAtNorth("cus_auth");
    const missing = await stack.api("POST", `/admin/orders/${id}/resolution`, { action: "retry" });
    const wrong = await stack.api("POST", `/admin/orders/${id}/resolution`, { action: "retry" }, { authorization: "Bearer nope" });
    const basic = await stack.api("GET", "/admin/incidents", undefined, { authorization: "Basic dXNlcjpwYXNz" });
    expect([missing.status, wrong.status, basic.status]).toEqual([401, 401, 401]);
    expect(missing.body.error.code).toBe("unauthorized");
    expect((await stack.api("GET", `/orders/${id}`)).body.status).toBe("needs_attention");
  });

  it("rejects an unknown action with 400 and an order without an open incident with 409", async () => {
    const id = await orderStuckAtNorth("cus_bad_decision");
    expect((await decide(id, { action: "refund" })).status).toBe(400);
    const { paymentSessionId: done, stripeCheckoutSessionId } = await stack.checkout([{ productId: "sku-pen", quantity: 1 }]);
    await stack.pay(stripeCheckoutSessionId);
    await stack.waitForStatus(done, ["completed"]);
    const res = await decide(done, { action: "retry" });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/no open incident/);
  });
});

describe("an operator decision", () => {
  it("retry runs the failed step again; a second failure opens a new incident", async () => {
    const id = await orderStuckAtNorth("cus_retry");
    stack.centers.script("fc-north", [{ status: 422, body: { error: "still not serviceable" } }]);
    const first = await decide(id, { action: "retry", note: "address fixed?" });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ action: "retry", step: "send to fc-north" });

    await expect.poll(async () => (await incidentsFor(stack.db, id)).length, { timeout: 10_000 }).toBe(2);
    const waiting = await stack.waitForStatus(id, ["needs_attention"]);
    expect(waiting.incident!.error).toContain("still not serviceable");

    // A resent first decision names incident #1, which is no longer open: refused, nothing happens.
    const stale = await decide(id, { action: "abandon", incidentId: `${id}#1` });
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toContain("is not the open one");

    expect((await decide(id, { action: "retry", note: "address fixed for real", incidentId: `${id}#2` })).status).toBe(200);
    await stack.waitForStatus(id, ["completed"]);
    expect((await findOrder(stack.db, id))?.status).toBe("completed");
    const incidents = await incidentsFor(stack.db, id);
    expect(incidents.map((i) => [i.status, i.resolution, i.note])).toEqual([
      ["resolved", "retry", "address fixed?"],
      ["resolved", "retry", "address fixed for real"],
    ]);
    expect(stack.centers.accepted().filter((a) => a.order.orderId === id)).toHaveLength(2);
    expect(stack.smtp.for(id)).toHaveLength(1);
  });

  it("skip marks the step done by hand and the order completes with an arrival date", async () => {
    const id = await orderStuckAtNorth("cus_skip");
    expect((await decide(id, { action: "skip", note: "shipped from the store" })).status).toBe(200);
    const order = await stack.waitForStatus(id, ["completed"]);
    expect(order.steps).toContainEqual(expect.objectContaining({ name: "send to fc-north", status: "skipped" }));
    const north = (await fulfillmentsFor(stack.db, id)).find((f) => f.centerId === "fc-north");
    expect(north).toMatchObject({ outcome: "manual", shipmentId: null });
    expect(order.estimatedArrival).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(stack.smtp.for(id)[0]!.text).toContain(`Estimated arrival: ${order.estimatedArrival}`);
    expect((await incidentsFor(stack.db, id))[0]).toMatchObject({ resolution: "skip", note: "shipped from the store", status: "resolved" });
  });

  it("abandon ends the order as abandoned: no confirmation, no history, nothing reversed", async () => {
    const id = await orderStuckAtNorth("cus_abandon");
    expect((await decide(id, { action: "abandon", note: "customer called" })).status).toBe(200);
    await stack.waitForStatus(id, ["abandoned"]);
    expect(stack.smtp.for(id)).toHaveLength(0);
    expect(await findOrderHistory(stack.db, id)).toBeUndefined();
    expect((await findOrder(stack.db, id))?.status).toBe("abandoned");
    expect(stack.centers.accepted().filter((a) => a.order.orderId === id).map((a) => a.centerId)).toEqual(["fc-east"]);
    expect((await incidentsFor(stack.db, id))[0]).toMatchObject({ resolution: "abandon", note: "customer called" });
  });

  it("cannot be forged through Restate's ingress: with nothing recorded it is refused and the order keeps waiting", async () => {
    const id = await orderStuckAtNorth("cus_ingress");
    const res = await fetch(`${stack.restate.ingressUrl}/OrderWorkflow/${id}/resolve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "skip", note: "via curl" }),
    });
    expect(res.status).toBe(403);
    expect((await stack.waitForStatus(id, ["needs_attention"])).incidents[0]!.decision).toBeNull();
    expect((await incidentsFor(stack.db, id))[0]).toMatchObject({ status: "open", resolution: null });

    // The same decision through the admin API is recorded with who made it, then acted on.
    expect((await decide(id, { action: "skip", note: "via the admin API" })).status).toBe(200);
    const done = await stack.waitForStatus(id, ["completed"]);
    expect(done.incidents[0]!.decision).toMatchObject({ action: "skip", note: "via the admin API", decidedBy: "admin", via: "admin-api" });
  });

  it("survives restate-server being killed and the service endpoint restarting while the order waits", async () => {
    const id = await orderStuckAtNorth("cus_restart");
    await stack.stopRestate(true);
    await stack.restartServices();
    await stack.startRestate();
    expect((await stack.api("GET", `/orders/${id}`)).body.status).toBe("needs_attention");
    expect((await decide(id, { action: "retry" })).status).toBe(200);
    await stack.waitForStatus(id, ["completed"]);
    expect(stack.smtp.for(id)).toHaveLength(1);
  });
});
