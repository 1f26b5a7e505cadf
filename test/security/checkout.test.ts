// POST /checkout's errors say enough and no more: out of stock names the product, never how many
// are left; Stripe's refusals and outages, and a database that is down, get a fixed, safe message
// with a status the shop can act on, while the upstream's own words go to the log only. Bounds on
// lengths, quantities and the total are checked before Stripe hears of the checkout.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertCatalog } from "../../db/catalog.ts";
import { openDatabase } from "../../db/client.ts";
import { paymentSessions } from "../../db/schema.ts";
import { MAX_QUANTITY, MAX_TOTAL_CENTS } from "../../src/domain/checkout-pricing.ts";
import { createStripe } from "../../src/runtime/stripe.ts";
import { PRODUCTS, startStack, type Stack } from "../support/stack.ts";
import { closedPort, serveSecondApp } from "../support/security.ts";

const SCARCE = { id: "sku-lamp", name: "Lamp", priceCents: 4000, fulfillmentCenterId: "fc-east", stock: 7 };
const PRICEY = { id: "sku-piano", name: "Piano", priceCents: 10_000_000, fulfillmentCenterId: "fc-west", stock: 100 };
const PRICIEST = {
  id: "sku-yacht",
  name: "Yacht",
  priceCents: MAX_TOTAL_CENTS,
  fulfillmentCenterId: "fc-west",
  stock: 5,
};

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ products: [...PRODUCTS, SCARCE, PRICEY, PRICIEST] });
});
afterAll(async () => {
  await stack?.close();
});

type Cart = { customerId: string; email: string; items: { productId: string; quantity: number }[] };
const cart = (customerId: string, items: Cart["items"]): Cart => ({
  customerId,
  email: `${customerId}@example.com`,
  items,
});
const sessionsOf = (customerId: string) =>
  stack.db.select().from(paymentSessions).where(eq(paymentSessions.customerId, customerId));

/** Expects a refusal that reached neither Stripe nor the database. */
async function expectRefusedBeforeStripe(body: unknown, status: number, code: string) {
  const before = stack.stripe.sessionCount();
  const res = await stack.shop("POST", "/checkout", body);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(stack.stripe.sessionCount()).toBe(before);
  return res;
}

/** A stand-in for api.stripe.com that answers every request with `answer`. */
async function fakeStripe(answer: (res: http.ServerResponse) => void) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => answer(res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A second app whose Stripe is at `apiBase`, with a short cut-off. */
const appWithStripeAt = (apiBase: string) =>
  serveSecondApp(stack, { stripe: createStripe({ stripe: { ...stack.config.stripe, apiBase }, httpTimeoutMs: 1000 }) });

const UPSTREAM_WORDS = "Upstream-only detail: acct_1SECRET, request req_leak, No such customer";

describe("out of stock", () => {
  it("is 409 naming the product, never the quantity left", async () => {
    const res = await expectRefusedBeforeStripe(
      cart("cus_short", [{ productId: "sku-lamp", quantity: 8 }]),
      409,
      "out_of_stock",
    );
    expect(res.body.error.message).toContain("sku-lamp");
    expect(res.body.error.message.replace("sku-lamp", "")).not.toMatch(/\d/);
    expect(await sessionsOf("cus_short")).toEqual([]);
  });

  it("counts repeated lines of one product together", async () => {
    const res = await expectRefusedBeforeStripe(
      cart("cus_short_lines", [
        { productId: "sku-lamp", quantity: 4 },
        { productId: "sku-lamp", quantity: 4 },
      ]),
      409,
      "out_of_stock",
    );
    expect(JSON.stringify(res.body)).not.toMatch(/\b7\b/);
  });

  it("still sells what is there", async () => {
    expect(
      (await stack.shop("POST", "/checkout", cart("cus_lamp", [{ productId: "sku-lamp", quantity: 7 }]))).status,
    ).toBe(201);
  });
});

describe("Stripe refusing the checkout (4xx)", () => {
  it("is 422 payment_rejected with a safe message when the real adapter meets a 400 from Stripe", async () => {
    // The catalog accepts any three-letter currency; Stripe (here its emulator) rejects "u$d".
    await upsertCatalog(stack.db, {
      centers: [],
      products: [
        { id: "sku-odd", name: "Odd", priceCents: 500, currency: "u$d", fulfillmentCenterId: "fc-east", stock: 10 },
      ],
    });
    const before = stack.stripe.sessionCount();
    const res = await stack.shop("POST", "/checkout", cart("cus_odd", [{ productId: "sku-odd", quantity: 1 }]));
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      error: { code: "payment_rejected", message: "the payment provider did not accept this checkout" },
    });
    expect(stack.stripe.sessionCount()).toBe(before);
    expect(await sessionsOf("cus_odd")).toEqual([]);
  });

  it("keeps Stripe's own words out of the answer and in the log", async () => {
    const stripe = await fakeStripe((res) =>
      res.writeHead(400, { "content-type": "application/json", "request-id": "req_leak" }).end(
        JSON.stringify({
          error: { type: "invalid_request_error", message: UPSTREAM_WORDS, param: "customer_email" },
        }),
      ),
    );
    const app = await appWithStripeAt(stripe.url);
    try {
      const res = await app.call("POST", "/checkout", cart("cus_rejected", [{ productId: "sku-mug", quantity: 1 }]), {
        authorization: `Bearer ${stack.config.shopApiKey}`,
      });
      expect(res.status).toBe(422);
      expect(res.body.error).toEqual({
        code: "payment_rejected",
        message: "the payment provider did not accept this checkout",
      });
      for (const word of ["acct_1SECRET", "req_leak", "No such customer", "customer_email", "Stripe 400"])
        expect(res.text).not.toContain(word);
      expect(app.logs.join("")).toContain("acct_1SECRET");
      expect(await sessionsOf("cus_rejected")).toEqual([]);
    } finally {
      await app.close();
      await stripe.close();
    }
  });
});

describe("Stripe not answering", () => {
  const shopKey = () => ({ authorization: `Bearer ${stack.config.shopApiKey}` });

  it("is 502 stripe_unavailable when Stripe cannot be reached", async () => {
    const app = await appWithStripeAt(`http://127.0.0.1:${await closedPort()}`);
    try {
      const res = await app.call(
        "POST",
        "/checkout",
        cart("cus_stripe_down", [{ productId: "sku-mug", quantity: 1 }]),
        shopKey(),
      );
      expect(res.status).toBe(502);
      expect(res.body.error).toEqual({
        code: "stripe_unavailable",
        message: "the payment provider is not answering; try again shortly",
      });
      expect(res.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|connect/i);
      expect(await sessionsOf("cus_stripe_down")).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it("is 502 stripe_unavailable when Stripe answers 500, without its words", async () => {
    const stripe = await fakeStripe((res) =>
      res
        .writeHead(500, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { type: "api_error", message: UPSTREAM_WORDS } })),
    );
    const app = await appWithStripeAt(stripe.url);
    try {
      const res = await app.call(
        "POST",
        "/checkout",
        cart("cus_stripe_500", [{ productId: "sku-mug", quantity: 1 }]),
        shopKey(),
      );
      expect(res.status).toBe(502);
      expect(res.body.error.code).toBe("stripe_unavailable");
      expect(res.text).not.toContain("acct_1SECRET");
    } finally {
      await app.close();
      await stripe.close();
    }
  });

  it("is 502 stripe_unavailable when Stripe does not answer in time", async () => {
    const stripe = await fakeStripe(() => {}); // never answers
    const app = await appWithStripeAt(stripe.url);
    try {
      const res = await app.call(
        "POST",
        "/checkout",
        cart("cus_stripe_slow", [{ productId: "sku-mug", quantity: 1 }]),
        shopKey(),
      );
      expect(res.status).toBe(502);
      expect(res.body.error.code).toBe("stripe_unavailable");
    } finally {
      await app.close();
      await stripe.close();
    }
  });
});

describe("the database being down", () => {
  it("is 503 database_unavailable with Retry-After, on every route that needs it, and says nothing of the database", async () => {
    const down = await openDatabase({
      url: `postgres://postgres@127.0.0.1:${await closedPort()}/postpay`,
      poolSize: 1,
    });
    const app = await serveSecondApp(stack, { db: down.db });
    try {
      const shop = { authorization: `Bearer ${stack.config.shopApiKey}` };
      const admin = { authorization: `Bearer ${stack.config.adminToken}` };
      const answers = [
        await app.call("POST", "/checkout", cart("cus_db_down", [{ productId: "sku-mug", quantity: 1 }]), shop),
        await app.call("GET", "/customers/cus_db_down/orders", undefined, shop),
        await app.call("GET", "/orders/ps_0123456789abcdef0123456789abcdef"),
        await app.call("GET", "/admin/incidents", undefined, admin),
      ];
      for (const res of answers) {
        expect(res.status, res.text).toBe(503);
        expect(res.body.error).toEqual({
          code: "database_unavailable",
          message: "the database is briefly unavailable; try again shortly",
        });
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(res.text).not.toMatch(/ECONNREFUSED|postgres|127\.0\.0\.1/i);
      }
    } finally {
      await app.close();
      await down.close().catch(() => {});
    }
  });
});

describe("bounds checked before Stripe is called", () => {
  it(`refuses more than ${MAX_QUANTITY} of one product on one line (400)`, async () => {
    await expectRefusedBeforeStripe(
      cart("cus_bounds", [{ productId: "sku-piano", quantity: MAX_QUANTITY + 1 }]),
      400,
      "invalid_request",
    );
  });

  it(`refuses more than ${MAX_QUANTITY} of one product over several lines (422)`, async () => {
    const res = await expectRefusedBeforeStripe(
      cart("cus_bounds", [
        { productId: "sku-mug", quantity: 6000 },
        { productId: "sku-pen", quantity: 1 },
        { productId: "sku-mug", quantity: 5000 },
      ]),
      422,
      "quantity_too_large",
    );
    expect(res.body.error.message).toContain("sku-mug");
  });

  it(`refuses a total over ${MAX_TOTAL_CENTS} cents (422) and takes exactly that much`, async () => {
    await expectRefusedBeforeStripe(
      cart("cus_bounds", [{ productId: "sku-piano", quantity: 10 }]),
      422,
      "total_too_large",
    );
    await expectRefusedBeforeStripe(
      cart("cus_bounds", [
        { productId: "sku-yacht", quantity: 1 },
        { productId: "sku-pen", quantity: 1 },
      ]),
      422,
      "total_too_large",
    );
    expect(
      (await stack.shop("POST", "/checkout", cart("cus_yacht", [{ productId: "sku-yacht", quantity: 1 }]))).status,
    ).toBe(201);
  });

  it.each([
    ["a customer id over 200 characters", cart("c".repeat(201), [{ productId: "sku-mug", quantity: 1 }])],
    ["a blank customer id", cart("   ", [{ productId: "sku-mug", quantity: 1 }])],
    [
      "an email over 254 characters",
      {
        ...cart("cus_bounds", [{ productId: "sku-mug", quantity: 1 }]),
        email: `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.com`,
      },
    ],
    [
      "an email that is not one",
      { ...cart("cus_bounds", [{ productId: "sku-mug", quantity: 1 }]), email: "not an email" },
    ],
    ["a product id over 100 characters", cart("cus_bounds", [{ productId: "p".repeat(101), quantity: 1 }])],
    [
      "over 100 lines",
      cart(
        "cus_bounds",
        Array.from({ length: 101 }, () => ({ productId: "sku-pen", quantity: 1 })),
      ),
    ],
    ["no lines", cart("cus_bounds", [])],
    ["a fractional quantity", cart("cus_bounds", [{ productId: "sku-mug", quantity: 1.5 }])],
    ["a negative quantity", cart("cus_bounds", [{ productId: "sku-mug", quantity: -1 }])],
    ["a quantity given as text", { ...cart("cus_bounds", []), items: [{ productId: "sku-mug", quantity: "2" }] }],
    [
      "a NUL character in the customer id",
      { ...cart("cus_bounds\u0000x", [{ productId: "sku-mug", quantity: 1 }]), email: "nul@example.com" },
    ],
    ["a NUL character in a product id", cart("cus_bounds", [{ productId: "sku-mug\u0000", quantity: 1 }])],
  ])("refuses %s with 400", async (_what, body) => {
    await expectRefusedBeforeStripe(body, 400, "invalid_request");
  });

  it("refuses a body over 64 KiB with 413, and closes that connection", async () => {
    const before = stack.stripe.sessionCount();
    const res = await fetch(`${stack.http.url}/checkout`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.config.shopApiKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        ...cart("cus_bounds", [{ productId: "sku-mug", quantity: 1 }]),
        padding: "x".repeat(70 * 1024),
      }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    // The unread rest of the body makes the connection useless: a client must not send another request on it.
    expect(res.headers.get("connection")).toBe("close");
    expect(stack.stripe.sessionCount()).toBe(before);
  });

  it("refuses an unknown product with 422, naming it", async () => {
    const res = await expectRefusedBeforeStripe(
      cart("cus_bounds", [{ productId: "sku-nope", quantity: 1 }]),
      422,
      "unknown_product",
    );
    expect(res.body.error.message).toContain("sku-nope");
  });

  it("stored nothing for any refused checkout", async () => {
    expect(await sessionsOf("cus_bounds")).toEqual([]);
  });
});
