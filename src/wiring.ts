// Where real adapters meet the ports the services need. Entry points, tests and the benchmark's
// baseline all build their ports here, so every one of them runs the production code paths.
import type { Db } from "../db/client.ts";
import { fulfillmentsFor, recordFulfillment } from "../db/fulfillment.ts";
import { isDatabaseUnavailable } from "../db/errors.ts";
import { findDecision, openIncident, resolveIncident } from "../db/incidents.ts";
import { takeStock } from "../db/inventory.ts";
import { findPaymentEvent } from "../db/payment-events.ts";
import { recordOrderHistory } from "../db/order-history.ts";
import { beginOrder, setOrderStatus } from "../db/orders.ts";
import { findShipTo, recordCollectedShipTo, recordPaymentFacts } from "../db/sessions.ts";
import { findStripeSignal, passHandOffGate } from "../db/stripe-events.ts";
import type { AlertPorts, OrderPorts, ShipmentPorts, StuckOrderPorts } from "../services/ports.ts";
import type { EmailSender } from "./adapters/email.ts";
import { fulfillmentOrder, type FulfillmentClient } from "./adapters/fulfillment-center.ts";
import { findRetryingRuns } from "./adapters/restate-query.ts";
import type { SlackPoster } from "./adapters/slack.ts";
import type { StripeGateway } from "./adapters/stripe.ts";
import { buttonKey, buttonSigner } from "./domain/decision-buttons.ts";
import { DEFAULT_ADMIN_URL } from "./config.ts";
import { abandonedEmail, supportIncidentEmail } from "./domain/emails.ts";
import { PermanentError } from "./domain/errors.ts";
import { checkPayment } from "./domain/order.ts";
import { journalCommand, journalUrl } from "./domain/order-view.ts";
import { createShipmentPorts } from "./shipment-wiring.ts";

export type Adapters = {
  db: Db;
  stripe: StripeGateway;
  centers: FulfillmentClient;
  email: EmailSender;
  slack: SlackPoster;
  /** Base of links in alerts, e.g. http://127.0.0.1:3000 */
  publicUrl: string;
  /** Shown in the journal command when it is not the CLI's default. */
  restateAdminUrl?: string;
  /** SUPPORT_EMAIL: every incident is emailed there too. */
  supportEmail?: string;
  /** SLACK_SIGNING_SECRET: the key of the alerts' button values is derived from it; unset: no buttons. */
  slackSigningSecret?: string;
};

export function createPorts(a: Adapters): OrderPorts & AlertPorts & ShipmentPorts & StuckOrderPorts {
  const db = a.db;
  const alertLinks = (orderId: string, invocationId: string) => ({
    orderUrl: `${a.publicUrl}/orders/${encodeURIComponent(orderId)}`,
    consoleUrl: `${a.publicUrl}/console/orders/${encodeURIComponent(orderId)}`,
    journalCommand: journalCommand(invocationId, a.restateAdminUrl),
    ...(a.restateAdminUrl && { journalUrl: journalUrl(invocationId, a.restateAdminUrl) }),
  });
  return {
    beginOrder: (orderId) => beginOrder(db, orderId),
    async checkPayment(payment) {
      const session = await a.stripe.retrieveCheckoutSession(payment.stripeCheckoutSessionId);
      const check = checkPayment(payment, session);
      // Recorded before the verdict is journaled: operators see the payment's ids (later Stripe
      // events name them) and the address from here on.
      const facts = session.payment;
      if (check.outcome === "paid" && facts) {
        const { paymentIntentId, latestChargeId: chargeId, livemode } = facts;
        await recordPaymentFacts(db, payment.id, { shipTo: check.shipTo, paymentIntentId, chargeId, livemode });
      } else if (check.outcome === "paid" && check.shipTo) await recordCollectedShipTo(db, payment.id, check.shipTo);
      return check;
    },
    async findShipTo(order) {
      const stored = await findShipTo(db, order.id);
      const collected = stored ?? (await a.stripe.retrieveCheckoutSession(order.stripeCheckoutSessionId)).shipTo;
      if (!collected)
        throw new PermanentError("no ship-to address: none given at checkout, none collected by Stripe's Checkout");
      if (!stored) await recordCollectedShipTo(db, order.id, collected);
      return collected;
    },
    takeStock: (orderId, items) => takeStock(db, orderId, items),
    async sendToCenter(order, group, shipTo) {
      const shipment = await a.centers.sendOrder(group.center, fulfillmentOrder(order, group, shipTo));
      const record = { centerId: group.center.id, ...shipment };
      await recordFulfillment(db, { orderId: order.id, ...record, outcome: "accepted" });
      return record;
    },
    async recordManualFulfillment(orderId, centerId) {
      await recordFulfillment(db, { orderId, centerId, outcome: "manual" });
      return { centerId, shipmentId: null, estimatedArrival: null };
    },
    sendEmail: async (orderId, to, content) => void (await a.email.send(orderId, to, content)),
    async emailAbandonNotice(order) {
      const handed = (await fulfillmentsFor(db, order.id)).map((f) => f.centerId);
      await a.email.send(order.id, order.email, abandonedEmail(order, handed));
    },
    async emailSupport(alert) {
      if (!a.supportEmail) return "no support address";
      await a.email.send(alert.orderId, a.supportEmail, supportIncidentEmail(alert));
      return "sent";
    },
    recordHistory: (order, shipments, estimatedArrival) =>
      recordOrderHistory(db, {
        orderId: order.id,
        customerId: order.customerId,
        items: order.items,
        amountTotal: order.amountTotal,
        currency: order.currency,
        shipments,
        estimatedArrival,
      }),
    setStatus: (orderId, status) => setOrderStatus(db, orderId, status),
    openIncident: (incident) => openIncident(db, incident),
    resolveIncident: (id, decision) => resolveIncident(db, id, decision),
    findDecision: (incidentId) => findDecision(db, incidentId),
    findPaymentEvent: (eventId) => findPaymentEvent(db, eventId),
    // The database's own classification, the same the HTTP app answers 503 by.
    isPlatformFault: isDatabaseUnavailable,
    checkBeforeHandOff: (orderId, options) => passHandOffGate(db, orderId, options),
    findStripeSignal: (eventId) => findStripeSignal(db, eventId),
    alertLinks,
    // Restate's view, not the database's: it still answers while the database is down.
    async findStuckOrders(stuckAfterMs) {
      const runs = await findRetryingRuns(a.restateAdminUrl ?? DEFAULT_ADMIN_URL);
      const now = Date.now();
      return runs
        .filter((run) => now - Date.parse(run.lastProgressAt) >= stuckAfterMs)
        .map((run) => ({
          incidentId: "",
          orderId: run.orderId,
          customerId: "",
          step: run.step ?? "the next step (the service endpoint did not answer)",
          error: run.lastFailure,
          stuck: { since: run.lastProgressAt },
          ...alertLinks(run.orderId, run.invocationId),
        }));
    },
    postToSlack: (message) => a.slack.post(message),
    ...(a.slackSigningSecret && { signButton: buttonSigner(buttonKey(a.slackSigningSecret)) }),
    ...createShipmentPorts(a),
  };
}
