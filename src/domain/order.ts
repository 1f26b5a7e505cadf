// Pure order logic: no IO, no clocks. The workflow journals every input these functions get.
import type { LineItemSnapshot, ShipmentRecord } from "../../db/schema.ts";

export type { LineItemSnapshot, ShipmentRecord };

export const ORDER_STATUSES = [
  "processing",
  "awaiting_payment",
  "needs_attention",
  "completed",
  "payment_failed",
  "abandoned",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const FINAL_STATUSES: readonly OrderStatus[] = ["completed", "payment_failed", "abandoned"];
export const isFinal = (s: OrderStatus) => FINAL_STATUSES.includes(s);

export type Center = { id: string; name: string; orderUrl: string; leadTimeDays: number };

/** A payment session as the workflow sees it: the stored snapshot plus the centers it ships from. */
export type OrderSession = {
  id: string;
  customerId: string;
  email: string;
  items: LineItemSnapshot[];
  amountTotal: number;
  currency: string;
  stripeCheckoutSessionId: string;
  centers: Center[];
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
export function estimatedArrival(
  shipments: ShipmentRecord[],
  centers: Center[],
  orderedAtMs: number,
): string {
  const dates = shipments.map((s) => {
    if (s.estimatedArrival) return s.estimatedArrival;
    const center = centers.find((c) => c.id === s.centerId);
    return addDays(orderedAtMs, center?.leadTimeDays ?? 0);
  });
  return dates.reduce((latest, d) => (d > latest ? d : latest), addDays(orderedAtMs, 0));
}

/** What Stripe says about a Checkout Session, reduced to the fields the decision needs. */
export type CheckoutSessionFacts = {
  id: string;
  status: string | null;
  paymentStatus: string;
  amountTotal: number | null;
  currency: string | null;
};

export type PaymentCheck =
  | { outcome: "paid" }
  | { outcome: "pending" }
  | { outcome: "failed"; reason: string }
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
    return { outcome: "paid" };
  }
  if (session.status === "expired") return { outcome: "failed", reason: "the checkout session expired unpaid" };
  return { outcome: "pending" };
}
