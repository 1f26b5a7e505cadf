// GET /orders/:id is open to anyone holding the unguessable payment session id, so it answers
// what a customer's order page needs and nothing else (no customer id, no internal error text,
// no Restate invocation id, no incident), answers an unknown id from the database alone, leaving
// nothing in Restate, and is rate limited per client.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrderClient } from "../../src/adapters/restate-ingress.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { closedPort, restateQuery, serveSecondApp } from "../support/security.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const PUBLIC_FIELDS = ["estimatedArrival", "fulfillment", "orderId", "shipments", "status", "steps"];
const SHIPMENT_FIELDS = [
  "carrier",
  "centerId",
  "deliveredAt",
  "estimatedArrival",
  "shipmentId",
  "shippedAt",
  "status",
  "trackingNumber",
  "trackingUrl",
];

/** The order page's answer, with what it must never carry checked. */
async function publicPage(id: string) {
  const res = await stack.api("GET", `/orders/${id}`);
  expect(res.status).toBe(200);
  expect(Object.keys(res.body).sort()).toEqual(PUBLIC_FIELDS);
  for (const step of res.body.steps) expect(Object.keys(step).sort()).toEqual(["at", "name", "status"]);
  return res.body;
}

/** What Restate holds for a workflow key: invocations, state, promises, and its keyed status. */
async function restateRecordsFor(key: string) {
  const q = (sql: string) => restateQuery(stack, sql);
  return {
    invocations: await q(`SELECT id FROM sys_invocation WHERE target_service_key = '${key}'`),
    state: await q(`SELECT key FROM state WHERE service_key = '${key}'`),
    promises: await q(`SELECT key FROM sys_promise WHERE service_key = '${key}'`),
    keyed: await q(`SELECT invocation_id FROM sys_keyed_service_status WHERE service_key = '${key}'`),
  };
}

describe("the public order page", () => {
  it("shows a completed order's status, steps, shipments and arrival, and nothing else", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(
      [
        { productId: "sku-mug", quantity: 1 },
        { productId: "sku-tee", quantity: 1 },
      ],
      "cus_public_ok",
    );
    await stack.pay(stripeCheckoutSessionId);
    const full = await stack.waitForStatus(id, ["completed"]);
    const page = await publicPage(id);
    expect(page).toEqual({
      orderId: id,
      status: "completed",
      steps: full.steps.map(({ name, status, at }) => ({ name, status, at })),
      shipments: full.shipments,
      fulfillment: "awaiting_shipment",
      estimatedArrival: full.estimatedArrival,
    });
    for (const shipment of page.shipments) expect(Object.keys(shipment).sort()).toEqual(SHIPMENT_FIELDS);
    const text = JSON.stringify(page);
    expect(text).not.toContain("cus_public_ok");
    expect(text).not.toContain(full.invocationId!);
    expect(text).not.toContain("@example.com");
  });

  it("shows an order in needs_attention without the incident, its error text, the customer or the invocation", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(
      [{ productId: "sku-cap", quantity: 1 }],
      "cus_public_incident",
    );
    stack.centers.script("fc-north", [
      { status: 422, body: { error: "INTERNAL-DETAIL: dock 7 closed, contact bob@center.example" } },
    ]);
    await stack.pay(stripeCheckoutSessionId);
    const full = await stack.waitForStatus(id, ["needs_attention"]);
    // The operators' view has all of it…
    expect(full.incident?.error).toMatch(/center fc-north answered 422: .*INTERNAL-DETAIL/);
    expect(full.steps.find((s) => s.status === "failed")?.error).toContain("INTERNAL-DETAIL");

    // …the public page has none of it.
    const page = await publicPage(id);
    expect(page.status).toBe("needs_attention");
    expect(page.steps).toContainEqual(expect.objectContaining({ name: "send to fc-north", status: "failed" }));
    const text = JSON.stringify(page);
    // (Step names, like "record incident", are the page's to show; the incident itself is not.)
    for (const secret of [
      "INTERNAL-DETAIL",
      "bob@center.example",
      "cus_public_incident",
      full.invocationId!,
      full.incident!.id,
      "answered",
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it("shows an order that has not started (awaiting payment) from the database, with the same fields", async () => {
    const { paymentSessionId: id } = await stack.checkout(
      [{ productId: "sku-pen", quantity: 1 }],
      "cus_public_waiting",
    );
    expect(await publicPage(id)).toEqual({
      orderId: id,
      status: "awaiting_payment",
      steps: [],
      shipments: [],
      fulfillment: "awaiting_shipment",
      estimatedArrival: null,
    });
  });

  it("answers 404 to an unknown id and leaves nothing in Restate for it", async () => {
    const unknown = "ps_00000000000000000000000000000000";
    for (let i = 0; i < 3; i++) {
      const res = await stack.api("GET", `/orders/${unknown}`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: "not_found", message: "no such order" } });
    }
    expect(await restateRecordsFor(unknown)).toEqual({ invocations: [], state: [], promises: [], keyed: [] });
    // The query sees a real order's records, so the empty answer above means something.
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(
      [{ productId: "sku-pen", quantity: 1 }],
      "cus_public_known",
    );
    await stack.pay(stripeCheckoutSessionId);
    await stack.waitForStatus(id, ["completed"]);
    const known = await restateRecordsFor(id);
    expect(known.invocations.length).toBeGreaterThan(0);
    expect(known.state.length).toBeGreaterThan(0);
  });

  it("answers an unknown id without asking Restate at all (404 even with Restate unreachable)", async () => {
    const app = await serveSecondApp(stack, {
      orders: createOrderClient({ ingressUrls: [`http://127.0.0.1:${await closedPort()}`], timeoutMs: 1000 }),
    });
    try {
      expect((await app.call("GET", "/orders/ps_11111111111111111111111111111111")).status).toBe(404);
      // A known order does need Restate for its live view: the same app says so.
      const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(
        [{ productId: "sku-pen", quantity: 1 }],
        "cus_public_restate_down",
      );
      await stack.pay(stripeCheckoutSessionId);
      await stack.waitForStatus(id, ["completed"]);
      const known = await app.call("GET", `/orders/${id}`);
      expect(known.status).toBe(503);
      expect(known.body.error.code).toBe("restate_unavailable");
      expect(known.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    } finally {
      await app.close();
    }
  });

  it("answers ids that are not ids (too long, odd characters) with 404 and no upstream text", async () => {
    for (const id of ["x".repeat(2000), "ps_'%3B DROP TABLE orders%3B--", "..%2F..%2Fadmin%2Fincidents", "%00"]) {
      const res = await stack.api("GET", `/orders/${id}`);
      expect(res.status, id).toBe(404);
      expect(res.body.error.message).toBe("no such order");
    }
  });
});

describe("the public order page when Restate answers with an error of its own", () => {
  it("says nothing of Restate's words (500, a generic message), and logs them", async () => {
    const { paymentSessionId: id } = await stack.checkout([{ productId: "sku-pen", quantity: 1 }], "cus_restate_words");
    // An ingress answering as Restate does when a handler fails: 400/500 with its own message.
    const words = "invocation inv_1secret failed: handler OrderWorkflow/status threw at services/live-view.ts:42";
    const ingress = http.createServer((_req, res) =>
      res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ message: words })),
    );
    await new Promise<void>((resolve) => ingress.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(ingress.address() as AddressInfo).port}`;
    const app = await serveSecondApp(stack, { orders: createOrderClient({ ingressUrls: [url], timeoutMs: 5000 }) });
    try {
      const res = await app.call("GET", `/orders/${id}`);
      expect(res.status).toBe(500);
      expect(res.text).not.toContain("inv_1secret");
      expect(res.text).not.toContain("OrderWorkflow");
      expect(res.body.error.message).toBe("the order cannot be shown right now; try again shortly");
      expect(app.logs.join("")).toContain("inv_1secret");
    } finally {
      await app.close();
      await new Promise((resolve) => ingress.close(resolve));
    }
  });
});

describe("the public order page's rate limit", () => {
  it("answers 429 with Retry-After once a client has made its allowance of requests, found or not", async () => {
    const { paymentSessionId: id } = await stack.checkout([{ productId: "sku-pen", quantity: 1 }], "cus_public_limit");
    const app = await serveSecondApp(stack, { rateLimit: { limit: 3, windowMs: 60_000 } });
    try {
      const first = [
        await app.call("GET", `/orders/${id}`),
        await app.call("GET", "/orders/ps_unknown_one"),
        await app.call("GET", `/orders/${id}`),
      ];
      expect(first.map((r) => r.status)).toEqual([200, 404, 200]);
      const limited = await app.call("GET", `/orders/${id}`);
      expect(limited.status).toBe(429);
      expect(limited.body.error).toEqual({ code: "rate_limited", message: "too many requests; try again later" });
      const retryAfter = Number(limited.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // Guessing other ids does not get around it.
      expect((await app.call("GET", "/orders/ps_unknown_two")).status).toBe(429);
      // Other surfaces have their own locks, not this limit.
      expect((await app.call("GET", "/healthz")).status).toBe(200);
      expect(
        (await app.call("GET", "/admin/incidents", undefined, { authorization: `Bearer ${stack.config.adminToken}` }))
          .status,
      ).toBe(200);
    } finally {
      await app.close();
    }
  });
});
