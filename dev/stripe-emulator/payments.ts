// What a Checkout Session's payment becomes after checkout, as on Stripe: a PaymentIntent and its
// charge (made when the session completes), refunds (full or partial), disputes, early fraud
// warnings and Radar reviews. Each change is sent as the event Stripe sends, typed by stripe-node.
import type Stripe from "stripe";
import { EmulatorError, randomId, type EmulatedSession } from "./objects.ts";

export type EmulatedPaymentIntent = Pick<
  Stripe.PaymentIntent,
  "id" | "object" | "amount" | "currency" | "status" | "latest_charge" | "metadata" | "created" | "livemode"
>;
export type EmulatedCharge = Pick<
  Stripe.Charge,
  | "id"
  | "object"
  | "amount"
  | "amount_refunded"
  | "refunded"
  | "currency"
  | "payment_intent"
  | "paid"
  | "status"
  | "disputed"
  | "created"
  | "livemode"
  | "metadata"
>;
export type EmulatedRefund = Pick<
  Stripe.Refund,
  "id" | "object" | "amount" | "charge" | "payment_intent" | "currency" | "status" | "reason" | "created" | "metadata"
>;
export type EmulatedDispute = Pick<
  Stripe.Dispute,
  "id" | "object" | "amount" | "charge" | "payment_intent" | "currency" | "reason" | "status" | "created" | "livemode"
>;
export type EmulatedFraudWarning = Pick<
  Stripe.Radar.EarlyFraudWarning,
  "id" | "object" | "actionable" | "charge" | "payment_intent" | "fraud_type" | "created" | "livemode"
>;
export type EmulatedReview = Pick<
  Stripe.Review,
  | "id"
  | "object"
  | "charge"
  | "payment_intent"
  | "open"
  | "reason"
  | "closed_reason"
  | "opened_reason"
  | "created"
  | "livemode"
>;

/** Each event type postpay listens to, with the object it carries. */
export type ObjectOf = {
  "checkout.session.completed": EmulatedSession;
  "checkout.session.async_payment_succeeded": EmulatedSession;
  "checkout.session.async_payment_failed": EmulatedSession;
  "checkout.session.expired": EmulatedSession;
  "charge.refunded": EmulatedCharge;
  "refund.created": EmulatedRefund;
  "refund.updated": EmulatedRefund;
  "charge.dispute.created": EmulatedDispute;
  "charge.dispute.closed": EmulatedDispute;
  "radar.early_fraud_warning.created": EmulatedFraudWarning;
  "review.opened": EmulatedReview;
  "review.closed": EmulatedReview;
};
// Every key is one of Stripe's own event types (stripe-node's union): a typo does not compile.
type Checked<T extends { [K in keyof T]: K extends Stripe.Event["type"] ? unknown : never }> = T;
export type EventType = keyof Checked<ObjectOf>;

type Emit = <T extends EventType>(
  type: T,
  object: ObjectOf[T],
) => Promise<{ eventId: string; status: number; body: string }>;
const nowSecs = () => Math.floor(Date.now() / 1000);

export function createPayments(emit: Emit, sessionOf: (id: string) => EmulatedSession) {
  const intents = new Map<string, EmulatedPaymentIntent>();
  const charges = new Map<string, EmulatedCharge>();
  const refunds = new Map<string, EmulatedRefund>();
  const disputes = new Map<string, EmulatedDispute>();
  const reviews = new Map<string, EmulatedReview>();
  const must = <T>(map: Map<string, T>, id: string, what: string) => {
    const found = map.get(id);
    if (!found) throw new EmulatorError(404, `No such ${what}: '${id}'`);
    return found;
  };
  /** The session's charge, which must have been paid. */
  const paidCharge = (sessionId: string) => {
    const pi = sessionOf(sessionId).payment_intent as string | null;
    const charge = pi ? charges.get(intents.get(pi)?.latest_charge as string) : undefined;
    if (!charge?.paid) throw new EmulatorError(409, `checkout.session ${sessionId} has no paid charge`);
    return charge;
  };
  const on = (c: EmulatedCharge) => ({ charge: c.id, payment_intent: c.payment_intent as string, livemode: false });

  return {
    intent: (id: string) => intents.get(id),
    charge: (id: string) => charges.get(id),
    dispute: (id: string) => disputes.get(id),
    refundsOf: (chargeId: string) => [...refunds.values()].filter((r) => r.charge === chargeId),

    /** The PaymentIntent and charge a completed session made; `paid` false while a delayed method settles. */
    open(session: EmulatedSession, metadata: Record<string, string>, paid: boolean): string {
      const pi: EmulatedPaymentIntent = {
        id: randomId("pi_"),
        object: "payment_intent",
        amount: session.amount_total ?? 0,
        currency: session.currency ?? "usd",
        status: paid ? "succeeded" : "processing",
        latest_charge: randomId("ch_"),
        metadata,
        created: nowSecs(),
        livemode: false,
      };
      intents.set(pi.id, pi);
      charges.set(pi.latest_charge as string, {
        id: pi.latest_charge as string,
        object: "charge",
        amount: pi.amount,
        amount_refunded: 0,
        refunded: false,
        currency: pi.currency,
        payment_intent: pi.id,
        paid,
        status: paid ? "succeeded" : "pending",
        disputed: false,
        created: pi.created,
        livemode: false,
        metadata: {},
      });
      return pi.id;
    },

    /** A delayed payment method settled. */
    settle(piId: string, succeeded: boolean) {
      const pi = must(intents, piId, "payment_intent");
      const charge = must(charges, pi.latest_charge as string, "charge");
      pi.status = succeeded ? "succeeded" : "requires_payment_method";
      Object.assign(charge, { paid: succeeded, status: succeeded ? "succeeded" : "failed" });
    },

    /** A refund from the Dashboard: the whole charge, or `amount` of it. Stripe sends charge.refunded and refund.created. */
    async refund(sessionId: string, amount?: number) {
      const charge = paidCharge(sessionId);
      const left = charge.amount - charge.amount_refunded;
      const take = amount ?? left;
      if (take < 1 || take > left) throw new EmulatorError(400, `refund of ${take}: ${left} left to refund`);
      charge.amount_refunded += take;
      charge.refunded = charge.amount_refunded === charge.amount;
      const refund: EmulatedRefund = {
        id: randomId("re_"),
        object: "refund",
        amount: take,
        charge: charge.id,
        payment_intent: charge.payment_intent,
        currency: charge.currency,
        status: "succeeded",
        reason: "requested_by_customer",
        created: nowSecs(),
        metadata: {},
      };
      refunds.set(refund.id, refund);
      return {
        refundId: refund.id,
        deliveries: [await emit("charge.refunded", charge), await emit("refund.created", refund)],
      };
    },

    /** A refund the bank could not pay out: it fails, the charge counts it no more; Stripe sends refund.updated. */
    async failRefund(refundId: string) {
      const refund = must(refunds, refundId, "refund");
      if (refund.status !== "succeeded") throw new EmulatorError(409, `refund ${refundId} is ${refund.status}`);
      const charge = must(charges, refund.charge as string, "charge");
      refund.status = "failed";
      charge.amount_refunded -= refund.amount;
      charge.refunded = false;
      return { refundId, delivery: await emit("refund.updated", refund) };
    },

    /** The customer's bank disputes the charge (a chargeback). */
    async openDispute(sessionId: string, reason = "fraudulent") {
      const charge = paidCharge(sessionId);
      charge.disputed = true;
      const dispute: EmulatedDispute = {
        id: randomId("dp_"),
        object: "dispute",
        amount: charge.amount,
        currency: charge.currency,
        reason,
        status: "needs_response",
        created: nowSecs(),
        ...on(charge),
      };
      disputes.set(dispute.id, dispute);
      return { disputeId: dispute.id, delivery: await emit("charge.dispute.created", dispute) };
    },

    async closeDispute(disputeId: string, status: "won" | "lost") {
      const dispute = must(disputes, disputeId, "dispute");
      dispute.status = status;
      return { disputeId, delivery: await emit("charge.dispute.closed", dispute) };
    },

    async earlyFraudWarning(sessionId: string, fraudType = "made_with_stolen_card") {
      const warning: EmulatedFraudWarning = {
        id: randomId("issfr_"),
        object: "radar.early_fraud_warning",
        actionable: true,
        fraud_type: fraudType,
        created: nowSecs(),
        ...on(paidCharge(sessionId)),
      };
      return { warningId: warning.id, delivery: await emit("radar.early_fraud_warning.created", warning) };
    },

    async openReview(sessionId: string, reason = "rule") {
      const review: EmulatedReview = {
        id: randomId("prv_"),
        object: "review",
        open: true,
        reason,
        opened_reason: reason === "manual" ? "manual" : "rule",
        closed_reason: null,
        created: nowSecs(),
        ...on(paidCharge(sessionId)),
      };
      reviews.set(review.id, review);
      return { reviewId: review.id, delivery: await emit("review.opened", review) };
    },

    async closeReview(reviewId: string, reason: Stripe.Review.ClosedReason) {
      const review = must(reviews, reviewId, "review");
      if (!review.open) throw new EmulatorError(409, `review ${reviewId} is closed`);
      Object.assign(review, { open: false, reason, closed_reason: reason });
      return { reviewId, delivery: await emit("review.closed", review) };
    },
  };
}

export type Payments = ReturnType<typeof createPayments>;
