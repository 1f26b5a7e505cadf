// POST /webhooks/stripe has one caller, Stripe, and one lock, Stripe's signature. What a signed
// event may do is narrow (start the order it names, if its checkout session is that order's;
// pass on a payment outcome that is recorded first and checked with Stripe again), and the route
// is rate limited for refused requests only, so a forger runs out while Stripe's own deliveries,
// thousands a minute in a sale, never count.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { movementsFor } from "../../db/inventory.ts";
import { findPaymentEvent } from "../../db/payment-events.ts";
import { signWebhook } from "../../dev/stripe-emulator/sign-webhook.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { quietFor } from "../support/wait.ts";
import { restateQuery, serveSecondApp, viaIngress } from "../support/security.ts";
import { signalsFor } from "../../db/stripe-events.ts";
import { incidentsFor } from "../../db/incidents.ts";
import { SIGNAL_TYPES } from "../../src/domain/stripe-signals.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const event = (type: string, object: Record<string, unknown>, id = `evt_${Math.random().toString(36).slice(2)}`) =>
  JSON.stringify({ id, object: "event", type, data: { object: { object: "checkout.session", ...object } } });

async function deliver(url: string, payload: string, signature?: string) {
  const res = await fetch(`${url}/webhooks/stripe`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(signature && { "stripe-signature": signature }) },
    body: payload,
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as { error?: { code: string; message: string }; ignored?: string },
  };
}
const signed = (payload: string) => signWebhook(payload, stack.config.stripeWebhookSecret);

describe("a signed event", () => {
  it("pairing one order's id with another order's checkout session starts neither", async () => {
    const a = await stack.checkout([{ productId: "sku-mug", quantity: 1 }], "cus_pair_a");
    const b = await stack.checkout([{ productId: "sku-mug", quantity: 1 }], "cus_pair_b");
    const payload = event("checkout.session.completed", {
      id: b.stripeCheckoutSessionId,
      client_reference_id: a.paymentSessionId,
      payment_status: "paid",
    });
    const res = await deliver(stack.http.url, payload, signed(payload));
    expect(res).toMatchObject({ status: 200, body: { ignored: "unknown payment session" } });
    for (const id of [a.paymentSessionId, b.paymentSessionId]) {
      expect((await stack.api("GET", `/orders/${id}`)).body).toMatchObject({ status: "awaiting_payment", steps: [] });
      expect(
        await restateQuery(
          stack,
          `SELECT id FROM sys_invocation WHERE target_service_key = '${id}' AND target_handler_name = 'run'`,
        ),
      ).toEqual([]);
    }
  });

  it("saying paid for a session Stripe has unpaid starts the order, which asks Stripe and ships nothing", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(
      [{ productId: "sku-tee", quantity: 1 }],
      "cus_says_paid",
    );
    // Signed with the real secret (as with a leaked secret): the event's own payment_status is not trusted.
    const payload = event("checkout.session.completed", {
      id: cs,
      client_reference_id: id,
      payment_status: "paid",
      amount_total: 2500,
      currency: "usd",
    });
    expect((await deliver(stack.http.url, payload, signed(payload))).status).toBe(200);
    await stack.waitForStatus(id, ["awaiting_payment"], 30_000, (o) =>
      o.steps.some((s) => s.name === "verify payment"),
    );
    await quietFor(500); // time for stock to move, which it must not
    expect(await movementsFor(stack.db, id)).toEqual([]);

    // Sent again, it reaches the waiting order as a payment outcome; Stripe still says unpaid,
    // so a person has to look at it. Still nothing ships.
    const again = event("checkout.session.completed", { id: cs, client_reference_id: id, payment_status: "paid" });
    expect((await deliver(stack.http.url, again, signed(again))).status).toBe(200);
    const held = await stack.waitForStatus(id, ["needs_attention", "completed"]);
    expect(held.status).toBe("needs_attention");
    expect(held.incident).toMatchObject({ step: "verify payment", error: expect.stringContaining("still unpaid") });
    expect(await movementsFor(stack.db, id)).toEqual([]);
    expect(stack.acceptedFor(id)).toEqual([]);
    expect(stack.smtp.for(id)).toEqual([]);
  });

  it("with an async outcome is recorded before the order hears of it", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(
      [{ productId: "sku-pen", quantity: 1 }],
      "cus_recorded_first",
    );
    await stack.stripe.complete(cs, { paymentStatus: "unpaid" });
    await stack.waitForStatus(id, ["awaiting_payment"], 30_000, (o) => o.steps.length > 0);
    const delivery = await stack.stripe.asyncResult(cs, "failed");
    expect(delivery.status).toBe(200);
    expect(await findPaymentEvent(stack.db, delivery.eventId)).toMatchObject({ orderId: id, outcome: "failed" });
    await stack.waitForStatus(id, ["payment_failed"]);
  });
});

describe("a refused delivery", () => {
  it("says why in Stripe's terms only, and starts nothing", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(
      [{ productId: "sku-mug", quantity: 1 }],
      "cus_forger",
    );
    const payload = event("checkout.session.completed", { id: cs, client_reference_id: id, payment_status: "paid" });
    const forged = await deliver(stack.http.url, payload, signWebhook(payload, "whsec_guessed_0123456789"));
    expect(forged.status).toBe(400);
    expect(forged.body.error?.code).toBe("invalid_signature");
    expect(forged.body.error?.message).not.toContain(stack.config.stripeWebhookSecret);
    // A real signature over another body does not carry over to this one.
    const other = event("payment_intent.created", { id: "pi_1" });
    const moved = await deliver(stack.http.url, payload, signed(other));
    expect(moved.status).toBe(400);
    expect((await stack.api("GET", `/orders/${id}`)).body).toMatchObject({ status: "awaiting_payment", steps: [] });
  });
});

describe("the events after checkout (expiry, refunds, disputes, fraud warnings, reviews)", () => {
  it("forged or unsigned, are refused for every type and record nothing; the order stays as it was", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(
      [{ productId: "sku-mug", quantity: 1 }],
      "cus_forged_after",
    );
    await stack.pay(cs);
    await stack.waitForStatus(id, ["completed"]);
    const pi = (await stack.admin("GET", `/admin/orders/${id}`)).body.payment.paymentIntentId as string;
    for (const type of [...SIGNAL_TYPES, "checkout.session.expired"]) {
      const object = {
        id: `obj_${type}`,
        charge: "ch_x",
        payment_intent: pi,
        client_reference_id: id,
        amount_refunded: 1200,
      };
      const payload = JSON.stringify({ id: `evt_forged_${type}`, object: "event", type, data: { object } });
      expect((await deliver(stack.http.url, payload)).status, `${type} unsigned`).toBe(400);
      const forged = await deliver(stack.http.url, payload, signWebhook(payload, "whsec_guessed_0123456789"));
      expect(forged.status, `${type} forged`).toBe(400);
    }
    await quietFor(300);
    expect(await signalsFor(stack.db, id)).toEqual([]);
    expect(await incidentsFor(stack.db, id)).toEqual([]);
    expect((await stack.api("GET", `/orders/${id}`)).body.status).toBe("completed");
  });

  it("told to Restate's ingress with nothing recorded behind them, change nothing (403)", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId: cs } = await stack.checkout(
      [{ productId: "sku-pen", quantity: 1 }],
      "cus_forged_ingress",
    );
    await stack.pay(cs);
    await stack.waitForStatus(id, ["completed"]);
    const review = await viaIngress(stack, `/OrderWorkflow/${id}/reviewClosed`, { eventId: "evt_never_recorded" });
    expect(review.status).toBe(403);
    // The Shipments object is told one-way: its invocation fails with 403 and opens nothing.
    const notice = await viaIngress(stack, `/Shipments/${id}/stripeEvent`, { eventId: "evt_never_recorded" });
    expect(notice.status).toBe(403);
    expect(await incidentsFor(stack.db, id)).toEqual([]);
  });
});

describe("the webhook's rate limit", () => {
  it("counts only refused requests: Stripe's accepted deliveries never use it up, a forger's attempts do", async () => {
    const app = await serveSecondApp(stack, { rateLimit: { limit: 3, windowMs: 60_000 } });
    try {
      // Ten correctly signed deliveries (ignored types and unknown sessions: answered 200), over the limit of 3.
      for (let i = 0; i < 5; i++) {
        const ignored = event("payment_intent.created", { id: `pi_${i}` });
        expect((await deliver(app.url, ignored, signed(ignored))).status).toBe(200);
        const unknown = event("checkout.session.completed", {
          id: `cs_unknown_${i}`,
          client_reference_id: `ps_unknown_${i}`,
        });
        expect((await deliver(app.url, unknown, signed(unknown))).status).toBe(200);
      }
      // Three refused: each answered 400, the fourth attempt 429.
      const forged = event("checkout.session.completed", { id: "cs_x", client_reference_id: "ps_x" });
      for (let i = 0; i < 3; i++)
        expect((await deliver(app.url, forged, signWebhook(forged, "whsec_guess"))).status).toBe(400);
      const limited = await deliver(app.url, forged, signWebhook(forged, "whsec_guess"));
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(limited.body.error?.code).toBe("rate_limited");
      // Unsigned attempts are refused requests too.
      expect((await deliver(app.url, forged)).status).toBe(429);
    } finally {
      await app.close();
    }
  });
});
