import { and, eq } from "drizzle-orm";
import type { Db } from "./client.ts";
import { emailOutbox } from "./schema.ts";

export type OutboxEmail = typeof emailOutbox.$inferSelect;
export type NewOutboxEmail = typeof emailOutbox.$inferInsert;

/** Stores an email once per (order, kind) and returns the stored row (the first one wins). */
export async function stageEmail(db: Db, email: NewOutboxEmail): Promise<OutboxEmail> {
  const [inserted] = await db.insert(emailOutbox).values(email).onConflictDoNothing().returning();
  if (inserted) return inserted;
  const [existing] = await db
    .select()
    .from(emailOutbox)
    .where(and(eq(emailOutbox.orderId, email.orderId), eq(emailOutbox.kind, email.kind)));
  return existing!;
}

export async function markEmailSent(db: Db, orderId: string, kind: string): Promise<void> {
  await db
    .update(emailOutbox)
    .set({ sentAt: new Date() })
    .where(and(eq(emailOutbox.orderId, orderId), eq(emailOutbox.kind, kind)));
}

export const emailsFor = (db: Db, orderId: string) =>
  db.select().from(emailOutbox).where(eq(emailOutbox.orderId, orderId));
