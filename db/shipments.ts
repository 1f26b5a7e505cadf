// Shipments after the hand-off: the centers' recorded events and each (order, center) row's
// status and tracking. The HTTP door records events; the Shipments object applies them.
import { and, eq, inArray, sql } from "drizzle-orm";
import {
  applyEvent,
  centersOf,
  fulfillmentOf,
  type CenterEvent,
  type Shipment,
  type ShipmentPatch,
  type ShipmentUpdate,
} from "../src/domain/shipments.ts";
import type { ShipmentView } from "../src/domain/order-view.ts";
import type { Db } from "./client.ts";
import { fulfillmentRequests, paymentSessions } from "./schema.ts";
import { shipmentEvents } from "./schema-signals.ts";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
type ShipmentRow = typeof fulfillmentRequests.$inferSelect;
export type RecordedShipmentEvent = typeof shipmentEvents.$inferSelect;

const iso = (d: Date | null) => d?.toISOString() ?? null;
export const toShipment = (r: ShipmentRow): Shipment => ({
  orderId: r.orderId,
  centerId: r.centerId,
  status: r.status,
  carrier: r.carrier,
  trackingNumber: r.trackingNumber,
  trackingUrl: r.trackingUrl,
  shippedAt: iso(r.shippedAt),
  deliveredAt: iso(r.deliveredAt),
});

/** Records a verified event once per (center, event id) and returns what is recorded (the first one wins). */
export async function recordShipmentEvent(db: Db, centerId: string, e: CenterEvent): Promise<RecordedShipmentEvent> {
  const [inserted] = await db
    .insert(shipmentEvents)
    .values({ centerId, ...e, occurredAt: new Date(e.occurredAt) })
    .onConflictDoNothing()
    .returning();
  return inserted ?? (await findShipmentEvent(db, centerId, e.eventId))!;
}

export async function findShipmentEvent(db: Db | Tx, centerId: string, eventId: string) {
  const [row] = await db
    .select()
    .from(shipmentEvents)
    .where(and(eq(shipmentEvents.centerId, centerId), eq(shipmentEvents.eventId, eventId)));
  return row;
}

/** What the door needs to answer 404 / 409: does the order exist, ship from this center, and was it handed over there? */
export async function shipmentTarget(db: Db, orderId: string, centerId: string) {
  const [row] = await db
    .select({
      shipsFromCenter: sql<boolean>`exists (select 1 from jsonb_array_elements(${paymentSessions.items}) as item where item->>'fulfillmentCenterId' = ${centerId})`,
      handedOver: sql<boolean>`exists (select 1 from ${fulfillmentRequests} where ${fulfillmentRequests.orderId} = ${orderId} and ${fulfillmentRequests.centerId} = ${centerId})`,
    })
    .from(paymentSessions)
    .where(eq(paymentSessions.id, orderId));
  return row
    ? { order: true, shipsFromCenter: row.shipsFromCenter, handedOver: row.handedOver }
    : { order: false, shipsFromCenter: false, handedOver: false };
}

/** Every center an order ships from (its items), with the shipments handed over so far. */
export async function orderShipments(db: Db | Tx, orderId: string) {
  const [session] = await db
    .select({ items: paymentSessions.items, customerId: paymentSessions.customerId, email: paymentSessions.email })
    .from(paymentSessions)
    .where(eq(paymentSessions.id, orderId));
  const rows = await db.select().from(fulfillmentRequests).where(eq(fulfillmentRequests.orderId, orderId));
  const centerIds = centersOf(session?.items ?? []);
  const shipments = rows.map(toShipment);
  return {
    centerIds,
    shipments,
    fulfillment: fulfillmentOf(centerIds, shipments),
    customer: session && { id: session.customerId, email: session.email },
  };
}

/** The shipment rows of several orders (an order page, a page of a customer's history), as views show them, by order id. */
export async function shipmentViews(db: Db, orderIds: string[]): Promise<Map<string, ShipmentView[]>> {
  const rows = orderIds.length
    ? await db.select().from(fulfillmentRequests).where(inArray(fulfillmentRequests.orderId, orderIds))
    : [];
  const byOrder = new Map<string, ShipmentView[]>();
  for (const row of rows) {
    const { orderId: _, ...shipment } = toShipment(row);
    byOrder.set(row.orderId, [
      ...(byOrder.get(row.orderId) ?? []),
      { ...shipment, shipmentId: row.shipmentId, estimatedArrival: row.estimatedArrival },
    ]);
  }
  return byOrder;
}

/** An order's shipment rows as views show them, and every center it ships from. */
export async function trackingOf(db: Db, orderId: string) {
  const [session] = await db
    .select({ items: paymentSessions.items })
    .from(paymentSessions)
    .where(eq(paymentSessions.id, orderId));
  return { rows: (await shipmentViews(db, [orderId])).get(orderId) ?? [], centerIds: centersOf(session?.items ?? []) };
}

/**
 * Applies a recorded event to its shipment, once: the event row remembers that it was applied and
 * whether it changed anything, so a retried step answers exactly as the first attempt did (even if
 * that attempt's answer was lost in a crash). Undefined when the event or the shipment is unknown.
 */
export async function applyShipmentEvent(
  db: Db,
  centerId: string,
  eventId: string,
): Promise<ShipmentUpdate | undefined> {
  return db.transaction(async (tx) => {
    const [event] = await tx
      .select()
      .from(shipmentEvents)
      .where(and(eq(shipmentEvents.centerId, centerId), eq(shipmentEvents.eventId, eventId)))
      .for("update");
    if (!event) return undefined;
    const where = and(eq(fulfillmentRequests.orderId, event.orderId), eq(fulfillmentRequests.centerId, centerId));
    const [row] = await tx.select().from(fulfillmentRequests).where(where).for("update");
    if (!row) return undefined;
    let changed = event.changed ?? false;
    if (!event.appliedAt) {
      const status = event.status;
      const next =
        status === "accepted"
          ? undefined
          : applyEvent(toShipment(row), { ...event, status, occurredAt: event.occurredAt.toISOString() });
      changed = next !== undefined;
      if (next) await tx.update(fulfillmentRequests).set(toColumns(next)).where(where);
      await tx
        .update(shipmentEvents)
        .set({ appliedAt: new Date(), changed })
        .where(and(eq(shipmentEvents.centerId, centerId), eq(shipmentEvents.eventId, eventId)));
    }
    return updateOf(tx, event.orderId, centerId, changed);
  });
}

const toColumns = (p: ShipmentPatch) => ({
  status: p.status,
  carrier: p.carrier,
  trackingNumber: p.trackingNumber,
  trackingUrl: p.trackingUrl,
  shippedAt: p.shippedAt ? new Date(p.shippedAt) : null,
  deliveredAt: p.deliveredAt ? new Date(p.deliveredAt) : null,
  updatedAt: new Date(),
});

/** A shipment as it now is, with its order's fulfillment and who to tell. */
export async function updateOf(
  db: Db | Tx,
  orderId: string,
  centerId: string,
  changed: boolean,
): Promise<ShipmentUpdate | undefined> {
  const { shipments, fulfillment, customer } = await orderShipments(db, orderId);
  const shipment = shipments.find((s) => s.centerId === centerId);
  return shipment && customer && { shipment, changed, fulfillment, customer };
}

/** An operator's "done by hand": the shipment counts as shipped (no tracking), if it had not shipped yet. */
export async function settleShipmentByHand(db: Db, orderId: string, centerId: string) {
  const moved = await db
    .update(fulfillmentRequests)
    .set({
      status: "shipped",
      shippedAt: sql`coalesce(${fulfillmentRequests.shippedAt}, now())`,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(fulfillmentRequests.orderId, orderId),
        eq(fulfillmentRequests.centerId, centerId),
        inArray(fulfillmentRequests.status, ["accepted", "exception"]),
      ),
    )
    .returning();
  return updateOf(db, orderId, centerId, moved.length > 0);
}

/** The center took the order again (an operator's retry): waiting for it to ship, its deadline's clock restarted. */
export async function reopenShipment(db: Db, orderId: string, centerId: string): Promise<void> {
  await db
    .update(fulfillmentRequests)
    .set({ status: "accepted", updatedAt: new Date() })
    .where(
      and(
        eq(fulfillmentRequests.orderId, orderId),
        eq(fulfillmentRequests.centerId, centerId),
        inArray(fulfillmentRequests.status, ["exception", "accepted"]),
      ),
    );
}
