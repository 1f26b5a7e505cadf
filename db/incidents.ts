import { and, asc, eq, isNull } from "drizzle-orm";
import type { Decision, DecisionAuthor, RecordedDecision } from "../src/domain/decision.ts";
import type { IncidentView } from "../src/domain/order-view.ts";
import type { Db } from "./client.ts";
import { orders } from "./schema.ts";
import { incidents } from "./schema-signals.ts";

export type Incident = typeof incidents.$inferSelect;
export type NewIncident = Pick<typeof incidents.$inferInsert, "id" | "orderId" | "customerId" | "step" | "error">;

/** Opens an incident (once per id) and marks its order needs_attention, in one transaction. */
/**
 * Opens an incident and returns its id: the open, undecided one this order already has at this
 * step (a retried `record incident` step, or a run that was killed before anyone decided), or
 * else a new row under `incident.id`. An incident someone decided is never handed to another
 * failure: its decision was about that one.
 */
export async function openIncident(db: Db, incident: NewIncident): Promise<string> {
  return db.transaction(async (tx) => {
    const [waiting] = await tx
      .select({ id: incidents.id })
      .from(incidents)
      .where(
        and(
          eq(incidents.orderId, incident.orderId),
          eq(incidents.step, incident.step),
          eq(incidents.status, "open"),
          isNull(incidents.centerId),
          isNull(incidents.resolution),
        ),
      )
      .orderBy(asc(incidents.createdAt));
    if (!waiting)
      await tx
        .insert(incidents)
        .values({ ...incident, status: "open" })
        .onConflictDoNothing();
    await tx
      .update(orders)
      .set({ status: "needs_attention", failedStep: incident.step, updatedAt: new Date() })
      .where(eq(orders.id, incident.orderId));
    return waiting?.id ?? incident.id;
  });
}

/** The incident an order waits on, if any. */
export async function findOpenIncident(db: Db, orderId: string): Promise<Incident | undefined> {
  const [row] = await db
    .select()
    .from(incidents)
    .where(and(eq(incidents.orderId, orderId), eq(incidents.status, "open")))
    .orderBy(asc(incidents.createdAt));
  return row;
}

export type DecideOutcome =
  | { decided: true }
  /** Not recorded: the incident (if the order has it) was decided before, or is resolved. */
  | { decided: false; incident?: { status: Incident["status"]; decision?: RecordedDecision } };

/** Records an operator's decision on an open incident of the order, once: the first decision wins. */
export async function decideIncident(
  db: Db,
  target: { incidentId: string; orderId: string },
  decision: Pick<Decision, "action" | "note">,
  author: DecisionAuthor,
): Promise<DecideOutcome> {
  const [row] = await db
    .update(incidents)
    .set({
      resolution: decision.action,
      note: decision.note ?? null,
      decidedBy: author.decidedBy,
      decidedVia: author.via,
      decidedAt: new Date(),
    })
    .where(
      and(
        eq(incidents.id, target.incidentId),
        eq(incidents.orderId, target.orderId),
        eq(incidents.status, "open"),
        isNull(incidents.decidedAt),
      ),
    )
    .returning({ id: incidents.id });
  if (row) return { decided: true };
  const [prior] = await db
    .select()
    .from(incidents)
    .where(and(eq(incidents.id, target.incidentId), eq(incidents.orderId, target.orderId)));
  return { decided: false, ...(prior && { incident: { status: prior.status, decision: recordedDecision(prior) } }) };
}

/** The decision recorded on an incident, if any. */
export async function findDecision(db: Db, incidentId: string): Promise<RecordedDecision | undefined> {
  const [row] = await db.select().from(incidents).where(eq(incidents.id, incidentId));
  return row && recordedDecision(row);
}

function recordedDecision(row: Incident): RecordedDecision | undefined {
  if (!row.resolution || !row.decidedAt || !row.decidedBy || !row.decidedVia) return undefined;
  return {
    action: row.resolution,
    note: row.note,
    decidedBy: row.decidedBy,
    via: row.decidedVia,
    decidedAt: row.decidedAt.toISOString(),
  };
}

/** The workflow took the decision up: the incident is resolved and its order moves on, once. */
export async function resolveIncident(db: Db, id: string, decision: Pick<Decision, "action">): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(incidents)
      .set({ status: "resolved", resolvedAt: new Date() })
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

/** An order's incidents, oldest first, as operators read them. */
export async function incidentViews(db: Db, orderId: string): Promise<IncidentView[]> {
  return (await incidentsFor(db, orderId)).map((row) => ({
    id: row.id,
    step: row.step,
    error: row.error,
    status: row.status,
    openedAt: row.createdAt.toISOString(),
    decision: recordedDecision(row) ?? null,
  }));
}

export const incidentsFor = (db: Db, orderId: string) =>
  db.select().from(incidents).where(eq(incidents.orderId, orderId)).orderBy(asc(incidents.createdAt));
