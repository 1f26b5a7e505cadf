import { desc, eq, sql } from "drizzle-orm";
import type { Center, OrderSession, OrderStatus } from "../src/domain/order.ts";
import type { Db } from "./client.ts";
import { orderHistory, orders, paymentSessions } from "./schema.ts";

/**
 * Loads a payment session with the centers it ships from and opens its order row, in one round
 * trip. Returns undefined for an unknown session. Safe to repeat: the order row is created once.
 */
export async function beginOrder(db: Db, id: string): Promise<OrderSession | undefined> {
  const centersOfSession = sql<Center[]>`(
    SELECT coalesce(json_agg(json_build_object(
      'id', c.id, 'name', c.name, 'orderUrl', c.order_url, 'leadTimeDays', c.lead_time_days)), '[]'::json)
    FROM centers c
    WHERE c.id IN (SELECT item->>'fulfillmentCenterId' FROM jsonb_array_elements(${paymentSessions.items}) AS item))`;
  const [[session]] = await Promise.all([
    db
      .select({
        id: paymentSessions.id,
        customerId: paymentSessions.customerId,
        email: paymentSessions.email,
        items: paymentSessions.items,
        amountTotal: paymentSessions.amountTotal,
        currency: paymentSessions.currency,
        stripeCheckoutSessionId: paymentSessions.stripeCheckoutSessionId,
        centers: centersOfSession,
      })
      .from(paymentSessions)
      .where(eq(paymentSessions.id, id)),
    db.execute(sql`
      INSERT INTO orders (id, customer_id, status)
      SELECT id, customer_id, 'processing' FROM payment_sessions WHERE id = ${id}
      ON CONFLICT DO NOTHING`),
  ]);
  if (!session) return undefined;
  const { stripeCheckoutSessionId, ...rest } = session;
  if (!stripeCheckoutSessionId) throw new Error(`payment session ${id} has no Stripe checkout session`);
  return { ...rest, stripeCheckoutSessionId };
}

export async function setOrderStatus(
  db: Db,
  id: string,
  status: OrderStatus,
  failedStep: string | null = null,
): Promise<void> {
  await db.update(orders).set({ status, failedStep, updatedAt: new Date() }).where(eq(orders.id, id));
}

export async function findOrder(db: Db, id: string) {
  const [row] = await db.select().from(orders).where(eq(orders.id, id));
  return row;
}

export type HistoryRecord = typeof orderHistory.$inferInsert;

/**
 * Writes the customer's history record and completes the order row. Both writes are idempotent,
 * so they need no transaction: a repeated call after a crash between them finishes the job.
 */
export async function recordOrderHistory(db: Db, record: HistoryRecord): Promise<void> {
  await Promise.all([
    db.insert(orderHistory).values(record).onConflictDoNothing(),
    db
      .update(orders)
      .set({ status: "completed", failedStep: null, updatedAt: new Date() })
      .where(eq(orders.id, record.orderId)),
  ]);
}

export const findOrderHistory = async (db: Db, orderId: string) =>
  (await db.select().from(orderHistory).where(eq(orderHistory.orderId, orderId)))[0];

export const listCustomerHistory = (db: Db, customerId: string) =>
  db
    .select()
    .from(orderHistory)
    .where(eq(orderHistory.customerId, customerId))
    .orderBy(desc(orderHistory.recordedAt));
