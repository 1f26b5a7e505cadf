// Stripe's news about a payment after checkout: refunds, disputes, early fraud warnings and Radar
// reviews. What postpay keeps of each event, and the rule the hand-off gate applies to what was
// recorded before the hand-off. Pure: the events were verified, and re-read from Stripe where their
// snapshot could be stale, before they got here.
import type Stripe from "stripe";
import { z } from "zod";
import { PermanentError } from "./errors.ts";

export const SIGNAL_TYPES = [
  "charge.refunded",
  "refund.created",
  "refund.updated",
  "charge.dispute.created",
  "charge.dispute.closed",
  "radar.early_fraud_warning.created",
  "review.opened",
  "review.closed",
] as const;
export type SignalType = (typeof SIGNAL_TYPES)[number];
export const isSignalType = (type: string): type is SignalType => (SIGNAL_TYPES as readonly string[]).includes(type);

export type SignalKind = "refund" | "dispute" | "fraud_warning" | "review";
export const kindOf = (type: SignalType): SignalKind =>
  type.startsWith("charge.dispute")
    ? "dispute"
    : type.startsWith("radar.")
      ? "fraud_warning"
      : type.startsWith("review.")
        ? "review"
        : "refund";

/** What one event's object says: the ids that lead to the order, and the few facts operators read. */
export type SignalSnapshot = {
  type: SignalType;
  /** The refund, dispute, warning or review (the charge, for charge.refunded). */
  objectId: string;
  paymentIntentId: string | null;
  chargeId: string | null;
  amount: number | null;
  currency: string | null;
  reason: string | null;
  status: string | null;
};

/** A signal as recorded by event id, with what was re-read from Stripe and which side of the hand-off it fell on. */
export type RecordedSignal = SignalSnapshot & {
  eventId: string;
  orderId: string;
  livemode: boolean;
  /** Refund events: the charge as re-read from Stripe when the event was recorded. */
  chargeAmount: number | null;
  amountRefunded: number | null;
  /** Recorded after the order was marked handed off (the gate and the recording lock the same row). */
  afterHandOff: boolean;
  receivedAt: string;
};

type Obj = { id?: unknown; payment_intent?: unknown; charge?: unknown };
const idOf = (v: unknown) =>
  typeof v === "string" ? v : v && typeof (v as { id?: unknown }).id === "string" ? (v as { id: string }).id : null;
const str = (v: unknown) => (typeof v === "string" ? v : null);
const num = (v: unknown) => (typeof v === "number" ? v : null);

/** The snapshot of a signal event; undefined for any other type, or an object without an id. */
export function signalOf(event: { type: string; data: { object: unknown } }): SignalSnapshot | undefined {
  if (!isSignalType(event.type)) return undefined;
  const o = (event.data?.object ?? {}) as Obj & Record<string, unknown>;
  const objectId = str(o.id);
  if (!objectId) return undefined;
  const kind = kindOf(event.type);
  const base = { type: event.type, objectId, paymentIntentId: idOf(o.payment_intent), currency: str(o.currency) };
  if (event.type === "charge.refunded") {
    const charge = o as Partial<Stripe.Charge>;
    return {
      ...base,
      chargeId: objectId,
      amount: num(charge.amount_refunded),
      reason: null,
      status: str(charge.status),
    };
  }
  const reason =
    kind === "fraud_warning"
      ? str(o.fraud_type)
      : kind === "review"
        ? (str(o.closed_reason) ?? str(o.reason))
        : str(o.reason);
  const status = kind === "review" ? (o.open === false ? "closed" : "open") : str(o.status);
  return { ...base, chargeId: idOf(o.charge), amount: num(o.amount), reason, status };
}

/** What the gate tells the order: go on (the order is now handed off), stop as refunded, or wait for a review. */
export type GateVerdict =
  | { verdict: "go" }
  | { verdict: "refunded"; amountRefunded: number; currency: string | null }
  | { verdict: "review"; reviewId: string };

/** Something recorded before the hand-off that a person must weigh: the gate step fails with it. */
export class HandOffHold extends PermanentError {
  override name = "HandOffHold";
}

export const money = (cents: number | null, currency: string | null) =>
  cents === null ? "an unknown amount" : `${(cents / 100).toFixed(2)} ${(currency ?? "").toUpperCase()}`.trim();

const DECIDE = "ship anyway (done by hand), check again (retry) or stop (abandon)?";

/**
 * The rule of the hand-off gate over the order's signals recorded before the hand-off. A full
 * refund stops the order, always; a partial refund, an early fraud warning or a review closed other
 * than `approved` hold it for a person (HandOffHold); an open review makes it wait. `shipAnyway`:
 * an operator said "done by hand" on such a hold; only a full refund still stops the order then.
 */
export function gateVerdict(signals: RecordedSignal[], { shipAnyway = false } = {}): GateVerdict {
  const before = signals.filter((s) => !s.afterHandOff);
  // The latest re-read of the charge is Stripe's word on how much was refunded.
  const refund = before.filter((s) => kindOf(s.type) === "refund" && s.amountRefunded !== null).at(-1);
  const refunded = refund?.amountRefunded ?? 0;
  if (refund && refund.chargeAmount !== null && refunded > 0 && refunded >= refund.chargeAmount)
    return { verdict: "refunded", amountRefunded: refunded, currency: refund.currency };
  if (shipAnyway) return { verdict: "go" };
  if (refund && refunded > 0)
    throw new HandOffHold(
      `partially refunded in Stripe before the hand-off: ${money(refunded, refund.currency)} of ${money(refund.chargeAmount, refund.currency)}; ${DECIDE}`,
    );
  const warning = before.find((s) => s.type === "radar.early_fraud_warning.created");
  if (warning)
    throw new HandOffHold(`Stripe raised an early fraud warning (${warning.reason ?? "no type given"}); ${DECIDE}`);
  const reviews = new Map<string, { opened: boolean; closed?: RecordedSignal }>();
  for (const s of before.filter((s) => kindOf(s.type) === "review")) {
    const r = reviews.get(s.objectId) ?? { opened: false };
    if (s.type === "review.closed") r.closed = s;
    else r.opened = true;
    reviews.set(s.objectId, r);
  }
  for (const [id, r] of reviews)
    if (r.closed && r.closed.reason !== "approved")
      throw new HandOffHold(`Radar review ${id} closed as ${r.closed.reason ?? "unknown"}; ${DECIDE}`);
  const open = [...reviews].find(([, r]) => r.opened && !r.closed);
  return open ? { verdict: "review", reviewId: open[0] } : { verdict: "go" };
}

/** The payment in the Stripe Dashboard (test mode under /test/). */
export const stripeDashboardUrl = (paymentIntentId: string, livemode: boolean) =>
  `https://dashboard.stripe.com/${livemode ? "" : "test/"}payments/${encodeURIComponent(paymentIntentId)}`;

const TITLES: Record<SignalType, string> = {
  "charge.refunded": "refunded in Stripe",
  "refund.created": "refund created in Stripe",
  "refund.updated": "refund updated in Stripe",
  "charge.dispute.created": "dispute opened",
  "charge.dispute.closed": "dispute closed",
  "radar.early_fraud_warning.created": "early fraud warning",
  "review.opened": "Radar review opened",
  "review.closed": "Radar review closed",
};

/** A signal in words, for Slack and the console: "dispute opened", "25.00 USD, reason fraudulent, status needs_response". */
export function signalNotice(s: Pick<RecordedSignal, "type" | "amount" | "currency" | "reason" | "status">) {
  const facts = [
    s.amount !== null && money(s.amount, s.currency),
    s.reason && `reason ${s.reason}`,
    s.status && `status ${s.status}`,
  ].filter(Boolean);
  return { title: TITLES[s.type], details: facts.join(", ") || "no details" };
}

const REFUND_STEP = "refunded after hand-off";

/**
 * The incident a refund after the hand-off opens, one per center that has the order. Named by how
 * much the charge had refunded when it was recorded: charge.refunded and refund.created for one
 * refund name the same incident; a second refund a new one.
 */
export const refundAfterHandOffIncident = (
  orderId: string,
  centerId: string,
  s: Pick<RecordedSignal, "amountRefunded" | "chargeAmount" | "currency">,
) => ({
  id: `${orderId}#${centerId}#refund-${s.amountRefunded}`,
  step: `${REFUND_STEP} ${centerId}`,
  error: `refunded in Stripe after ${centerId} has the order — cancel at the center? (${money(s.amountRefunded, s.currency)} of ${money(s.chargeAmount, s.currency)} refunded; postpay cancels nothing by itself)`,
});
/** An incident about a refund after hand-off: a decision on it only records the operator's answer. */
export const isRefundIncident = (step: string) => step.startsWith(REFUND_STEP);

/** What the HTTP app passes on to a Restate handler: which recorded event to act on. */
export const StripeEventRefSchema = z.object({ eventId: z.string().min(1).max(255) });
export type StripeEventRef = z.infer<typeof StripeEventRefSchema>;
