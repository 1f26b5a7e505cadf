// What POST /webhooks/stripe does with the events after checkout, once their signature is verified
// (stripe-webhook.ts): find the order, re-read from Stripe what the event's snapshot could have
// wrong by now, record the event by its id, then act. The Restate handlers act only on the record.
//
//   checkout.session.expired     unpaid (as Stripe says now): the order ends `expired`, nothing runs
//   refunds, reviews, fraud warnings: recorded under the order's row lock (db/stripe-events.ts):
//     before the hand-off the gate reads them; after it, the Shipments object opens an incident
//   review.closed before the hand-off: a held order is told (OrderWorkflow.reviewClosed)
//   disputes, fraud warnings, reviews: a Slack notice through the Shipments object
import type Stripe from "stripe";
import type { Db } from "../../db/client.ts";
import { openExpiredOrder } from "../../db/orders.ts";
import { recordPaymentEvent } from "../../db/payment-events.ts";
import { findSessionForWebhook } from "../../db/sessions.ts";
import { findSessionByPaymentIntent, recordStripeSignal } from "../../db/stripe-events.ts";
import type { OrderClient, ShipmentClient } from "../adapters/restate-ingress.ts";
import type { StripeGateway } from "../adapters/stripe.ts";
import { PermanentError } from "../domain/errors.ts";
import { isFinal } from "../domain/order.ts";
import { kindOf, type SignalSnapshot } from "../domain/stripe-signals.ts";

export type SignalDeps = { db: Db; orders: OrderClient; shipments?: ShipmentClient; stripe: StripeGateway };

const ignored = (reason: string) => ({ received: true, ignored: reason });

/** checkout.session.expired: only a session Stripe says is expired and unpaid ends its order. */
export async function acceptExpiry(deps: SignalDeps, event: Stripe.Event, orderId: string, checkoutSessionId: string) {
  const session = await findSessionForWebhook(deps.db, orderId);
  if (!session || session.stripeCheckoutSessionId !== checkoutSessionId) return ignored("unknown payment session");
  if (session.orderStatus && isFinal(session.orderStatus)) return ignored(`order already ${session.orderStatus}`);
  const now = await deps.stripe.retrieveCheckoutSession(checkoutSessionId);
  if (now.status !== "expired" || now.paymentStatus === "paid")
    return ignored("checkout session is not expired unpaid");
  // No run has begun (the usual case): the order row opens as expired; a run started later ends at once.
  if (await openExpiredOrder(deps.db, orderId)) return { received: true, orderId, status: "expired" };
  // A run began before any payment (started through the ingress) and waits for an outcome: this
  // one, recorded as an expiry, ends it as expired.
  const outcome = { outcome: "failed" as const, eventId: event.id };
  await recordPaymentEvent(deps.db, { ...outcome, orderId, expired: true });
  await deps.orders.paymentEvent(orderId, outcome);
  return { received: true, orderId, status: "expired" };
}

/** Which order a payment belongs to: recorded when it was verified, else the PaymentIntent's own metadata. */
async function orderOf(deps: SignalDeps, paymentIntentId: string) {
  const id =
    (await findSessionByPaymentIntent(deps.db, paymentIntentId)) ??
    (await unlessUnknown(deps.stripe.retrievePaymentIntent(paymentIntentId)))?.paymentSessionId;
  return id && (await findSessionForWebhook(deps.db, id)) ? id : undefined;
}

/**
 * Stripe refusing a read (404: not this account's object) is an answer: the event is not about an
 * order of ours, answered 200 and ignored. A transient failure throws: 5xx, and Stripe redelivers.
 */
const unlessUnknown = <T>(read: Promise<T>) =>
  read.catch((err: unknown) => {
    if (err instanceof PermanentError) return undefined;
    throw err;
  });

/** A refund, dispute, early fraud warning or review: recorded by event id, then acted on. */
export async function acceptSignal(deps: SignalDeps, event: Stripe.Event, snapshot: SignalSnapshot) {
  let s = snapshot;
  // A refund's event says little and may be late: the charge, re-read now, says how much is refunded.
  const charge =
    s.chargeId && (kindOf(s.type) === "refund" || !s.paymentIntentId)
      ? await unlessUnknown(deps.stripe.retrieveCharge(s.chargeId))
      : undefined;
  const paymentIntentId = s.paymentIntentId ?? charge?.paymentIntentId ?? null;
  if (!paymentIntentId) return ignored("names no PaymentIntent");
  const orderId = await orderOf(deps, paymentIntentId);
  if (!orderId) return ignored("no postpay order for this payment");
  if (kindOf(s.type) === "dispute") {
    // Where the dispute stands now, whichever of its events arrives last.
    const d = await deps.stripe.retrieveDispute(s.objectId);
    s = { ...s, status: d.status, amount: d.amount, currency: d.currency, reason: d.reason };
  }
  const { signal, orderStatus } = await recordStripeSignal(deps.db, {
    ...s,
    paymentIntentId,
    currency: s.currency ?? charge?.currency ?? null,
    eventId: event.id,
    orderId,
    livemode: event.livemode === true,
    chargeAmount: charge?.amount ?? null,
    amountRefunded: charge?.amountRefunded ?? null,
  });
  const ref = { eventId: signal.eventId };
  // After the hand-off a refund is an incident; disputes, warnings and reviews are Slack notices.
  if (deps.shipments && (signal.afterHandOff || kindOf(signal.type) !== "refund"))
    await deps.shipments.stripeEvent(orderId, ref);
  // Before it, an order waiting on this review hears it closed (it reads how, from the record).
  if (signal.type === "review.closed" && !signal.afterHandOff && orderStatus && !isFinal(orderStatus))
    await deps.orders.reviewClosed(orderId, ref);
  return { received: true, orderId, afterHandOff: signal.afterHandOff };
}
