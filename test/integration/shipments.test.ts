// An order's life after the hand-off, end to end: the stand-in centers report through their control
// endpoint (signed events to the real door), restate-server runs the Shipments object, the real SMTP
// sink counts the emails, and operators settle exceptions through the admin API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incidentsFor } from "../../db/incidents.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { quietFor } from "../support/wait.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

type Shipment = {
  centerId: string;
  status: string;
  carrier: string | null;
  trackingNumber: string | null;
  trackingUrl: string | null;
  shippedAt: string | null;
  deliveredAt: string | null;
};
type Report = { orderId: string; status: "shipped" | "delivered" | "exception"; eventId?: string; note?: string };

/** As a center's staff would, through the stand-in's control endpoint: it signs and sends the event. */
async function report(centerId: string, body: Report) {
  const res = await fetch(`${stack.centers.url}/_control/centers/${centerId}/events`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const sent = (await res.json()) as { status: number; event: { eventId: string; trackingNumber?: string } };
  expect(sent.status).toBe(200);
  return sent.event;
}

const orderPage = async (id: string) =>
  (await stack.api("GET", `/orders/${id}`)).body as { fulfillment: string; shipments: Shipment[] };
const until = (id: string, fulfillment: string) =>
  expect.poll(async () => (await orderPage(id)).fulfillment, { timeout: 15_000 }).toBe(fulfillment);
const mails = (id: string, subject: RegExp) => stack.smtp.for(id).filter((m) => subject.test(m.subject));

/** An order's page in the console, as a signed-in operator reads it. */
async function consolePage(id: string) {
  const signIn = await fetch(`${stack.http.url}/console/sign-in`, {
    method: "POST",
    headers: { origin: stack.http.url, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: stack.config.adminToken }),
    redirect: "manual",
  });
  const cookie = signIn.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  return (await fetch(`${stack.http.url}/console/orders/${encodeURIComponent(id)}`, { headers: { cookie } })).text();
}

async function completedOrder(items: { productId: string; quantity: number }[], customerId: string) {
  const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(items, customerId);
  await stack.pay(stripeCheckoutSessionId);
  await stack.waitForStatus(id, ["completed"]);
  return id;
}

describe("an order shipped from two centers", () => {
  it("is followed to delivered: one shipped email per shipment, one delivered email, under duplicate events", async () => {
    const id = await completedOrder(
      [
        { productId: "sku-mug", quantity: 1 },
        { productId: "sku-tee", quantity: 1 },
      ],
      "cus_followed",
    );
    expect(await orderPage(id)).toMatchObject({
      fulfillment: "awaiting_shipment",
      shipments: [expect.objectContaining({ status: "accepted" }), expect.objectContaining({ status: "accepted" })],
    });
    const confirmation = mails(id, /confirmed/);
    expect(confirmation).toHaveLength(1);

    const east = await report("fc-east", { orderId: id, status: "shipped" });
    await report("fc-east", { orderId: id, status: "shipped", eventId: east.eventId }); // redelivered
    await report("fc-east", { orderId: id, status: "shipped" }); // the center said it twice
    await until(id, "partially_shipped");
    const shipped = (await orderPage(id)).shipments.find((s) => s.centerId === "fc-east")!;
    expect(shipped).toMatchObject({
      status: "shipped",
      trackingNumber: east.trackingNumber,
      trackingUrl: expect.stringMatching(/^https:\/\//),
      carrier: expect.any(String),
      shippedAt: expect.any(String),
      deliveredAt: null,
    });

    await report("fc-west", { orderId: id, status: "shipped" });
    await until(id, "shipped");
    await report("fc-east", { orderId: id, status: "delivered" });
    await expect
      .poll(async () => (await orderPage(id)).shipments.find((s) => s.centerId === "fc-east")?.status, {
        timeout: 15_000,
      })
      .toBe("delivered");
    await quietFor(1000); // duplicates would show by now
    expect(await orderPage(id)).toMatchObject({ fulfillment: "shipped" });
    expect(mails(id, /delivered/)).toEqual([]); // not while fc-west's parcel is on its way
    const westDelivered = await report("fc-west", { orderId: id, status: "delivered" });
    await report("fc-west", { orderId: id, status: "delivered", eventId: westDelivered.eventId });
    await report("fc-west", { orderId: id, status: "delivered" });
    await report("fc-east", { orderId: id, status: "shipped" }); // late
    await until(id, "delivered");
    await quietFor(1000); // duplicates would show by now

    const page = await orderPage(id);
    expect(page.shipments.map((s) => [s.centerId, s.status])).toEqual([
      ["fc-east", "delivered"],
      ["fc-west", "delivered"],
    ]);
    expect(page.shipments.every((s) => s.deliveredAt && s.shippedAt)).toBe(true);
    expect(JSON.stringify(page)).not.toContain("@example.com");
    const shippedMails = mails(id, /shipped/);
    expect(shippedMails.map((m) => (m.text.includes("fc-east") ? "fc-east" : "fc-west")).sort()).toEqual([
      "fc-east",
      "fc-west",
    ]);
    expect(shippedMails.find((m) => m.text.includes("fc-east"))!.text).toContain(east.trackingNumber!);
    expect(mails(id, /delivered/)).toHaveLength(1);
    expect(stack.smtp.for(id)).toHaveLength(4); // confirmed, 2 × shipped, delivered

    // The operators' console shows the same, from the same rows.
    const html = await consolePage(id);
    expect(html).toContain(east.trackingNumber!);
    expect(html.match(/data-shipment-status="delivered"/g)).toHaveLength(2);
    expect(html).toContain('id="fulfillment">delivered<');

    const history = await stack.shop("GET", "/customers/cus_followed/orders");
    expect(history.body.orders.find((o: { orderId: string }) => o.orderId === id)).toMatchObject({
      fulfillment: "delivered",
      shipments: [
        expect.objectContaining({ centerId: "fc-east", status: "delivered", trackingNumber: east.trackingNumber }),
        expect.objectContaining({ centerId: "fc-west", status: "delivered" }),
      ],
    });
  });
});

describe("a shipment exception", () => {
  it("opens an incident for an operator; retry sends the order to the center again, skip counts it shipped by hand", async () => {
    const id = await completedOrder([{ productId: "sku-cap", quantity: 1 }], "cus_exception");
    const key = `${id}:fc-north`;
    const sentBefore = stack.centers.deliveriesFor(key);
    const first = await report("fc-north", {
      orderId: id,
      status: "exception",
      note: "parcel damaged in the warehouse",
    });

    const open = await stack.waitForStatus(id, ["completed"], 15_000, (o) => o.incident !== null);
    expect(open.incident).toMatchObject({
      id: `${id}#fc-north#${first.eventId}`,
      step: "shipment fc-north",
      error: "fc-north reported an exception: parcel damaged in the warehouse",
    });
    expect((await stack.admin("GET", "/admin/incidents")).body.incidents.map((i: { id: string }) => i.id)).toContain(
      open.incident!.id,
    );
    await expect
      .poll(() => stack.slack.posts.filter((p) => JSON.stringify(p).includes(id)).length, { timeout: 10_000 })
      .toBe(1);
    expect((await orderPage(id)).shipments[0]).toMatchObject({ status: "exception" });

    // Retry: the center gets the same order under the same Idempotency-Key, and the shipment waits again.
    expect(
      (
        await stack.admin("POST", `/admin/orders/${id}/resolution`, {
          action: "retry",
          note: "center says it is fixed",
        })
      ).status,
    ).toBe(200);
    await expect.poll(async () => (await orderPage(id)).shipments[0]?.status, { timeout: 15_000 }).toBe("accepted");
    expect(stack.centers.deliveriesFor(key)).toBe(sentBefore + 1);
    expect((await incidentsFor(stack.db, id))[0]).toMatchObject({
      status: "resolved",
      resolution: "retry",
      decidedVia: "admin-api",
    });

    // A second exception, settled by hand: shipped without tracking, and the customer is told.
    await report("fc-north", { orderId: id, status: "exception", note: "lost again" });
    await stack.waitForStatus(id, ["completed"], 15_000, (o) => o.incident !== null);
    expect((await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "skip" })).status).toBe(200);
    await until(id, "shipped");
    expect((await orderPage(id)).shipments[0]).toMatchObject({
      status: "shipped",
      trackingNumber: null,
      shippedAt: expect.any(String),
    });
    await expect.poll(() => mails(id, /shipped/).length, { timeout: 10_000 }).toBe(1);
    const incidents = await incidentsFor(stack.db, id);
    expect(incidents.map((i) => [i.status, i.resolution, i.centerId])).toEqual([
      ["resolved", "retry", "fc-north"],
      ["resolved", "skip", "fc-north"],
    ]);
    // The order's own status was never touched: its workflow had finished.
    expect((await stack.waitForStatus(id, ["completed"])).incident).toBeNull();
  });
});
