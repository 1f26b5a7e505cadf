// Every name Restate persists for postpay's services, and the helpers that touch the journal by
// name. Restate replays an order's journal by these names and keeps its state and promises under
// them: renaming any of them strands the orders in flight (their replay no longer matches, or waits
// on a promise nobody completes). Change one only in a new deployment registered beside the old
// one, which keeps serving the orders it started until they end. The handler names (the keys of the
// handlers in order-workflow.ts, order-handlers.ts, slack-alerts.ts, support-desk.ts and
// shipments.ts) are durable in the same way.
import * as restate from "@restatedev/restate-sdk";
import type { Alert } from "../src/domain/alerts.ts";
import type { RecordedDecision } from "../src/domain/decision.ts";
import type { OrderView } from "../src/domain/order-view.ts";
import type { PaymentEvent } from "../src/domain/stripe-events.ts";

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
} as const;

/** Timer names (ctx.sleep). */
export const TIMER = { remind: "remind" } as const;

// ---- state -------------------------------------------------------------------------------------

/** OrderWorkflow's one state key: the live view (live-view.ts) that the status handler answers with. */
const VIEW = "view";

export const writeView = (ctx: restate.WorkflowContext, view: OrderView) => ctx.set(VIEW, view);

/** What the status handler answers; null before the order's run has begun. */
export const readView = (ctx: restate.WorkflowSharedContext) => ctx.get<OrderView>(VIEW);

/** StuckOrders' state: the next sweep's time; per stuck invocation, the progress it was alerted at. */
export type StuckState = { nextSweepAt: number; alerted: Record<string, string> };

/** SlackAlerts' state: each key of this type is a state key. */
export type AlertState = { pending: Alert[]; flushAt: number | null; lastPostAt: number; failures: number };

// ---- durable promises: the shared handlers complete them, the order's run waits on them --------

/** The outcome of an async payment method, as recorded from a verified Stripe event. */
export const asyncPaymentPromise = (ctx: restate.WorkflowSharedContext) => ctx.promise<PaymentEvent>("async-payment");

/** The operator's recorded decision on one incident. */
export const decisionPromise = (ctx: restate.WorkflowSharedContext, incidentId: string) =>
  ctx.promise<RecordedDecision>(`decision:${incidentId}`);

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
