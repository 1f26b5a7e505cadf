// Every name Restate persists for postpay's services, and the helpers that touch the journal by
// name. Restate replays an order's journal by these names and keeps its state and promises under
// them: renaming any of them strands the orders in flight (their replay no longer matches, or waits
// on a promise nobody completes). Change one only in a new deployment registered beside the old
// one, which keeps serving the orders it started until they end. The handler names (the keys of the
// handlers in order-workflow.ts, order-handlers.ts, slack-alerts.ts, support-desk.ts and
// shipments.ts) are durable in the same way.
//
// What crosses versions: the shared handlers (status, resolve, paymentEvent) run on the newest
// deployment while the run they serve may be older. They read the view an older run wrote and
// complete the promises an older run waits on, so each of those payloads has a schema below that
// every version still running accepts. A new version may add optional fields (the schemas keep what
// they do not know; older code ignores it), never remove, rename or retype one; `v` names the shape
// (absent: 1). A shape older code cannot read takes a new state key or promise name, served beside
// the old one until the orders that use it have ended.
import * as restate from "@restatedev/restate-sdk";
import { z } from "zod";
import type { Alert } from "../src/domain/alerts.ts";
import { DECISION_ACTIONS, type RecordedDecision } from "../src/domain/decision.ts";
import type { OrderView } from "../src/domain/order-view.ts";
import { PaymentEventSchema, type PaymentEvent } from "../src/domain/stripe-events.ts";
import type { StripeEventRef } from "../src/domain/stripe-signals.ts";

/** Service names; SlackAlerts keeps one object, so one backlog and one rate, under ALERTS_KEY. */
export const SERVICE = {
  order: "OrderWorkflow",
  alerts: "SlackAlerts",
  support: "SupportDesk",
  shipments: "Shipments",
  stuck: "StuckOrders",
} as const;
export const ALERTS_KEY = "default";

/** Step names (ctx.run): operators read them in journals, incidents and the order's view. */
export const STEP = {
  loadPaymentSession: "load payment session",
  verifyPayment: "verify payment",
  findShipTo: "find ship-to address",
  emailPaymentProblem: "email payment problem",
  markAwaitingPayment: "mark awaiting payment",
  markProcessing: "mark processing",
  updateInventory: (centerId: string) => `update inventory ${centerId}`,
  sendTo: (centerId: string) => `send to ${centerId}`,
  recordManualFulfillment: (centerId: string) => `record manual fulfillment ${centerId}`,
  emailConfirmation: "email confirmation",
  recordHistory: "record history",
  emailAbandonNotice: "email abandon notice",
  emailSupport: "email support",
  recordIncident: "record incident",
  findDecision: "find decision",
  recordDecision: "record decision",
  findPaymentEvent: "find payment event",
  postToSlack: "post to slack",
  checkBeforeHandOff: "check before hand-off",
  handOffAnyway: "hand off anyway",
  emailRefunded: "email refunded",
  findStripeEvent: "find stripe event",
  findStuckOrders: "find stuck orders",
} as const;

/**
 * The Shipments object's step names. It keeps no Restate state (shipments live in the database);
 * its handler names (`event`, `resolve`) are in every queued call and ingress idempotency key.
 */
export const SHIPMENT_STEP = {
  findEvent: "find shipment event",
  applyEvent: "apply shipment event",
  emailShipped: (centerId: string) => `email shipped ${centerId}`,
  emailDelivered: "email delivered",
  recordIncident: (centerId: string) => `record incident ${centerId}`,
  findIncident: "find incident",
  resend: (centerId: string) => `resend to ${centerId}`,
  settle: (centerId: string) => `settle ${centerId} by hand`,
  resolveIncident: "resolve incident",
  findUnshipped: "find unshipped",
  findStripeEvent: "find stripe event",
  noticeStripeEvent: "notice stripe event",
} as const;

/** Timer names (ctx.sleep). */
export const TIMER = { remind: "remind" } as const;

// ---- state -------------------------------------------------------------------------------------

/** OrderWorkflow's one state key: the live view (live-view.ts) that the status handler answers with. */
const VIEW = "view";

const shapeVersion = z.number().int().positive().optional();

/** The view as the shared handlers rely on it, whichever version's run wrote it. */
export const ViewSchema = z.looseObject({
  v: shapeVersion,
  orderId: z.string(),
  customerId: z.string(),
  status: z.string(),
  steps: z.array(z.looseObject({ name: z.string(), status: z.string(), at: z.string() })),
  shipments: z.array(z.looseObject({ centerId: z.string() })),
  estimatedArrival: z.string().nullable(),
  incident: z.looseObject({ id: z.string(), step: z.string(), error: z.string() }).nullable(),
  invocationId: z.string().nullable(),
});

export const writeView = (ctx: restate.WorkflowContext, view: OrderView) => ctx.set(VIEW, view);

/** What the status handler answers; null before the order's run has begun. */
export async function readView(ctx: restate.WorkflowSharedContext): Promise<OrderView | null> {
  const stored = await ctx.get<unknown>(VIEW);
  if (stored == null) return null;
  const view = ViewSchema.safeParse(stored);
  if (!view.success) throw new restate.TerminalError(`order ${ctx.key}: its view breaks the shared contract`);
  return view.data as unknown as OrderView;
}

/** StuckOrders' state: the next sweep's time; per stuck invocation, the progress it was alerted at. */
export type StuckState = { nextSweepAt: number; alerted: Record<string, string> };

/** SlackAlerts' state: each key of this type is a state key. */
export type AlertState = { pending: Alert[]; flushAt: number | null; lastPostAt: number; failures: number };

// ---- durable promises: the shared handlers complete them, the order's run waits on them --------

/** The outcome of an async payment method, as recorded from a verified Stripe event. */
export const PaymentOutcomeSchema = PaymentEventSchema.extend({ v: shapeVersion });
export const asyncPaymentPromise = (ctx: restate.WorkflowSharedContext): restate.DurablePromise<PaymentEvent> =>
  ctx.promise("async-payment", restate.serde.schema(PaymentOutcomeSchema));

/** A Radar review that holds the order before the hand-off, closed (as recorded from review.closed). */
export const reviewPromise = (ctx: restate.WorkflowSharedContext, reviewId: string) =>
  ctx.promise<StripeEventRef>(`review:${reviewId}`);

/** The operator's recorded decision on one incident, as the run that waits for it reads it. */
export const DecisionOutcomeSchema = z.looseObject({
  v: shapeVersion,
  action: z.enum(DECISION_ACTIONS),
  note: z.string().nullable(),
  decidedBy: z.string(),
  via: z.string(),
  decidedAt: z.string(),
});
export const decisionPromise = (
  ctx: restate.WorkflowSharedContext,
  incidentId: string,
): restate.DurablePromise<RecordedDecision> =>
  ctx.promise(`decision:${incidentId}`, restate.serde.schema(DecisionOutcomeSchema) as restate.Serde<RecordedDecision>);

/** Completes a durable promise; false when it had already been completed. */
export async function completeOnce<T>(promise: restate.DurablePromise<T>, value: T): Promise<boolean> {
  if ((await promise.peek()) !== undefined) return false;
  try {
    await promise.resolve(value);
    return true;
  } catch (err) {
    if (err instanceof restate.TerminalError) return false;
    throw err;
  }
}
