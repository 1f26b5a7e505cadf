import { and, asc, eq } from "drizzle-orm";
import type { Decision } from "../src/domain/decision.ts";
import type { Db } from "./client.ts";
import { incidents, orders } from "./schema.ts";

export type Incident = typeof incidents.$inferSelect;
export type NewIncident = Pick<typeof incidents.$inferInsert, "id" | "orderId" | "customerId" | "step" | "error">;

/** Opens an incident (once per id) and marks its order needs_attention, in one transaction. */
export async function openIncident(db: Db, incident: NewIncident): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(incidents).values({ ...incident, status: "open" }).onConflictDoNothing();
    await tx
      .update(orders)
      .set({ status: "needs_attention", failedStep: incident.step, updatedAt: new Date() })
      .where(eq(orders.id, incident.orderId));
  });
}

/** Records an operator's decision on the incident and moves the order row on, once. */
export async function resolveIncident(
  db: Db,
  id: string,
  decision: Pick<Decision, "action" | "note">,
): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(incidents)
      .set({ status: "resolved", resolution: decision.action, note: decision.note ?? null, resolvedAt: new Date() })
      .where(and(eq(incidents.id, id), eq(incidents.status, "open")))
      .returning({ orderId: incidents.orderId });
    if (!row) return;
    await tx
      .update(orders)
      .set({
        status: decision.action === "abandon" ? "abandoned" : "processing",
        failedStep: null,
        updatedAt: new Date(),
      })
      .where(eq(orders.id, row.orderId));
  });
}

export const listOpenIncidents = (db: Db) =>
  db.select().from(incidents).where(eq(incidents.status, "open")).orderBy(asc(incidents.createdAt));

export const incidentsFor = (db: Db, orderId: string) =>
  db.select().from(incidents).where(eq(incidents.orderId, orderId)).orderBy(asc(incidents.createdAt));
