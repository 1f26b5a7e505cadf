// Incidents about one shipment (center_id set): opened by the Shipments object when a center
// reports an exception, decided by an operator like any incident, taken up by that object. They
// leave the order's own status alone: the order's workflow has finished, its parcels are what
// need a person.
import { and, asc, eq, isNotNull } from "drizzle-orm";
import type { Db } from "./client.ts";
import { incidents } from "./schema-signals.ts";

export type NewShipmentIncident = {
  id: string;
  orderId: string;
  customerId: string;
  centerId: string;
  step: string;
  error: string;
};

/** Opens the incident once per id (a replayed step opens nothing new). */
export async function openShipmentIncident(db: Db, incident: NewShipmentIncident): Promise<void> {
  await db
    .insert(incidents)
    .values({ ...incident, status: "open" })
    .onConflictDoNothing();
}

export async function findIncident(db: Db, id: string) {
  const [row] = await db.select().from(incidents).where(eq(incidents.id, id));
  return row;
}

/** The Shipments object took the decision up: the incident is resolved, once. */
export async function resolveShipmentIncident(db: Db, id: string): Promise<void> {
  await db
    .update(incidents)
    .set({ status: "resolved", resolvedAt: new Date() })
    .where(and(eq(incidents.id, id), eq(incidents.status, "open")));
}

/** An order's open incidents about its shipments, oldest first. */
export const openShipmentIncidents = (db: Db, orderId: string) =>
  db
    .select()
    .from(incidents)
    .where(and(eq(incidents.orderId, orderId), eq(incidents.status, "open"), isNotNull(incidents.centerId)))
    .orderBy(asc(incidents.createdAt));
