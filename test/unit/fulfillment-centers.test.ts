// The fulfillment-center stand-in, over real HTTP: the contract's order endpoint, idempotent like a
// real order API, with scripted faults that the workflow's retry and rejection paths are tested with.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFulfillmentCenters } from "../../dev/fulfillment-centers.ts";
import type { FulfillmentCenters } from "../../dev/fulfillment-centers.ts";

const order = (orderId: string, centerId = "fc-east") => ({
  orderId,
  centerId,
  items: [
    { productId: "sku-1", name: "Widget", quantity: 2 },
    { productId: "sku-2", name: "Gadget", quantity: 1 },
  ],
  customer: { id: "cus-ada", email: "ada@example.com" },
  shipTo: {
    name: "Ada Lovelace",
    line1: "12 St James's Square",
    city: "London",
    postalCode: "SW1Y 4JH",
    country: "GB",
  },
});

type Body = Record<string, unknown>;

describe("fulfillment centers stand-in", () => {
  let centers: FulfillmentCenters;

  beforeAll(async () => {
    centers = await startFulfillmentCenters({
      port: 0,
      centers: [
        { id: "fc-east", leadTimeDays: 2 },
        { id: "fc-west", leadTimeDays: 5 },
      ],
      // Late on New Year's Eve (UTC), so lead times cross a month and a year.
      today: () => new Date("2030-12-31T23:30:00Z"),
    });
  });
  afterAll(async () => {
    await centers?.close();
  });

  const send = async (body: unknown, opts: { center?: string; key?: string | null; signal?: AbortSignal } = {}) => {
    const o = body as { orderId?: string; centerId?: string };
    const center = opts.center ?? o.centerId ?? "fc-east";
    const key = opts.key === undefined ? `${o.orderId}:${o.centerId}` : opts.key;
    const res = await fetch(centers.orderUrl(center), {
      method: "POST",
      headers: { "content-type": "application/json", ...(key !== null && { "idempotency-key": key }) },
      body: typeof body === "string" ? body : JSON.stringify(body),
      ...(opts.signal && { signal: opts.signal }),
    });
    const text = await res.text();
    let json: Body = {};
    try {
      json = JSON.parse(text) as Body;
    } catch {
      json = { text };
    }
    return { status: res.status, json };
  };
  const acceptedFor = (key: string) => centers.accepted().filter((a) => a.idempotencyKey === key);

  it("serves each center at /centers/:id/orders on a loopback port", () => {
    expect(centers.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(centers.orderUrl("fc-west")).toBe(`${centers.url}/centers/fc-west/orders`);
  });

  it("accepts an order and answers a shipment arriving after the center's lead time (UTC days)", async () => {
    const east = await send(order("ord-happy"));
    expect(east.status).toBe(201);
    expect(east.json).toEqual({ shipmentId: expect.stringMatching(/^shp_[0-9a-f]+$/), estimatedArrival: "2031-01-02" });

    const west = await send(order("ord-happy", "fc-west"));
    expect(west.json.estimatedArrival).toBe("2031-01-05");
    expect(west.json.shipmentId).not.toBe(east.json.shipmentId);

    expect(acceptedFor("ord-happy:fc-east")).toEqual([
      expect.objectContaining({ centerId: "fc-east", order: order("ord-happy"), shipmentId: east.json.shipmentId }),
    ]);
  });

  it("replays the stored shipment for a repeated Idempotency-Key and records one accepted order", async () => {
    const first = await send(order("ord-replay"));
    // Same order with keys in another order: still the same request.
    const { shipTo, customer, items, centerId, orderId } = order("ord-replay");
    const again = await send({ shipTo, customer, items, centerId, orderId });
    expect(again).toEqual(first);
    expect(acceptedFor("ord-replay:fc-east")).toHaveLength(1);
    expect(centers.deliveriesFor("ord-replay:fc-east")).toBe(2);
  });

  it("answers 422 when an Idempotency-Key is reused for a different order", async () => {
    await send(order("ord-clash"));
    const changed = { ...order("ord-clash"), items: [{ productId: "sku-1", name: "Widget", quantity: 99 }] };
    const clash = await send(changed);
    expect(clash.status).toBe(422);
    expect(clash.json).toMatchObject({ error: { code: "idempotency_key_reused" } });
    expect(acceptedFor("ord-clash:fc-east")[0]?.order.items[0]?.quantity).toBe(2);
  });

  it("plays a scripted 500 first, then handles the retry normally", async () => {
    centers.script("fc-east", [{ status: 500 }]);
    const failed = await send(order("ord-flaky"));
    expect(failed.status).toBe(500);
    expect(acceptedFor("ord-flaky:fc-east")).toHaveLength(0);

    const retried = await send(order("ord-flaky"));
    expect(retried.status).toBe(201);
    expect(acceptedFor("ord-flaky:fc-east")).toHaveLength(1);
    expect(centers.deliveriesFor("ord-flaky:fc-east")).toBe(2);
  });

  it("plays a scripted 422 rejection with its body, even for a key it already accepted", async () => {
    await send(order("ord-reject"));
    centers.script("fc-east", [
      { status: 422, body: { error: { code: "address_unserviceable", message: "cannot ship there" } } },
    ]);
    const rejected = await send(order("ord-reject"));
    expect(rejected).toEqual({
      status: 422,
      json: { error: { code: "address_unserviceable", message: "cannot ship there" } },
    });
    // The script is one-shot: the next request is back to the idempotent replay.
    expect((await send(order("ord-reject"))).status).toBe(201);
  });

  it("keeps scripts per center", async () => {
    centers.script("fc-west", [{ status: 503 }]);
    expect((await send(order("ord-per-center"))).status).toBe(201);
    expect((await send(order("ord-per-center", "fc-west"))).status).toBe(503);
    expect((await send(order("ord-per-center", "fc-west"))).status).toBe(201);
  });

  it("a slow 2xx still takes the order after the caller timed out, so the retry gets the same shipment", async () => {
    centers.script("fc-east", [{ status: 201, delayMs: 300 }]);
    await expect(send(order("ord-slow"), { signal: AbortSignal.timeout(50) })).rejects.toThrow();
    await expect.poll(() => acceptedFor("ord-slow:fc-east").length).toBe(1);
    const taken = acceptedFor("ord-slow:fc-east");

    const retry = await send(order("ord-slow"));
    expect(retry.json.shipmentId).toBe(taken[0]!.shipmentId);
  });

  it("rejects a request without Idempotency-Key, a malformed body or a mismatched key with 400", async () => {
    const before = centers.accepted().length;
    expect((await send(order("ord-nokey"), { key: null })).status).toBe(400);
    expect((await send("{not json")).status).toBe(400);
    const noItems = await send({ ...order("ord-empty"), items: [] });
    expect(noItems.status).toBe(400);
    expect(noItems.json).toMatchObject({ error: { code: "invalid_order" } });
    expect((await send(order("ord-badkey"), { key: "something-else" })).status).toBe(400);
    expect((await send(order("ord-wrong-center"), { center: "fc-west" })).status).toBe(400);
    expect(centers.accepted().length).toBe(before);
  });

  it("answers 404 for an unknown center and counts every request it received", async () => {
    const before = centers.deliveries();
    expect((await send(order("ord-nowhere", "fc-mars"))).status).toBe(404);
    expect(centers.deliveries()).toBe(before + 1);
    expect(() => centers.script("fc-mars", [{ status: 500 }])).toThrow(/unknown/);
  });

  it("exposes scripting and the accepted list over HTTP for other processes", async () => {
    const scripted = await fetch(`${centers.url}/_control/centers/fc-east/script`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ responses: [{ status: 429 }] }),
    });
    expect(scripted.status).toBe(200);
    expect((await send(order("ord-control"))).status).toBe(429);
    expect((await send(order("ord-control"))).status).toBe(201);

    const list = (await (await fetch(`${centers.url}/_control/accepted`)).json()) as { idempotencyKey: string }[];
    expect(list.filter((a) => a.idempotencyKey === "ord-control:fc-east")).toHaveLength(1);
    expect(list).toHaveLength(centers.accepted().length);

    const badScript = await fetch(`${centers.url}/_control/centers/fc-east/script`, {
      method: "POST",
      body: JSON.stringify({ responses: [{ status: 42 }] }),
    });
    expect(badScript.status).toBe(400);
  });

  it("has a page for people: break a center (reject, outage) and clear it again", async () => {
    const page = await (await fetch(`${centers.url}/`)).text();
    expect(page).toContain("Reject the next order (422)");
    const press = (center: string, mode: string) =>
      fetch(`${centers.url}/_control/centers/${center}/page`, {
        method: "POST",
        body: new URLSearchParams({ mode }),
        redirect: "manual",
      });

    expect((await press("fc-west", "reject")).status).toBe(303);
    const rejected = await send(order("ord-page", "fc-west"));
    expect(rejected.status).toBe(422);
    expect((await send(order("ord-page", "fc-west"))).status).toBe(201);

    await press("fc-west", "outage");
    expect(await (await fetch(`${centers.url}/`)).text()).toContain("5 scripted answer(s) queued");
    expect((await send(order("ord-page-2", "fc-west"))).status).toBe(503);
    await press("fc-west", "clear");
    expect((await send(order("ord-page-2", "fc-west"))).status).toBe(201);

    expect((await press("fc-nowhere", "reject")).status).toBe(404);
    expect((await press("fc-west", "explode")).status).toBe(400);
  });
});
