import { eq } from "drizzle-orm";
import type { Db } from "./client.ts";
import { fulfillmentRequests } from "./schema.ts";

export type FulfillmentRecord = typeof fulfillmentRequests.$inferInsert;

/** Records a center's answer once per (order, center); a repeat keeps the first record. */
export async function recordFulfillment(db: Db, record: FulfillmentRecord): Promise<void> {
  await db.insert(fulfillmentRequests).values(record).onConflictDoNothing();
}

export const fulfillmentsFor = (db: Db, orderId: string) =>
  db.select().from(fulfillmentRequests).where(eq(fulfillmentRequests.orderId, orderId));
