import { eq } from "drizzle-orm";
import type { Db } from "./client.ts";
import { orders, paymentSessions } from "./schema.ts";

export type NewPaymentSession = typeof paymentSessions.$inferInsert;
export type PaymentSession = typeof paymentSessions.$inferSelect;

export async function insertPaymentSession(db: Db, session: NewPaymentSession): Promise<void> {
  await db.insert(paymentSessions).values(session);
}

export async function findPaymentSession(db: Db, id: string): Promise<PaymentSession | undefined> {
  const [row] = await db.select().from(paymentSessions).where(eq(paymentSessions.id, id));
  return row;
}

/** What a webhook needs to know about a session: its Checkout Session and the order's status. */
export async function findSessionForWebhook(db: Db, id: string) {
  const [row] = await db
    .select({ stripeCheckoutSessionId: paymentSessions.stripeCheckoutSessionId, orderStatus: orders.status })
    .from(paymentSessions)
    .leftJoin(orders, eq(orders.id, paymentSessions.id))
    .where(eq(paymentSessions.id, id));
  return row;
}
