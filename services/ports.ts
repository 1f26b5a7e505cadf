// What the Restate services need from the outside world, in domain verbs. Implementations are
// wired in src/wiring.ts; services never build SQL or HTTP requests themselves.
// Errors: PermanentError (src/domain/errors.ts) for rejections and bad data, anything else is
// transient and retried by the step; what isPlatformFault names is waited out without limit.
import * as restate from "@restatedev/restate-sdk";
import type { Alert, SlackMessage } from "../src/domain/alerts.ts";
import type { Decision, RecordedDecision } from "../src/domain/decision.ts";
import type { ButtonSigner } from "../src/domain/decision-buttons.ts";
import type { EmailContent } from "../src/domain/emails.ts";
import { PermanentError } from "../src/domain/errors.ts";
import type { ShipTo } from "../src/domain/ship-to.ts";
import type { ShipmentUpdate } from "../src/domain/shipments.ts";
import type { GateVerdict, RecordedSignal } from "../src/domain/stripe-signals.ts";
import type {
  CenterGroup,
  LineItemSnapshot,
  OrderSession,
  OrderStatus,
  PaymentCheck,
  PaymentToCheck,
  ShipmentRecord,
} from "../src/domain/order.ts";

export type OrderPorts = {
  /** Loads the payment session and opens the order row; undefined when the session is unknown. */
  beginOrder(orderId: string): Promise<OrderSession | undefined>;
  /** Asks Stripe for the Checkout Session and decides whether it is paid as quoted. */
  checkPayment(payment: PaymentToCheck): Promise<PaymentCheck>;
  /**
   * Where the order ships when neither checkout nor the verified payment said: the address stored
   * since (an operator's), else what Stripe's Checkout holds now. PermanentError when there is none.
   */
  findShipTo(order: PaymentToCheck): Promise<ShipTo>;
  /** Takes stock for one center's items, exactly once per (order, product). */
  takeStock(orderId: string, items: LineItemSnapshot[]): Promise<void>;
  /** Sends the order to a center (Idempotency-Key order:center) and records the shipment. */
  sendToCenter(order: OrderSession, group: CenterGroup, shipTo: ShipTo | null): Promise<ShipmentRecord>;
  /** Records that an operator settled a center by hand. */
  recordManualFulfillment(orderId: string, centerId: string): Promise<ShipmentRecord>;
  sendEmail(orderId: string, to: string, content: EmailContent): Promise<void>;
  /** Tells the customer an operator abandoned the order, naming what a center already has. */
  emailAbandonNotice(order: OrderSession): Promise<void>;
  recordHistory(order: OrderSession, shipments: ShipmentRecord[], estimatedArrival: string): Promise<void>;
  /** Writes the order row's final status. */
  setStatus(orderId: string, status: OrderStatus): Promise<void>;
  /** Records the incident; answers its id (an open, undecided one at this step is reused). */
  openIncident(incident: {
    id: string;
    orderId: string;
    customerId: string;
    step: string;
    error: string;
  }): Promise<string>;
  resolveIncident(incidentId: string, decision: Pick<Decision, "action">): Promise<void>;
  /** The decision the HTTP app recorded on an incident for an operator it authenticated. */
  findDecision(incidentId: string): Promise<RecordedDecision | undefined>;
  /** A Stripe event's outcome as the HTTP app recorded it after verifying the signature. */
  findPaymentEvent(
    eventId: string,
  ): Promise<{ orderId: string; outcome: "succeeded" | "failed"; expired?: boolean } | undefined>;
  /**
   * The hand-off gate (db/stripe-events.ts): what Stripe said before the hand-off decides, in the
   * transaction that marks the order handed off. HandOffHold (a PermanentError) for a person;
   * `shipAnyway` after their "done by hand": only a full refund still stops the order.
   */
  checkBeforeHandOff(orderId: string, options?: { shipAnyway?: boolean }): Promise<GateVerdict>;
  /** A Stripe signal as the HTTP app recorded it, with the order's customer and the centers it ships from. */
  findStripeSignal(eventId: string): Promise<StripeSignalFacts | undefined>;
  /**
   * Whether a failure is the platform's, not the order's: the database cannot be reached. Such a
   * failure is waited out and never escalated (step-runner.ts); a query that is wrong is not one.
   */
  isPlatformFault(err: unknown): boolean;
  /** Builds the operator-facing links for an alert (the Restate UI's only when its URL is known). */
  alertLinks(
    orderId: string,
    invocationId: string,
  ): Required<Pick<Alert, "orderUrl" | "consoleUrl" | "journalCommand">> & Pick<Alert, "journalUrl">;
};

export type AlertPorts = {
  postToSlack(message: SlackMessage): Promise<"posted" | "logged">;
  /** Signs the decision buttons' values (only the HTTP app that checks them can mint them); none: no buttons. */
  signButton?: ButtonSigner;
  /** Emails an incident to the support team (SUPPORT_EMAIL), once per incident; unset: nothing to do. */
  emailSupport(alert: Alert): Promise<"sent" | "no support address">;
};

/** What the StuckOrders sweeper needs: Restate's own view of the orders it keeps retrying. */
export type StuckOrderPorts = {
  /**
   * An alert per paid order whose run Restate has been retrying with no progress for `stuckAfterMs`,
   * naming the step it is stuck on and since when (`stuck.since`).
   */
  findStuckOrders(stuckAfterMs: number): Promise<Alert[]>;
};

/** Adapters throw PermanentError for rejections; Restate must not retry those. */
export const asTerminalError = (err: unknown) =>
  err instanceof PermanentError ? new restate.TerminalError(err.message) : undefined;
export type StripeSignalFacts = RecordedSignal & { customerId: string; centerIds: string[] };

/** What the Shipments object needs: recorded center events, shipment rows, incidents about one shipment. */
export type ShipmentPorts = Pick<OrderPorts, "sendEmail" | "alertLinks" | "findStripeSignal"> & {
  /** A center event as the HTTP app recorded it after verifying the center's signature. */
  findShipmentEvent(
    centerId: string,
    eventId: string,
  ): Promise<{ orderId: string; status: string; note: string | null } | undefined>;
  /** Applies a recorded event to its shipment, once per event (a repeat answers as the first did). */
  applyShipmentEvent(centerId: string, eventId: string): Promise<ShipmentUpdate | undefined>;
  openShipmentIncident(incident: {
    id: string;
    orderId: string;
    customerId: string;
    centerId: string;
    step: string;
    error: string;
  }): Promise<void>;
  /** An incident with the decision the HTTP app recorded on it, if any. */
  findShipmentIncident(incidentId: string): Promise<
    | {
        orderId: string;
        customerId: string;
        centerId: string | null;
        step: string;
        status: "open" | "resolved";
        decision?: RecordedDecision;
      }
    | undefined
  >;
  resolveShipmentIncident(incidentId: string): Promise<void>;
  /** Sends the order to the center again (same Idempotency-Key) and waits for it to ship again. */
  resendToCenter(orderId: string, centerId: string): Promise<void>;
  /**
   * The order's shipments handed to a center and not shipped since, each with when its clock
   * started (hand-off, or the last re-send); those with an open incident are left out.
   */
  findUnshipped(orderId: string): Promise<{ centerId: string; customerId: string; handedOffAt: string }[]>;
  /** An operator said it shipped outside the system: shipped, without tracking. */
  settleShipmentByHand(orderId: string, centerId: string): Promise<ShipmentUpdate | undefined>;
};
