// The customer's order history: one record per completed order, written once by the workflow and
// read by the shop's backend a page at a time.
import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "./client.ts";
import { orderHistory } from "./schema.ts";

export type HistoryRecord = typeof orderHistory.$inferInsert;

/** Writes the customer's history record, once per order. */
export async function recordOrderHistory(db: Db, record: HistoryRecord): Promise<void> {
  await db.insert(orderHistory).values(record).onConflictDoNothing();
}

export const findOrderHistory = async (db: Db, orderId: string) =>
  (await db.select().from(orderHistory).where(eq(orderHistory.orderId, orderId)))[0];

/**
 * Where the next page of a customer's history starts: after this record (newest first). Clients
 * hand it back (src/http/cursor.ts), so it is checked like any input.
 */
export const HistoryCursorSchema = z.object({ recordedAt: z.iso.datetime(), orderId: z.string().max(100) });
export type HistoryCursor = z.infer<typeof HistoryCursorSchema>;

/**
 * One page of a customer's history, newest first (keyset pagination: stable while orders arrive).
 * The key is (recorded_at to the millisecond, order id): the database stamps microseconds, a
 * cursor (like a JS Date) keeps milliseconds, and comparing the two would skip the records
 * stamped later within the millisecond of a page's last one.
 */
export async function listCustomerHistory(db: Db, customerId: string, page: { limit: number; after?: HistoryCursor }) {
  const after = page.after;
  const recordedMs = sql`date_trunc('milliseconds', ${orderHistory.recordedAt})`;
  const rows = await db
    .select()
    .from(orderHistory)
    .where(
      and(
        eq(orderHistory.customerId, customerId),
        after
          ? or(
              sql`${recordedMs} < ${after.recordedAt}::timestamptz`,
              and(sql`${recordedMs} = ${after.recordedAt}::timestamptz`, lt(orderHistory.orderId, after.orderId)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(recordedMs), desc(orderHistory.orderId))
    .limit(page.limit + 1);
  const orders = rows.slice(0, page.limit);
  const last = orders.at(-1);
  const next: HistoryCursor | null =
    rows.length > page.limit && last ? { recordedAt: last.recordedAt.toISOString(), orderId: last.orderId } : null;
  return { orders, next };
}
