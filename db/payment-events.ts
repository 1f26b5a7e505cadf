import { eq } from "drizzle-orm";
import type { Db } from "./client.ts";
import { paymentEvents } from "./schema-signals.ts";

export type PaymentEventRecord = typeof paymentEvents.$inferInsert;

/** Records a verified Stripe event's outcome, once per event id (Stripe redelivers). */
export async function recordPaymentEvent(db: Db, event: PaymentEventRecord): Promise<void> {
  await db.insert(paymentEvents).values(event).onConflictDoNothing();
}

export async function findPaymentEvent(db: Db, eventId: string) {
  const [row] = await db.select().from(paymentEvents).where(eq(paymentEvents.eventId, eventId));
  return row;
}
