import { and, eq, isNull } from "drizzle-orm";
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
