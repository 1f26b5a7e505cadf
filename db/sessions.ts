import { and, eq, isNull, sql } from "drizzle-orm";
import type { ShipTo } from "../src/domain/ship-to.ts";
import type { Db } from "./client.ts";
import { orders, paymentSessions } from "./schema.ts";

export type NewPaymentSession = typeof paymentSessions.$inferInsert;

export async function insertPaymentSession(db: Db, session: NewPaymentSession): Promise<void> {
  await db.insert(paymentSessions).values(session);
}

/** What a webhook needs to know about a session: its Checkout Session, its total and the order's status. */
export async function findSessionForWebhook(db: Db, id: string) {
  const [row] = await db
    .select({
      stripeCheckoutSessionId: paymentSessions.stripeCheckoutSessionId,
      amountTotal: paymentSessions.amountTotal,
      currency: paymentSessions.currency,
      orderStatus: orders.status,
    })
    .from(paymentSessions)
    .leftJoin(orders, eq(orders.id, paymentSessions.id))
    .where(eq(paymentSessions.id, id));
  return row;
}

/** What was bought: the payment session's snapshot of items and its total. */
export async function findOrderItems(db: Db, id: string) {
  const [row] = await db
    .select({
      items: paymentSessions.items,
      amountTotal: paymentSessions.amountTotal,
      currency: paymentSessions.currency,
    })
    .from(paymentSessions)
    .where(eq(paymentSessions.id, id));
  return row;
}

/**
 * What the verified payment says: the PaymentIntent and its latest charge (later Stripe events name
 * them) and the address Checkout collected (a given one is never replaced). One write.
 */
export async function recordPaymentFacts(
  db: Db,
  id: string,
  facts: { shipTo?: ShipTo | null; paymentIntentId: string; chargeId: string | null; livemode: boolean },
): Promise<void> {
  const collected = facts.shipTo ? JSON.stringify(facts.shipTo) : null;
  await db
    .update(paymentSessions)
    .set({
      shipTo: sql`coalesce(${paymentSessions.shipTo}, ${collected}::jsonb)`,
      stripePaymentIntentId: facts.paymentIntentId,
      stripeChargeId: facts.chargeId,
      stripeLivemode: facts.livemode,
    })
    .where(eq(paymentSessions.id, id));
}

/** The payment's ids as recorded when it was verified; null before. */
export async function findPaymentIds(db: Db, id: string) {
  const [row] = await db
    .select({
      paymentIntentId: paymentSessions.stripePaymentIntentId,
      chargeId: paymentSessions.stripeChargeId,
      livemode: paymentSessions.stripeLivemode,
    })
    .from(paymentSessions)
    .where(eq(paymentSessions.id, id));
  return row?.paymentIntentId
    ? { ...row, paymentIntentId: row.paymentIntentId, livemode: row.livemode ?? false }
    : null;
}

/** The address Stripe's Checkout collected, kept beside the session (a given one is never replaced). */
export async function recordCollectedShipTo(db: Db, id: string, shipTo: ShipTo): Promise<void> {
  await db
    .update(paymentSessions)
    .set({ shipTo })
    .where(and(eq(paymentSessions.id, id), isNull(paymentSessions.shipTo)));
}

/** The order's ship-to address as stored (given at checkout, collected, or set by an operator). */
export async function findShipTo(db: Db, id: string): Promise<ShipTo | null> {
  const [row] = await db
    .select({ shipTo: paymentSessions.shipTo })
    .from(paymentSessions)
    .where(eq(paymentSessions.id, id));
  return row?.shipTo ?? null;
}
