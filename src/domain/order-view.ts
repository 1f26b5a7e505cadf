// The order as its workflow shows it while it runs: what GET /orders/:id answers, what the
// console renders and what tests read. One type for all of them.
import type { RecordedDecision } from "./decision.ts";
import type { OrderStatus, ShipmentRecord } from "./order.ts";
import type { ShipTo } from "./ship-to.ts";
import { fulfillmentOf, type Fulfillment, type Shipment } from "./shipments.ts";
import type { RecordedSignal } from "./stripe-signals.ts";

/**
 * One step as the order shows it: `at` is when it finished (or failed, or was skipped); `startedAt`
 * when its successful attempt began (done steps only; absent on journals from before it was kept).
 */
export type StepView = {
  name: string;
  status: "done" | "failed" | "skipped";
  at: string;
  startedAt?: string;
  error?: string;
};

/** The failed step an operator is asked to decide on. */
export type OpenIncident = { id: string; step: string; error: string };

export type OrderView = {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  steps: StepView[];
  shipments: ShipmentRecord[];
  estimatedArrival: string | null;
  incident: OpenIncident | null;
  /** Restate's invocation id of the order's run: `npx restate invocations describe <id>`. */
  invocationId: string | null;
};

/** The Restate CLI command that shows an order's journal (naming the admin URL when it is not the CLI's default). */
export const journalCommand = (invocationId: string, restateAdminUrl?: string) =>
  `${restateAdminUrl ? `RESTATE_ADMIN_URL=${restateAdminUrl} ` : ""}npx restate invocations describe ${invocationId}`;

/** The same journal in the Restate UI, which the admin API serves. */
export const journalUrl = (invocationId: string, restateAdminUrl: string) =>
  `${restateAdminUrl}/ui/invocations/${encodeURIComponent(invocationId)}`;

export type OrderResult = Pick<OrderView, "orderId" | "status" | "estimatedArrival">;

/**
 * What a customer's order page needs, and no more: GET /orders/:id is open to anyone who holds the
 * unguessable id, so it carries no customer id, no internal error text and no invocation id.
 */
export type PublicOrderView = Pick<
  TrackedOrderView,
  "orderId" | "status" | "shipments" | "fulfillment" | "estimatedArrival"
> & {
  steps: Pick<StepView, "name" | "status" | "at">[];
};

export const publicView = (view: TrackedOrderView): PublicOrderView => ({
  orderId: view.orderId,
  status: view.status,
  steps: view.steps.map(({ name, status, at }) => ({ name, status, at })),
  shipments: view.shipments,
  fulfillment: view.fulfillment,
  estimatedArrival: view.estimatedArrival,
});

/** A shipment as every view shows it: what its center said at hand-off, and where it is now (no address). */
export type ShipmentView = ShipmentRecord &
  Pick<Shipment, "status" | "carrier" | "trackingNumber" | "trackingUrl" | "shippedAt" | "deliveredAt">;

/** An order's view with each shipment's tracking (from the database: events arrive after the workflow ended). */
export type TrackedOrderView = Omit<OrderView, "shipments"> & { shipments: ShipmentView[]; fulfillment: Fulfillment };

const UNTRACKED = {
  status: "accepted",
  carrier: null,
  trackingNumber: null,
  trackingUrl: null,
  shippedAt: null,
  deliveredAt: null,
} as const;

/**
 * Adds tracking to the shipments a view lists (`records`), from the shipment rows; a row the view
 * does not list yet is added. `centerIds`: every center the order ships from.
 */
export function withTracking(
  records: ShipmentRecord[],
  rows: ShipmentView[],
  centerIds: string[],
): Pick<TrackedOrderView, "shipments" | "fulfillment"> {
  const byCenter = new Map(rows.map((r) => [r.centerId, r]));
  const shipments: ShipmentView[] = [
    ...records.map((r) => ({ ...UNTRACKED, ...r, ...byCenter.get(r.centerId) })),
    ...rows.filter((row) => !records.some((r) => r.centerId === row.centerId)),
  ];
  return { shipments, fulfillment: fulfillmentOf(centerIds, shipments) };
}

/** An incident as operators see it: what failed, and who decided what, through which door. */
export type IncidentView = {
  id: string;
  step: string;
  error: string;
  status: "open" | "resolved";
  openedAt: string;
  decision: RecordedDecision | null;
};

/** The whole story of an order, for operators (GET /admin/orders/:id and the console). */
export type AdminOrderView = TrackedOrderView & {
  customer: { id: string; email: string };
  /** Where the order ships; null until the shop gave it or Stripe's Checkout collected it. */
  shipTo: ShipTo | null;
  incidents: IncidentView[];
  /** The payment's ids once it was verified, with its page in the Stripe Dashboard. */
  payment: { paymentIntentId: string; chargeId: string | null; dashboardUrl: string } | null;
  /** Stripe's news after checkout: refunds, disputes, early fraud warnings, reviews, oldest first. */
  stripeEvents: Omit<RecordedSignal, "orderId">[];
};
