// Where real adapters meet the ports the services need. Entry points, tests and the benchmark's
// baseline all build their ports here, so every one of them runs the production code paths.
import type { Db } from "../db/client.ts";
import { recordFulfillment } from "../db/fulfillment.ts";
import { findDecision, openIncident, resolveIncident } from "../db/incidents.ts";
import { takeStock } from "../db/inventory.ts";
import { findPaymentEvent } from "../db/payment-events.ts";
import { beginOrder, recordOrderHistory, setOrderStatus } from "../db/orders.ts";
import type { AlertPorts, OrderPorts, ShipmentPorts } from "../services/ports.ts";
import type { EmailSender } from "./adapters/email.ts";
import { fulfillmentOrder, type FulfillmentClient } from "./adapters/fulfillment-center.ts";
import type { SlackPoster } from "./adapters/slack.ts";
import type { StripeGateway } from "./adapters/stripe.ts";
import { checkPayment } from "./domain/order.ts";
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
};

export function createPorts(a: Adapters): OrderPorts & AlertPorts & ShipmentPorts {
  const db = a.db;
  return {
    beginOrder: (orderId) => beginOrder(db, orderId),
    checkPayment: async (payment) =>
      checkPayment(payment, await a.stripe.retrieveCheckoutSession(payment.stripeCheckoutSessionId)),
    takeStock: (orderId, items) => takeStock(db, orderId, items),
    async sendToCenter(order, group) {
      const shipment = await a.centers.sendOrder(group.center, fulfillmentOrder(order, group));
      const record = { centerId: group.center.id, ...shipment };
      await recordFulfillment(db, { orderId: order.id, ...record, outcome: "accepted" });
      return record;
    },
    async recordManualFulfillment(orderId, centerId) {
      await recordFulfillment(db, { orderId, centerId, outcome: "manual" });
      return { centerId, shipmentId: null, estimatedArrival: null };
    },
    sendEmail: async (orderId, to, content) => void (await a.email.send(orderId, to, content)),
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
    alertLinks: (orderId, invocationId) => ({
      orderUrl: `${a.publicUrl}/orders/${encodeURIComponent(orderId)}`,
      consoleUrl: `${a.publicUrl}/console/orders/${encodeURIComponent(orderId)}`,
      journalCommand: `${a.restateAdminUrl ? `RESTATE_ADMIN_URL=${a.restateAdminUrl} ` : ""}npx restate invocations describe ${invocationId}`,
      ...(a.restateAdminUrl && { journalUrl: `${a.restateAdminUrl}/ui/invocations/${encodeURIComponent(invocationId)}` }),
    }),
    postToSlack: (message) => a.slack.post(message),
    ...createShipmentPorts(a),
  };
}
