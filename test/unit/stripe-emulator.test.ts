// The Stripe emulator, driven by the real stripe-node client and a real webhook receiver, so the
// production Stripe adapter can trust it to behave like Stripe on the wire.
import http from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseStripeForm, startStripeEmulator } from "../../dev/stripe-emulator/index.ts";
import type { StripeEmulator } from "../../dev/stripe-emulator/index.ts";

type Received = { signature: string; contentType: string; body: string };

async function startReceiver() {
  const received: Received[] = [];
  let answer = 200;
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      received.push({
        signature: String(req.headers["stripe-signature"] ?? ""),
        contentType: String(req.headers["content-type"] ?? ""),
        body,
      });
      res.writeHead(answer, { "content-type": "text/plain" }).end(answer === 200 ? "ok" : "nope");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`,
    received,
    answerWith: (status: number) => (answer = status),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const checkoutParams = (paymentSessionId: string): Stripe.Checkout.SessionCreateParams => ({
  mode: "payment",
  client_reference_id: paymentSessionId,
  customer_email: "ada@example.com",
  metadata: { paymentSessionId, customerId: "cus-ada" },
  line_items: [
    {
      quantity: 2,
      price_data: {
        currency: "USD",
        unit_amount: 1999,
        product_data: { name: "Widget", metadata: { productId: "sku-1" } },
      },
    },
    { quantity: 1, price_data: { currency: "usd", unit_amount: 500, product_data: { name: "Gadget" } } },
  ],
  success_url: "http://127.0.0.1:3000/thanks",
  cancel_url: "http://127.0.0.1:3000/cart",
});

describe("Stripe emulator", () => {
  let emulator: StripeEmulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let stripe: Stripe;

  beforeAll(async () => {
    receiver = await startReceiver();
    emulator = await startStripeEmulator({ port: 0, webhookUrl: receiver.url });
    const { hostname, port } = new URL(emulator.url);
    stripe = new Stripe(emulator.secretKey, {
      host: hostname,
      port,
      protocol: "http",
      maxNetworkRetries: 0,
      telemetry: false,
    });
  });
  afterAll(async () => {
    await emulator?.close();
    await receiver?.close();
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.answerWith(200);
  });

  const newSession = (id: string) =>
    stripe.checkout.sessions.create(checkoutParams(id), { idempotencyKey: `checkout:${id}` });
  const verify = (r: Received | undefined) => {
    expect(r).toBeDefined();
    return Stripe.webhooks.constructEvent(r!.body, r!.signature, emulator.webhookSecret);
  };

  it("starts on a random loopback port with Stripe-looking credentials", () => {
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulator.secretKey).toBe("sk_test_postpay_emulator");
    expect(emulator.webhookSecret).toMatch(/^whsec_[0-9a-f]{48}$/);
  });

  describe("POST /v1/checkout/sessions", () => {
    it("creates an open, unpaid session totalling the form-encoded line items", async () => {
      const session = await newSession("ps-create");
      expect(session).toMatchObject({
        object: "checkout.session",
        mode: "payment",
        status: "open",
        payment_status: "unpaid",
        amount_subtotal: 2 * 1999 + 500,
        amount_total: 2 * 1999 + 500,
        currency: "usd",
        client_reference_id: "ps-create",
        customer_email: "ada@example.com",
        metadata: { paymentSessionId: "ps-create", customerId: "cus-ada" },
        success_url: "http://127.0.0.1:3000/thanks",
        cancel_url: "http://127.0.0.1:3000/cart",
        livemode: false,
      });
      expect(session.id).toMatch(/^cs_test_[A-Za-z0-9]+$/);
      expect(session.url).toBe(`${emulator.url}/pay/${session.id}`);
      expect(Math.abs(session.created - Date.now() / 1000)).toBeLessThan(5);
      expect(emulator.session(session.id)?.amount_total).toBe(4498);
    });

    it("replays the first response for a reused Idempotency-Key with the same parameters", async () => {
      const first = await newSession("ps-idem");
      const again = await newSession("ps-idem");
      expect(again.id).toBe(first.id);
      expect(again.lastResponse.headers["idempotent-replayed"]).toBe("true");
    });

    it("refuses a reused Idempotency-Key with different parameters", async () => {
      await newSession("ps-idem-clash");
      const clash = stripe.checkout.sessions.create(
        { ...checkoutParams("ps-idem-clash"), customer_email: "someone-else@example.com" },
        { idempotencyKey: "checkout:ps-idem-clash" },
      );
      await expect(clash).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
      await expect(clash).rejects.toMatchObject({ statusCode: 400, type: "StripeIdempotencyError" });
    });

    it("creates distinct sessions without an Idempotency-Key", async () => {
      const a = await stripe.checkout.sessions.create(checkoutParams("ps-twice"));
      const b = await stripe.checkout.sessions.create(checkoutParams("ps-twice"));
      expect(a.id).not.toBe(b.id);
    });

    it("names a missing or malformed parameter the way Stripe does", async () => {
      const { line_items: _omitted, ...noItems } = checkoutParams("ps-bad");
      await expect(stripe.checkout.sessions.create(noItems)).rejects.toMatchObject({
        statusCode: 400,
        code: "parameter_missing",
        param: "line_items",
      });
      const badAmount = checkoutParams("ps-bad");
      badAmount.line_items![0]!.price_data!.unit_amount = 19.99;
      await expect(stripe.checkout.sessions.create(badAmount)).rejects.toMatchObject({
        statusCode: 400,
        param: "line_items[0][price_data][unit_amount]",
      });
    });

    it("rejects a wrong API key with a 401 authentication error", async () => {
      const { hostname, port } = new URL(emulator.url);
      const intruder = new Stripe("sk_test_wrong", { host: hostname, port, protocol: "http", maxNetworkRetries: 0 });
      const attempt = intruder.checkout.sessions.create(checkoutParams("ps-401"));
      await expect(attempt).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      await expect(attempt).rejects.toMatchObject({ statusCode: 401 });
      const anonymous = await fetch(`${emulator.url}/v1/checkout/sessions/cs_test_x`);
      expect(anonymous.status).toBe(401);
    });
  });

  describe("GET /v1/checkout/sessions/:id", () => {
    it("returns the stored session", async () => {
      const created = await newSession("ps-retrieve");
      const fetched = await stripe.checkout.sessions.retrieve(created.id);
      expect(fetched).toMatchObject({ id: created.id, status: "open", payment_status: "unpaid", amount_total: 4498 });
    });

    it("answers an unknown id with Stripe's 404 resource_missing error", async () => {
      const missing = stripe.checkout.sessions.retrieve("cs_test_does_not_exist");
      await expect(missing).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      await expect(missing).rejects.toMatchObject({ statusCode: 404, code: "resource_missing", param: "id" });
    });

    it("answers other Stripe endpoints with a 404 invalid_request_error", async () => {
      await expect(stripe.customers.list()).rejects.toMatchObject({
        statusCode: 404,
        type: "StripeInvalidRequestError",
      });
    });
  });

  describe("paying a session", () => {
    it("complete() marks it paid and delivers a signed checkout.session.completed", async () => {
      const session = await newSession("ps-pay");
      const delivery = await emulator.complete(session.id);

      expect(delivery).toMatchObject({ status: 200, body: "ok" });
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0]!.contentType).toMatch(/^application\/json/);
      const event = verify(receiver.received[0]);
      expect(event).toMatchObject({
        id: delivery.eventId,
        object: "event",
        type: "checkout.session.completed",
        livemode: false,
      });
      expect(event.data.object).toMatchObject({
        id: session.id,
        status: "complete",
        payment_status: "paid",
        amount_total: 4498,
      });
      expect(emulator.events().map((e) => e.id)).toContain(delivery.eventId);

      const after = await stripe.checkout.sessions.retrieve(session.id);
      expect(after).toMatchObject({ status: "complete", payment_status: "paid" });
    });

    it("signs exactly the bytes it sends: a tampered body fails verification", async () => {
      const session = await newSession("ps-tamper");
      await emulator.complete(session.id);
      const r = receiver.received[0]!;
      const tampered = r.body.replace('"paid"', '"unpaid"');
      expect(tampered).not.toBe(r.body);
      expect(() => Stripe.webhooks.constructEvent(tampered, r.signature, emulator.webhookSecret)).toThrow(
        Stripe.errors.StripeSignatureVerificationError,
      );
    });

    it("can simulate an amount or currency that does not match the order", async () => {
      const session = await newSession("ps-mismatch");
      await emulator.complete(session.id, { amountTotal: 1, currency: "EUR" });
      expect(verify(receiver.received[0]).data.object).toMatchObject({ amount_total: 1, currency: "eur" });
      expect(emulator.session(session.id)).toMatchObject({ amount_total: 1, currency: "eur" });
    });

    it("settles a delayed payment method with async_payment_succeeded", async () => {
      const session = await newSession("ps-async-ok");
      await emulator.complete(session.id, { paymentStatus: "unpaid" });
      await emulator.asyncResult(session.id, "succeeded");
      const [completed, settled] = receiver.received.map(verify);
      expect(completed).toMatchObject({
        type: "checkout.session.completed",
        data: { object: { payment_status: "unpaid" } },
      });
      expect(settled).toMatchObject({
        type: "checkout.session.async_payment_succeeded",
        data: { object: { payment_status: "paid" } },
      });
    });

    it("reports a failed delayed payment with async_payment_failed and stays unpaid", async () => {
      const session = await newSession("ps-async-fail");
      await emulator.complete(session.id, { paymentStatus: "unpaid" });
      await emulator.asyncResult(session.id, "failed");
      expect(verify(receiver.received[1])).toMatchObject({
        type: "checkout.session.async_payment_failed",
        data: { object: { payment_status: "unpaid" } },
      });
      expect(emulator.session(session.id)?.payment_status).toBe("unpaid");
    });

    it("refuses to pay a session twice or settle one with no pending payment", async () => {
      const session = await newSession("ps-twice-paid");
      await emulator.complete(session.id);
      await expect(emulator.complete(session.id)).rejects.toThrow(/not open/);
      await expect(emulator.asyncResult(session.id, "succeeded")).rejects.toThrow(/no pending async payment/);
      await expect(emulator.complete("cs_test_unknown")).rejects.toThrow(/No such checkout.session/);
    });
  });

  describe("webhook delivery", () => {
    it("resend() redelivers the same event with a fresh, valid signature", async () => {
      const session = await newSession("ps-resend");
      const first = await emulator.complete(session.id);
      const again = await emulator.resend(first.eventId);
      expect(again.eventId).toBe(first.eventId);
      expect(receiver.received).toHaveLength(2);
      expect(receiver.received[1]!.body).toBe(receiver.received[0]!.body);
      expect(verify(receiver.received[1]).id).toBe(first.eventId);
    });

    it("reports the webhook's status and a network failure as status 0", async () => {
      const session = await newSession("ps-webhook-down");
      receiver.answerWith(503);
      const refused = await emulator.complete(session.id);
      expect(refused).toMatchObject({ status: 503, body: "nope" });

      emulator.setWebhookUrl("http://127.0.0.1:1/webhooks/stripe");
      try {
        const unreachable = await emulator.resend(refused.eventId);
        expect(unreachable.status).toBe(0);
        expect(unreachable.body).not.toBe("");
      } finally {
        emulator.setWebhookUrl(receiver.url);
      }
    });
  });

  describe("after checkout", () => {
    const paid = async (id: string) => {
      const session = await newSession(id);
      await emulator.complete(session.id);
      receiver.received.length = 0;
      return session;
    };

    it("keeps the payment as a PaymentIntent and charge, named by the metadata given at checkout, expandable on the session", async () => {
      const session = await stripe.checkout.sessions.create({
        ...checkoutParams("ps-pi"),
        payment_intent_data: { metadata: { paymentSessionId: "ps-pi" } },
      });
      await emulator.complete(session.id);
      const expanded = await stripe.checkout.sessions.retrieve(session.id, { expand: ["payment_intent"] });
      const pi = expanded.payment_intent as Stripe.PaymentIntent;
      expect(pi).toMatchObject({
        object: "payment_intent",
        status: "succeeded",
        amount: 4498,
        metadata: { paymentSessionId: "ps-pi" },
      });
      expect(await stripe.paymentIntents.retrieve(pi.id)).toMatchObject({ id: pi.id, latest_charge: pi.latest_charge });
      const charge = await stripe.charges.retrieve(pi.latest_charge as string);
      expect(charge).toMatchObject({ paid: true, amount: 4498, amount_refunded: 0, payment_intent: pi.id });
      // Not expanded unless asked, as on Stripe.
      expect((await stripe.checkout.sessions.retrieve(session.id)).payment_intent).toBe(pi.id);
    });

    it("expires an open session with a signed checkout.session.expired, and refuses to expire a paid one", async () => {
      const session = await newSession("ps-expire");
      const delivery = await emulator.expire(session.id);
      const event = verify(receiver.received[0]);
      expect(event).toMatchObject({ id: delivery.eventId, type: "checkout.session.expired" });
      expect(event.data.object).toMatchObject({ id: session.id, status: "expired", payment_status: "unpaid" });
      await expect(emulator.expire((await paid("ps-expire-paid")).id)).rejects.toMatchObject({ status: 409 });
    });

    it("refunds in part, then the rest: charge.refunded and refund.created each time, the charge re-read says how much", async () => {
      const session = await paid("ps-refund");
      const part = await emulator.refund(session.id, 1000);
      expect(part.deliveries.map((d) => d.status)).toEqual([200, 200]);
      const [refunded, created] = receiver.received.map(verify);
      expect(refunded).toMatchObject({
        type: "charge.refunded",
        data: { object: { amount_refunded: 1000, refunded: false } },
      });
      expect(created).toMatchObject({
        type: "refund.created",
        data: { object: { id: part.refundId, amount: 1000, status: "succeeded" } },
      });
      const chargeId = (created!.data.object as Stripe.Refund).charge as string;
      await emulator.refund(session.id);
      expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: 4498, refunded: true });
      expect((await stripe.refunds.list({ charge: chargeId })).data.map((r) => r.amount)).toEqual([1000, 3498]);
      await expect(emulator.refund(session.id, 1)).rejects.toMatchObject({ status: 400 });
    });

    it("opens and closes a dispute, raises an early fraud warning, opens and closes a review: each its signed event", async () => {
      const session = await paid("ps-fraud");
      const { disputeId } = await emulator.openDispute(session.id, "fraudulent");
      await emulator.closeDispute(disputeId, "lost");
      await emulator.earlyFraudWarning(session.id);
      const { reviewId } = await emulator.openReview(session.id);
      await emulator.closeReview(reviewId, "approved");
      const events = receiver.received.map(verify);
      expect(events.map((e) => e.type)).toEqual([
        "charge.dispute.created",
        "charge.dispute.closed",
        "radar.early_fraud_warning.created",
        "review.opened",
        "review.closed",
      ]);
      expect(events[1]!.data.object).toMatchObject({ id: disputeId, status: "lost", reason: "fraudulent" });
      expect(await stripe.disputes.retrieve(disputeId)).toMatchObject({ status: "lost", amount: 4498 });
      expect(events[2]!.data.object).toMatchObject({
        object: "radar.early_fraud_warning",
        fraud_type: "made_with_stolen_card",
      });
      expect(events[4]!.data.object).toMatchObject({ id: reviewId, open: false, closed_reason: "approved" });
      await expect(emulator.openDispute((await newSession("ps-unpaid")).id)).rejects.toMatchObject({ status: 409 });
    });

    it("does all of it over HTTP too", async () => {
      const post = (path: string, body: unknown = {}) =>
        fetch(`${emulator.url}/_emulator${path}`, { method: "POST", body: JSON.stringify(body) }).then(
          async (r) => [r.status, (await r.json()) as Record<string, string>] as const,
        );
      const session = await paid("ps-http-after");
      expect((await post(`/checkout/sessions/${session.id}/refund`, { amount: 100 }))[0]).toBe(200);
      const [, dispute] = await post(`/checkout/sessions/${session.id}/dispute`);
      expect((await post(`/disputes/${dispute.disputeId}/close`, { status: "won" }))[0]).toBe(200);
      expect((await post(`/checkout/sessions/${session.id}/early-fraud-warning`))[0]).toBe(200);
      const [, review] = await post(`/checkout/sessions/${session.id}/review`, { reason: "manual" });
      expect((await post(`/reviews/${review.reviewId}/close`, { reason: "refunded_as_fraud" }))[0]).toBe(200);
      expect((await post(`/reviews/${review.reviewId}/close`, { reason: "approved" }))[0]).toBe(409);
      expect((await post(`/checkout/sessions/${(await newSession("ps-http-expire")).id}/expire`))[0]).toBe(200);
      expect(receiver.received).toHaveLength(8); // a refund is two events
    });
  });

  describe("HTTP controls", () => {
    const post = (path: string, body?: unknown) =>
      fetch(`${emulator.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });

    it("pays, settles and redelivers over HTTP", async () => {
      const session = await newSession("ps-http");
      const completed = await post(`/_emulator/checkout/sessions/${session.id}/complete`, { paymentStatus: "unpaid" });
      expect(completed.status).toBe(200);
      const { eventId, status } = (await completed.json()) as { eventId: string; status: number };
      expect(status).toBe(200);

      const settled = await post(`/_emulator/checkout/sessions/${session.id}/async-result`, { outcome: "succeeded" });
      expect(settled.status).toBe(200);
      expect(emulator.session(session.id)?.payment_status).toBe("paid");

      const resent = await post(`/_emulator/events/${eventId}/resend`);
      expect(((await resent.json()) as { eventId: string }).eventId).toBe(eventId);
      expect(receiver.received.map((r) => verify(r).type)).toEqual([
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.completed",
      ]);
    });

    it("answers 404 for unknown sessions and events, 409 for a paid session, 400 for a bad body", async () => {
      expect((await post("/_emulator/checkout/sessions/cs_test_nope/complete")).status).toBe(404);
      expect((await post("/_emulator/events/evt_nope/resend")).status).toBe(404);
      const session = await newSession("ps-http-errors");
      expect((await post(`/_emulator/checkout/sessions/${session.id}/async-result`, { outcome: "maybe" })).status).toBe(
        400,
      );
      expect((await post(`/_emulator/checkout/sessions/${session.id}/complete`)).status).toBe(200);
      expect((await post(`/_emulator/checkout/sessions/${session.id}/complete`)).status).toBe(409);
    });

    it("serves a checkout page with the items, the total, Pay and Decline", async () => {
      const session = await newSession("ps-page");
      const page = await fetch(session.url!);
      expect(page.status).toBe(200);
      const text = await page.text();
      for (const shown of ["Widget × 2", "39.98 USD", "Gadget × 1", "44.98 USD", 'value="pay"', 'value="decline"'])
        expect(text).toContain(shown);
      expect((await fetch(`${emulator.url}/pay/cs_test_nope`)).status).toBe(404);
    });

    it("Pay on the page completes the session paid; Decline completes it unpaid, then the async payment fails", async () => {
      const choose = async (id: string, choice: string) =>
        fetch(`${emulator.url}/pay/${id}`, { method: "POST", body: new URLSearchParams({ choice }) });
      const paid = await newSession("ps-page-pay");
      const payAnswer = await choose(paid.id, "pay");
      expect(payAnswer.status).toBe(200);
      expect(await payAnswer.text()).toContain("Payment succeeded");
      expect(emulator.session(paid.id)).toMatchObject({ status: "complete", payment_status: "paid" });
      expect((await choose(paid.id, "pay")).status).toBe(409);
      expect((await fetch(paid.url!)).status).toBe(409); // the page is gone once the session is over

      const declined = await newSession("ps-page-decline");
      receiver.received.length = 0;
      expect(await (await choose(declined.id, "decline")).text()).toContain("Payment declined");
      expect(emulator.session(declined.id)).toMatchObject({ status: "complete", payment_status: "unpaid" });
      expect(receiver.received.map((r) => verify(r).type)).toEqual([
        "checkout.session.completed",
        "checkout.session.async_payment_failed",
      ]);
      expect((await choose((await newSession("ps-page-bad")).id, "maybe")).status).toBe(400);
    });
  });
});

describe("parseStripeForm", () => {
  it("reads Stripe's bracket notation into nested objects and arrays", () => {
    const form =
      "mode=payment&metadata[paymentSessionId]=ps%201&line_items[0][quantity]=2" +
      "&line_items[0][price_data][unit_amount]=1999&line_items[1][quantity]=1&expand[]=a&expand[]=b";
    expect(parseStripeForm(form)).toEqual({
      mode: "payment",
      metadata: { paymentSessionId: "ps 1" },
      line_items: [{ quantity: "2", price_data: { unit_amount: "1999" } }, { quantity: "1" }],
      expand: ["a", "b"],
    });
  });

  it("ignores prototype-polluting keys", () => {
    const parsed = parseStripeForm("__proto__[admin]=1&metadata[constructor]=x&ok=1");
    expect(parsed).toEqual({ ok: "1" });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});
