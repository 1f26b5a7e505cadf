// Stripe's door: POST /webhooks/stripe. One lock: Stripe's signature, checked before anything
// reaches Restate. A verified async payment outcome is recorded first: the workflow acts only on
// recorded outcomes, so nobody can tell it one by calling Restate's ingress directly. The events
// after checkout (expiry, refunds, disputes, fraud warnings, reviews) go the same way: stripe-signals.ts.
import { Hono } from "hono";
import type { Db } from "../../db/client.ts";
import { recordPaymentEvent } from "../../db/payment-events.ts";
import { findSessionForWebhook } from "../../db/sessions.ts";
import type { OrderClient, ShipmentClient } from "../adapters/restate-ingress.ts";
import { verifyWebhook, type StripeGateway } from "../adapters/stripe.ts";
import { isFinal } from "../domain/order.ts";
import { intentOf } from "../domain/stripe-events.ts";
import { signalOf } from "../domain/stripe-signals.ts";
import type { Logger } from "../log.ts";
import { ApiError } from "./errors.ts";
import { limitBody, signatureFirst, type RateLimit } from "./middleware.ts";
import { acceptExpiry, acceptSignal } from "./stripe-signals.ts";

/** Stripe's event payloads are far below this; anything larger is not from Stripe. */
export const WEBHOOK_MAX_BYTES = 256 * 1024;

export type WebhookDeps = { db: Db; orders: OrderClient; webhookSecret: string; log: Logger; rateLimit: RateLimit } & {
  stripe: StripeGateway;
  shipments?: ShipmentClient;
};

export function stripeWebhookRoutes(deps: WebhookDeps) {
  const { db, log } = deps;
  const webhook = new Hono();

  // Signature first: Stripe's own deliveries are never limited nor counted (a sale sends thousands
  // a minute from a few addresses, maybe through the same proxy as a forger); only refused
  // requests count, per client, so a forger's attempts run out and Stripe's never do.
  const verified = signatureFirst(deps.rateLimit, async (c) => {
    const signature = c.req.header("stripe-signature");
    if (!signature) throw new ApiError("invalid_signature", "missing Stripe-Signature header");
    const payload = await c.req.text();
    try {
      return verifyWebhook(payload, signature, deps.webhookSecret);
    } catch (err) {
      // stripe-node parses only once the signature verified: Stripe's own body, not a forger's.
      if (err instanceof SyntaxError) return null;
      // stripe-node's own words ("No signatures found…", "Timestamp outside the tolerance zone").
      throw new ApiError("invalid_signature", (err as Error).message);
    }
  });

  webhook.post("/webhooks/stripe", limitBody(WEBHOOK_MAX_BYTES), verified, async (c) => {
    const event = c.get("verified");
    if (!event) throw new ApiError("invalid_request", "signed body is not valid JSON");
    const accepted = (result: object) => {
      log.info({ eventId: event.id, type: event.type, ...result }, "webhook accepted");
      return c.json(result);
    };
    const signal = signalOf(event);
    if (signal) return accepted(await acceptSignal(deps, event, signal));
    const intent = intentOf(event);
    if (intent.kind === "ignore") return c.json({ received: true, ignored: intent.reason });
    if (intent.kind === "expire")
      return accepted(await acceptExpiry(deps, event, intent.paymentSessionId, intent.checkoutSessionId));

    const session = await findSessionForWebhook(db, intent.paymentSessionId);
    if (!session || session.stripeCheckoutSessionId !== intent.checkoutSessionId) {
      log.warn({ eventId: event.id, type: event.type, ...intent }, "webhook for an unknown payment session ignored");
      return c.json({ received: true, ignored: "unknown payment session" });
    }
    // A finished order stays finished: a late redelivery (after Restate's retention has dropped
    // the workflow) must not start it again.
    if (session.orderStatus && isFinal(session.orderStatus)) {
      return c.json({ received: true, ignored: `order already ${session.orderStatus}` });
    }
    const outcome = intent.asyncOutcome && { outcome: intent.asyncOutcome, eventId: event.id };
    if (outcome) await recordPaymentEvent(db, { ...outcome, orderId: intent.paymentSessionId });
    // 200 only once Restate has durably accepted the work; if it cannot, Stripe retries.
    const { stripeCheckoutSessionId, amountTotal, currency } = session;
    const submission = await deps.orders.start(intent.paymentSessionId, {
      payment: { stripeCheckoutSessionId, amountTotal, currency },
    });
    if (outcome) await deps.orders.paymentEvent(intent.paymentSessionId, outcome);
    else if (intent.paidOnCompletion && submission.status === "PreviouslyAccepted") {
      // The run started before this delivery: a redelivery, or someone on Restate's ingress who
      // started it before the customer paid, so it found the session unpaid and now waits for a
      // payment outcome. Record this verified event as that outcome and tell the run; it asks
      // Stripe again before it acts on it.
      const paid = { outcome: "succeeded" as const, eventId: event.id };
      await recordPaymentEvent(db, { ...paid, orderId: intent.paymentSessionId });
      await deps.orders.paymentEvent(intent.paymentSessionId, paid);
    }
    log.info(
      { eventId: event.id, type: event.type, orderId: intent.paymentSessionId, submission: submission.status },
      "webhook accepted",
    );
    return c.json({ received: true, orderId: intent.paymentSessionId, invocationId: submission.invocationId });
  });

  return webhook;
}
