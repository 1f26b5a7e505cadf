// What the silent-center watchdog reads: shipments handed to a center and not shipped since.
import { sql } from "drizzle-orm";
import { rowsOf, type Db } from "./client.ts";

/**
 * The order's shipments still `accepted`, with when their clock started (the hand-off, or the
 * last re-send), leaving out those an open incident already asks a person about.
 */
export async function findUnshipped(db: Db, orderId: string) {
  const result = await db.execute(sql`
    SELECT f.center_id, o.customer_id, coalesce(f.updated_at, f.created_at) AS handed_off_at
    FROM fulfillment_requests f JOIN orders o ON o.id = f.order_id
    WHERE f.order_id = ${orderId} AND f.status = 'accepted'
      AND NOT EXISTS (SELECT 1 FROM incidents i
        WHERE i.order_id = f.order_id AND i.center_id = f.center_id AND i.status = 'open')
    ORDER BY f.center_id`);
  return rowsOf<{ center_id: string; customer_id: string; handed_off_at: string | Date }>(result).map((r) => ({
    centerId: r.center_id,
    customerId: r.customer_id,
    handedOffAt: new Date(r.handed_off_at).toISOString(),
  }));
}
