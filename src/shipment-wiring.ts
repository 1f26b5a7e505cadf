// The Shipments object's ports on real adapters (the database, the fulfillment-center client).
// Kept beside wiring.ts, which spreads them into the ports every entry point builds.
import { beginOrder } from "../db/orders.ts";
import { recordFulfillment } from "../db/fulfillment.ts";
import { findUnshipped } from "../db/shipment-deadlines.ts";
import { findIncident, openShipmentIncident, resolveShipmentIncident } from "../db/shipment-incidents.ts";
import { applyShipmentEvent, findShipmentEvent, reopenShipment, settleShipmentByHand } from "../db/shipments.ts";
import type { ShipmentPorts } from "../services/ports.ts";
import { fulfillmentOrder } from "./adapters/fulfillment-center.ts";
import { PermanentError } from "./domain/errors.ts";
import { groupByCenter } from "./domain/order.ts";
import type { Db } from "../db/client.ts";
import type { FulfillmentClient } from "./adapters/fulfillment-center.ts";

export function createShipmentPorts(a: {
  db: Db;
  centers: FulfillmentClient;
}): Omit<ShipmentPorts, "sendEmail" | "alertLinks" | "findStripeSignal"> {
  const db = a.db;
  return {
    findShipmentEvent: (centerId, eventId) => findShipmentEvent(db, centerId, eventId),
    applyShipmentEvent: (centerId, eventId) => applyShipmentEvent(db, centerId, eventId),
    openShipmentIncident: (incident) => openShipmentIncident(db, incident),
    async findShipmentIncident(id) {
      const row = await findIncident(db, id);
      if (!row) return undefined;
      const decided = row.resolution && row.decidedBy && row.decidedVia && row.decidedAt;
      return {
        orderId: row.orderId,
        customerId: row.customerId,
        centerId: row.centerId,
        step: row.step,
        status: row.status,
        ...(decided && {
          decision: {
            action: row.resolution!,
            note: row.note,
            decidedBy: row.decidedBy!,
            via: row.decidedVia!,
            decidedAt: row.decidedAt!.toISOString(),
          },
        }),
      };
    },
    resolveShipmentIncident: (id) => resolveShipmentIncident(db, id),
    async resendToCenter(orderId, centerId) {
      // The order as it was bought (the payment session's snapshot), so the center sees the same
      // request under the same Idempotency-Key.
      const order = await beginOrder(db, orderId);
      const group = order && groupByCenter(order.items, order.centers).find((g) => g.center.id === centerId);
      if (!order || !group) throw new PermanentError(`order ${orderId} has nothing to send to ${centerId}`);
      const shipment = await a.centers.sendOrder(group.center, fulfillmentOrder(order, group, order.shipTo ?? null));
      await recordFulfillment(db, { orderId, centerId, ...shipment, outcome: "accepted" });
      await reopenShipment(db, orderId, centerId);
    },
    settleShipmentByHand: (orderId, centerId) => settleShipmentByHand(db, orderId, centerId),
    findUnshipped: (orderId) => findUnshipped(db, orderId),
  };
}
