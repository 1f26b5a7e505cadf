// Which Stripe events move an order, and how. Pure: the event was verified before it got here.
import { z } from "zod";
export type WebhookIntent =
  | { kind: "ignore"; reason: string }
  /** checkout.session.expired: the order ends `expired` if Stripe says the session expired unpaid. */
  | { kind: "expire"; paymentSessionId: string; checkoutSessionId: string }
  | {
      kind: "start";
      paymentSessionId: string;
      checkoutSessionId: string;
      /** Set for async payment results, which a waiting workflow needs to hear about. */
      asyncOutcome?: "succeeded" | "failed";
      /**
       * checkout.session.completed for a session already paid (a card): a run that started
       * before the customer paid may be waiting to hear it.
       */
      paidOnCompletion?: true;
    };

type CheckoutSessionLike = {
  id?: unknown;
  client_reference_id?: unknown;
  metadata?: unknown;
  payment_status?: unknown;
};

const OUTCOMES: Record<string, "succeeded" | "failed" | undefined> = {
  "checkout.session.completed": undefined,
  "checkout.session.async_payment_succeeded": "succeeded",
  "checkout.session.async_payment_failed": "failed",
};

export function intentOf(event: { type: string; data: { object: unknown } }): WebhookIntent {
  const expiry = event.type === "checkout.session.expired";
  if (!(event.type in OUTCOMES) && !expiry)
    return { kind: "ignore", reason: `event type ${event.type} is not handled` };
  const session = (event.data?.object ?? {}) as CheckoutSessionLike;
  const metadata = (session.metadata ?? {}) as Record<string, unknown>;
  const paymentSessionId = session.client_reference_id ?? metadata.paymentSessionId;
  if (typeof paymentSessionId !== "string" || !paymentSessionId || typeof session.id !== "string") {
    return { kind: "ignore", reason: "checkout session carries no postpay payment session id" };
  }
  if (expiry) return { kind: "expire", paymentSessionId, checkoutSessionId: session.id };
  const asyncOutcome = OUTCOMES[event.type];
  return {
    kind: "start",
    paymentSessionId,
    checkoutSessionId: session.id,
    ...(asyncOutcome && { asyncOutcome }),
    ...(event.type === "checkout.session.completed" &&
      session.payment_status === "paid" && { paidOnCompletion: true as const }),
  };
}

/** What a waiting order hears of its async payment: the outcome of a verified Stripe event. */
export const PaymentEventSchema = z.object({
  outcome: z.enum(["succeeded", "failed"]),
  eventId: z.string().min(1).max(255),
  /**
   * Set by the order's own handler, from the record, when the failure is a checkout.session.expired
   * (a run started before payment hears it): the order ends `expired`, not payment_failed. Absent
   * in journals from before it existed.
   */
  expired: z.boolean().optional(),
});
export type PaymentEvent = z.infer<typeof PaymentEventSchema>;
