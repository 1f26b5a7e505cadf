import { eq } from "drizzle-orm";
import type { Db } from "./client.ts";
import { paymentSessions } from "./schema.ts";

export type NewPaymentSession = typeof paymentSessions.$inferInsert;
export type PaymentSession = typeof paymentSessions.$inferSelect;

export async function insertPaymentSession(db: Db, session: NewPaymentSession): Promise<void> {
  await db.insert(paymentSessions).values(session);
}

export async function findPaymentSession(db: Db, id: string): Promise<PaymentSession | undefined> {
  const [row] = await db.select().from(paymentSessions).where(eq(paymentSessions.id, id));
  return row;
}
