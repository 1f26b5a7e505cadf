// The watchdog for silent centers, on a 2-second SHIPMENT_DEADLINE: a shipment handed over and
// not shipped in time opens one incident (Slack, support email, console, admin API) with the usual
// decisions; a center that ships in time opens none; the timer is Restate's, so a restart of the
// service endpoint while it runs loses nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incidentsFor } from "../../db/incidents.ts";
import { startStack, SUPPORT_EMAIL, type Stack } from "../support/stack.ts";
import { quietFor } from "../support/wait.ts";

const DEADLINE_MS = 2000;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ shipmentDeadlineMs: DEADLINE_MS });
});
afterAll(async () => {
  await stack?.close();
});

const WAIT = { timeout: 20_000, interval: 100 };

async function handedOver(customerId: string) {
  const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(
    [{ productId: "sku-mug", quantity: 1 }],
    customerId,
  );
  await stack.pay(stripeCheckoutSessionId);
  await stack.waitForStatus(id, ["completed"]);
  return id;
}

async function report(orderId: string, status: "shipped" | "delivered") {
  const res = await fetch(`${stack.centers.url}/_control/centers/fc-east/events`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ orderId, status }),
  });
  expect(((await res.json()) as { status: number }).status).toBe(200);
}

const silent = async (id: string) =>
  (await incidentsFor(stack.db, id)).filter((i) => i.error.includes("has not shipped"));
const shipmentOf = async (id: string) =>
  ((await stack.api("GET", `/orders/${id}`)).body.shipments as { centerId: string; status: string }[])[0];

describe("a center that does not ship within SHIPMENT_DEADLINE", () => {
  it("opens one incident naming the center, the order and the deadline; retry sends the order again, same key", async () => {
    const id = await handedOver("cus_silent");
    await expect.poll(async () => (await silent(id)).length, WAIT).toBe(1);
    const [incident] = await silent(id);
    expect(incident).toMatchObject({ step: "shipment fc-east", status: "open" });
    expect(incident!.error).toBe(`fc-east has not shipped order ${id} in 2 seconds`);
    // Slack and the support team hear of it; the operators' view shows it to decide.
    await expect
      .poll(() => stack.slack.posts.some((p) => p.text.includes(id) && p.text.includes("shipment fc-east")), WAIT)
      .toBe(true);
    await expect.poll(() => stack.smtp.for(id).filter((m) => m.to.includes(SUPPORT_EMAIL)).length, WAIT).toBe(1);
    const order = await stack.waitForStatus(id, ["completed"], 10_000, (o) => o.incident?.id === incident!.id);
    expect(order.incident?.error).toContain("has not shipped");
    // One incident, however long the center stays silent: the watchdog does not ask twice.
    await quietFor(DEADLINE_MS);
    expect(await silent(id)).toHaveLength(1);

    // Retry: the order goes to the center again under the same Idempotency-Key, and the clock restarts.
    const before = stack.centers.deliveriesFor(`${id}:fc-east`);
    expect((await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "retry" })).status).toBe(200);
    await expect.poll(() => stack.centers.deliveriesFor(`${id}:fc-east`), WAIT).toBe(before + 1);
    expect(stack.centers.accepted().filter((a) => a.order.orderId === id)).toHaveLength(1);
    // Still silent after the new deadline: a second incident, about the new hand-off.
    await expect.poll(async () => (await silent(id)).length, WAIT).toBe(2);
    expect((await silent(id)).map((i) => i.status)).toEqual(["resolved", "open"]);

    // Done by hand: it shipped outside the system.
    expect(
      (await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "skip", note: "sent by courier" })).status,
    ).toBe(200);
    await expect.poll(async () => (await shipmentOf(id))?.status, WAIT).toBe("shipped");
    await quietFor(DEADLINE_MS + 500);
    expect(await silent(id)).toHaveLength(2);
  });

  it("opens none for a center that ships in time, and keeps its watch across a restart of the service endpoint", async () => {
    const shipsInTime = await handedOver("cus_prompt");
    await report(shipsInTime, "shipped");
    const watched = await handedOver("cus_watched_restart");
    await stack.restartServices();
    await expect.poll(async () => (await silent(watched)).length, WAIT).toBe(1);
    await quietFor(DEADLINE_MS);
    expect(await silent(shipsInTime)).toHaveLength(0);
    expect((await shipmentOf(shipsInTime))?.status).toBe("shipped");
    expect((await stack.admin("POST", `/admin/orders/${watched}/resolution`, { action: "abandon" })).status).toBe(200);
    await expect.poll(async () => (await silent(watched)).map((i) => i.status), WAIT).toEqual(["resolved"]);
  });
});
