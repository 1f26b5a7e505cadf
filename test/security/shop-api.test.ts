// The shop's backend is the one caller of POST /checkout and GET /customers/:id/orders, and its
// lock is SHOP_API_KEY as a bearer token. The key is the shop's, not a customer's: the history
// answers for the customer id the shop asks about, that customer's records only, a page at a time.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordOrderHistory } from "../../db/order-history.ts";
import { serveSecondApp } from "../support/security.ts";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const CART = { customerId: "cus_auth", email: "cus_auth@example.com", items: [{ productId: "sku-mug", quantity: 1 }] };
const ROUTES: [string, string, unknown][] = [
  ["POST", "/checkout", CART],
  ["GET", "/customers/cus_auth/orders", undefined],
];
const history = (customerId: string, query = "") => stack.shop("GET", `/customers/${customerId}/orders${query}`);

describe("the shop API's lock", () => {
  it.each(ROUTES)(
    "%s %s answers 401 without a key, with a wrong key and with another scheme",
    async (method, route, body) => {
      const sessionsBefore = stack.stripe.sessionCount();
      // Each attempt from a client of its own (behind a trusted proxy): wrong keys are limited per
      // client (test/security/lockouts.test.ts), and this test is about the answer to one.
      const app = await serveSecondApp(stack, { trustedProxies: ["127.0.0.1"] });
      let client = 0;
      const call = async (headers: Record<string, string> = {}) => {
        const res = await app.call(method, route, body, { ...headers, "x-forwarded-for": `10.8.0.${++client}` });
        return { status: res.status, body: res.body };
      };
      const attempts = {
        none: await call(),
        wrong: await call({ authorization: "Bearer not-the-shop-key-0123456789" }),
        prefix: await call({ authorization: `Bearer ${stack.config.shopApiKey.slice(0, -1)}` }),
        basic: await call({
          authorization: `Basic ${Buffer.from(`shop:${stack.config.shopApiKey}`).toString("base64")}`,
        }),
        bare: await call({ authorization: stack.config.shopApiKey }),
        adminToken: await call({ authorization: `Bearer ${stack.config.adminToken}` }),
      };
      await app.close();
      for (const [what, res] of Object.entries(attempts)) {
        expect(res.status, what).toBe(401);
        expect(res.body.error.code, what).toBe("unauthorized");
        expect(JSON.stringify(res.body), what).not.toContain(stack.config.shopApiKey);
      }
      expect(stack.stripe.sessionCount()).toBe(sessionsBefore);
    },
  );

  it("tells the caller how to authenticate (WWW-Authenticate: Bearer)", async () => {
    const res = await fetch(`${stack.http.url}/customers/cus_auth/orders`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("opens both routes to the shop's key", async () => {
    const placed = await stack.shop("POST", "/checkout", CART);
    expect(placed.status).toBe(201);
    expect(placed.body).toEqual({
      paymentSessionId: expect.stringMatching(/^ps_[0-9a-f]{32}$/),
      stripeCheckoutSessionId: expect.any(String),
      url: expect.any(String),
    });
    expect((await history("cus_auth")).status).toBe(200);
  });
});

describe("a customer's order history", () => {
  /** History records written straight to the database, `n` of them, all at the same instant. */
  async function seedHistory(customerId: string, n: number, recordedAt: Date, batch = "a") {
    const ids = Array.from({ length: n }, (_, i) => `ps_hist_${customerId}_${batch}${String(i).padStart(2, "0")}`);
    for (const orderId of ids) {
      await recordOrderHistory(stack.db, {
        orderId,
        customerId,
        items: [],
        amountTotal: 100,
        currency: "usd",
        shipments: [],
        estimatedArrival: null,
        recordedAt,
      });
    }
    return ids;
  }

  it("pages through every record once, newest first, even when records share a timestamp", async () => {
    // Seven at one instant, three later: the cursor must break ties, or pages skip or repeat.
    const older = await seedHistory("cus_pages", 7, new Date("2026-01-01T00:00:00.000Z"));
    const newer = await seedHistory("cus_pages", 3, new Date("2026-02-01T00:00:00.000Z"), "b");
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const res = await history("cus_pages", `?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.customerId).toBe("cus_pages");
      seen.push(...res.body.orders.map((o: { orderId: string }) => o.orderId));
      pageSizes.push(res.body.orders.length);
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(pageSizes).toEqual([3, 3, 3, 1]);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...newer].reverse().concat([...older].reverse()));
  });

  it("pages through records the database stamped within one millisecond (microsecond timestamps)", async () => {
    // Production records take the database's now(), which has microseconds; a cursor that keeps
    // only milliseconds must not skip the rest of that millisecond.
    const ids = await seedHistory("cus_micro", 4, new Date("2026-04-01T00:00:00.000Z"));
    const stamps = [
      "2026-04-01 00:00:00.123456+00",
      "2026-04-01 00:00:00.123400+00",
      "2026-04-01 00:00:00.123400+00",
      "2026-04-01 00:00:00.122999+00",
    ];
    for (const [i, orderId] of ids.entries()) {
      await stack.db.execute(
        sql`UPDATE order_history SET created_at = ${stamps[i]}::timestamptz WHERE order_id = ${orderId}`,
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res = await history("cus_micro", `?limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...res.body.orders.map((o: { orderId: string }) => o.orderId));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual([...ids].sort());
  });

  it("answers only the asked customer's records", async () => {
    const theirs = await seedHistory("cus_alice", 2, new Date("2026-03-01T00:00:00.000Z"));
    await seedHistory("cus_bob", 2, new Date("2026-03-01T00:00:00.000Z"));
    const alice = await history("cus_alice", "?limit=100");
    expect(alice.body.orders.map((o: { orderId: string }) => o.orderId).sort()).toEqual(theirs.sort());
    expect(alice.body.orders.every((o: { customerId: string }) => o.customerId === "cus_alice")).toBe(true);
    // A cursor only says where a page starts: with Bob's cursor, the answer still holds Alice's records only.
    const bobFirst = await history("cus_bob", "?limit=1");
    const mixed = await history("cus_alice", `?limit=100&cursor=${bobFirst.body.nextCursor}`);
    expect(mixed.status).toBe(200);
    expect(mixed.body.orders.every((o: { customerId: string }) => o.customerId === "cus_alice")).toBe(true);
  });

  it("is empty, not an error, for a customer with no orders", async () => {
    const res = await history("cus_nobody");
    expect(res).toMatchObject({ status: 200, body: { customerId: "cus_nobody", orders: [], nextCursor: null } });
  });

  it("includes a real order once it completes, with its amount and arrival date", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId } = await stack.checkout(
      [{ productId: "sku-tee", quantity: 2 }],
      "cus_real_history",
    );
    await stack.pay(stripeCheckoutSessionId);
    const order = await stack.waitForStatus(id, ["completed"]);
    const res = await history("cus_real_history");
    expect(res.body.orders).toEqual([
      expect.objectContaining({
        orderId: id,
        amountTotal: 5000,
        currency: "usd",
        estimatedArrival: order.estimatedArrival,
      }),
    ]);
  });

  it.each([
    ["a cursor that is not base64 JSON", "?cursor=%%%"],
    ["a cursor that decodes to something else", `?cursor=${Buffer.from('{"hello":"world"}').toString("base64url")}`],
    [
      "a cursor with a date that is not a date",
      `?cursor=${Buffer.from('{"recordedAt":"yesterday","orderId":"ps_1"}').toString("base64url")}`,
    ],
    ["a cursor over 200 characters", `?cursor=${"A".repeat(201)}`],
    ["limit 0", "?limit=0"],
    ["limit 101", "?limit=101"],
    ["limit abc", "?limit=abc"],
  ])("answers 400 to %s", async (_what, query) => {
    const res = await history("cus_pages", query);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
  });

  it.each([
    ["a NUL character", "cus%00x"],
    ["over 200 characters", "c".repeat(201)],
  ])("answers 400 to a customer id with %s", async (_what, customerId) => {
    const res = await history(customerId);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
  });
});
