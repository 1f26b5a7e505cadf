// Pure order logic: no IO, no clocks. The workflow journals every input these functions get.
import { z } from "zod";
import type { Center } from "./catalog.ts";
import { PermanentError } from "./errors.ts";
import type { ShipTo } from "./ship-to.ts";

/** What the customer bought, frozen at checkout so later catalog edits cannot change an order. */
export type LineItemSnapshot = {
  productId: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
  fulfillmentCenterId: string;
};

/** What a center said it will ship; an operator-settled center has no shipment id or date. */
export type ShipmentRecord = {
  centerId: string;
  shipmentId: string | null;
  estimatedArrival: string | null;
};

export const ORDER_STATUSES = [
  "processing",
  "awaiting_payment",
  "needs_attention",
  "completed",
  "payment_failed",
  "abandoned",
  "expired",
  "refunded",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
// From `completed` on, final. expired: the checkout expired unpaid; refunded: before the hand-off.
export const FINAL_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.slice(ORDER_STATUSES.indexOf("completed"));
export const isFinal = (s: OrderStatus) => FINAL_STATUSES.includes(s);
export type { Center };

/** A payment session as the workflow sees it: the stored snapshot plus the centers it ships from. */
export type OrderSession = {
  id: string;
  /** When the order row was opened (epoch ms): the base of lead-time arrival dates. */
  orderedAt: number;
  customerId: string;
  email: string;
  items: LineItemSnapshot[];
  amountTotal: number;
  currency: string;
  stripeCheckoutSessionId: string;
  centers: Center[];
  /** The order row's status when it was loaded; a final one means an earlier run ended the order. */
  storedStatus?: OrderStatus | null;
  /** Where it ships, when the shop gave it at checkout (else Checkout collects it); absent in older journals. */
  shipTo?: ShipTo | null;
};

export type CenterGroup = { center: Center; items: LineItemSnapshot[] };

/** Groups line items by fulfillment center, in a stable order (by center id, then product id). */
export function groupByCenter(items: LineItemSnapshot[], centers: Center[]): CenterGroup[] {
  const byId = new Map(centers.map((c) => [c.id, c]));
  const groups = new Map<string, LineItemSnapshot[]>();
  for (const item of items) {
    if (!byId.has(item.fulfillmentCenterId)) {
      throw new Error(`product ${item.productId} ships from unknown center ${item.fulfillmentCenterId}`);
    }
    const list = groups.get(item.fulfillmentCenterId) ?? [];
    list.push(item);
    groups.set(item.fulfillmentCenterId, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, list]) => ({
      center: byId.get(id)!,
      items: [...list].sort((a, b) => a.productId.localeCompare(b.productId)),
    }));
}

export const orderTotal = (items: Pick<LineItemSnapshot, "quantity" | "unitPriceCents">[]) =>
  items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0);

/** `YYYY-MM-DD`, `days` after the given instant (UTC calendar days). */
export function addDays(fromEpochMs: number, days: number): string {
  return new Date(fromEpochMs + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The arrival date promised to the customer: the latest date any center gave. A center whose step
 * an operator settled by hand gave none; its lead time stands in for it.
 */
export function estimatedArrival(shipments: ShipmentRecord[], centers: Center[], orderedAtMs: number): string {
  const dates = shipments.map((s) => {
    if (s.estimatedArrival) return s.estimatedArrival;
    const center = centers.find((c) => c.id === s.centerId);
    return addDays(orderedAtMs, center?.leadTimeDays ?? 0);
  });
  return dates.reduce((latest, d) => (d > latest ? d : latest), addDays(orderedAtMs, 0));
}

/** What the payment is checked against: the Stripe checkout and the total the customer was quoted. */
export type PaymentToCheck = Pick<OrderSession, "id" | "stripeCheckoutSessionId" | "amountTotal" | "currency">;

/**
 * What the webhook hands the order's run: the checkout it verified, so the run can ask Stripe about
 * it while it loads the order (the head start). A hint, never trusted: anyone on Restate's ingress
 * can start a run with any input, so the run uses Stripe's answer only if the checkout and total
 * are the order's (headStartVerdict). Anything that is not such a hint, no input included, reads
 * as no hint: such a run still processes its order, verifying the payment after loading it.
 */
export const OrderStartSchema = z
  .object({
    payment: z
      .object({
        stripeCheckoutSessionId: z.string().min(1),
        amountTotal: z.number().int(),
        currency: z.string().min(1),
      })
      .optional(),
  })
  .catch({});
export type OrderStart = z.infer<typeof OrderStartSchema>;

/** Whether a check of `claimed` says anything about `order`'s payment. */
export const samePayment = (order: PaymentToCheck, claimed: Omit<PaymentToCheck, "id">) =>
  order.stripeCheckoutSessionId === claimed.stripeCheckoutSessionId &&
  order.amountTotal === claimed.amountTotal &&
  order.currency === claimed.currency;

/**
 * What the order may act on from Stripe's head-start answer (its check of the checkout the start
 * hint named, undefined if that check failed): the answer when it is about the order's own
 * checkout and total and is not a mismatch, which the step proper takes to an operator. Undefined
 * otherwise: the order then asks Stripe itself.
 */
export function headStartVerdict(
  order: PaymentToCheck,
  hint: OrderStart["payment"],
  headStart: PaymentCheck | undefined,
): PaymentVerdict | undefined {
  if (!hint || !headStart || headStart.outcome === "mismatch" || !samePayment(order, hint)) return undefined;
  return headStart;
}

/** What Stripe says about a Checkout Session, reduced to the fields the decision needs. */
export type CheckoutSessionFacts = {
  id: string;
  status: string | null;
  paymentStatus: string;
  amountTotal: number | null;
  currency: string | null;
  /** The ship-to address Checkout collected, if it collected one. */
  shipTo?: ShipTo | null;
  /** The payment's ids (the session's PaymentIntent expanded), and whether it is live or test mode. */
  payment?: { paymentIntentId: string; latestChargeId: string | null; livemode: boolean } | null;
};

export type PaymentCheck =
  | { outcome: "paid"; shipTo?: ShipTo }
  | { outcome: "pending" }
  | { outcome: "failed"; reason: string }
  | { outcome: "expired" } // the checkout expired unpaid: the order ends, nothing is sent or emailed
  | { outcome: "mismatch"; reason: string };

/** Paid means payment_status "paid" with the amount and currency the customer was quoted. */
export function checkPayment(
  expected: { amountTotal: number; currency: string },
  session: CheckoutSessionFacts,
): PaymentCheck {
  if (session.paymentStatus === "paid" || session.paymentStatus === "no_payment_required") {
    if (session.amountTotal !== expected.amountTotal || session.currency?.toLowerCase() !== expected.currency) {
      return {
        outcome: "mismatch",
        reason: `Stripe charged ${session.amountTotal} ${session.currency}, the order is ${expected.amountTotal} ${expected.currency}`,
      };
    }
    // Journaled with the verdict: the address the order ships to is what Stripe said when it was paid.
    return session.shipTo ? { outcome: "paid", shipTo: session.shipTo } : { outcome: "paid" };
  }
  if (session.status === "expired") return { outcome: "expired" };
  return { outcome: "pending" };
}

/** Stripe and the order disagree, or contradict themselves: only a person can settle that. */
export class PaymentNeedsReviewError extends PermanentError {
  override name = "PaymentNeedsReviewError";
}

export type PaymentVerdict = Exclude<PaymentCheck, { outcome: "mismatch" }>;

/**
 * What the workflow acts on: paid, failed or (before any async event) pending. A mismatch, or a
 * session still unpaid after Stripe said its async payment succeeded, goes to an operator.
 */
export function paymentVerdict(check: PaymentCheck, afterAsyncSuccess: boolean): PaymentVerdict {
  if (check.outcome === "mismatch") throw new PaymentNeedsReviewError(check.reason);
  if (check.outcome === "pending" && afterAsyncSuccess) {
    throw new PaymentNeedsReviewError("async payment reported succeeded but the session is still unpaid");
  }
  return check;
}
