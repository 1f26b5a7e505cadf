// The stand-in centers' shipment events, over real HTTP: each center signs with its own secret,
// carries made-up but stable tracking (https), and is driven by its control endpoint and page.
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFulfillmentCenters, type FulfillmentCenters } from "../../dev/fulfillment-centers.ts";
import { serveApp, type ServedApp } from "../../dev/http-server.ts";
import { verifyCenterSignature } from "../../src/adapters/center-signature.ts";
import { CenterEventSchema } from "../../src/domain/shipments.ts";

const secrets = { "fc-east": "east-secret-0123456789abcdef", "fc-west": "west-secret-0123456789abcdef" };
const received: { centerId: string; verified: boolean; event: unknown }[] = [];
let centers: FulfillmentCenters;
let postpay: ServedApp;

beforeAll(async () => {
  // Stands in for postpay's door: checks the signature with the center's secret, as the app does.
  const app = new Hono();
  app.post("/webhooks/centers/:centerId", async (c) => {
    const centerId = c.req.param("centerId") as keyof typeof secrets;
    const raw = await c.req.text();
    received.push({
      centerId,
      verified: verifyCenterSignature(raw, c.req.header("postpay-signature"), secrets[centerId]).ok,
      event: JSON.parse(raw),
    });
    return c.json({ received: true });
  });
  postpay = await serveApp(app);
  centers = await startFulfillmentCenters({
    centers: [
      { id: "fc-east", leadTimeDays: 2 },
      { id: "fc-west", leadTimeDays: 3 },
      { id: "fc-north", leadTimeDays: 1 },
    ],
    eventSecrets: secrets,
  });
  centers.setAppUrl(postpay.url);
});
afterAll(async () => {
  await centers?.close();
  await postpay?.close();
});

const control = async (centerId: string, body: unknown) => {
  const res = await fetch(`${centers.url}/_control/centers/${centerId}/events`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { status: number; event: Record<string, string> } };
};

describe("stand-in center events", () => {
  it("are signed with the sending center's own secret and match the door's schema", async () => {
    const shipped = await control("fc-east", { orderId: "ps_1", status: "shipped" });
    expect(shipped).toMatchObject({ status: 200, body: { status: 200 } });
    const last = received.at(-1)!;
    expect(last).toMatchObject({ centerId: "fc-east", verified: true });
    expect(CenterEventSchema.parse(last.event)).toMatchObject({
      orderId: "ps_1",
      status: "shipped",
      trackingUrl: expect.stringMatching(/^https:\/\//),
    });
    expect(verifyCenterSignature(JSON.stringify(last.event), undefined, secrets["fc-west"]).ok).toBe(false);
  });

  it("keep one parcel's tracking across its events, and repeat an event when given its id", async () => {
    const shipped = (await control("fc-west", { orderId: "ps_2", status: "shipped" })).body.event;
    const delivered = (await control("fc-west", { orderId: "ps_2", status: "delivered" })).body.event;
    expect(delivered.trackingNumber).toBe(shipped.trackingNumber);
    expect(delivered.eventId).not.toBe(shipped.eventId);
    const again = (await control("fc-west", { orderId: "ps_2", status: "delivered", eventId: delivered.eventId })).body
      .event;
    expect(again.eventId).toBe(delivered.eventId);
  });

  it("are refused for a center without a secret, and for a malformed request", async () => {
    expect((await control("fc-north", { orderId: "ps_3", status: "shipped" })).status).toBe(404);
    expect((await control("fc-east", { orderId: "ps_3", status: "lost" })).status).toBe(400);
  });

  it("can be sent from the centers' page, for the orders a center took", async () => {
    const order = {
      orderId: "ps_page",
      centerId: "fc-east",
      items: [{ productId: "sku-1", name: "Widget", quantity: 1 }],
      customer: { id: "cus_1", email: "a@example.com" },
      shipTo: { name: "A", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" },
    };
    await fetch(centers.orderUrl("fc-east"), {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": "ps_page:fc-east" },
      body: JSON.stringify(order),
    });
    const page = await (await fetch(`${centers.url}/`)).text();
    expect(page).toContain("ps_page");
    const res = await fetch(`${centers.url}/_control/centers/fc-east/page`, {
      method: "POST",
      body: new URLSearchParams({ mode: "exception", orderId: "ps_page" }),
      redirect: "manual",
    });
    expect(res.status).toBe(303);
    expect(received.at(-1)).toMatchObject({
      centerId: "fc-east",
      verified: true,
      event: { orderId: "ps_page", status: "exception" },
    });
  });
});
