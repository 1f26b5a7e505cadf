import { desc, eq, inArray } from "drizzle-orm";
import type { Center, OrderSession, OrderStatus } from "../src/domain/order.ts";
import type { Db } from "./client.ts";
import { centers, orderHistory, orders, paymentSessions } from "./schema.ts";

/**
 * Loads a payment session with the centers it ships from and opens its order row. Returns
 * undefined for an unknown session. Safe to repeat: the order row is created once.
 */
export async function beginOrder(db: Db, id: string): Promise<OrderSession | undefined> {
  const [session] = await db.select().from(paymentSessions).where(eq(paymentSessions.id, id));
  if (!session) return undefined;
  if (!session.stripeCheckoutSessionId) throw new Error(`payment session ${id} has no Stripe checkout session`);
  const centerIds = [...new Set(session.items.map((i) => i.fulfillmentCenterId))];
  const [centerRows] = await Promise.all([
    db.select().from(centers).where(inArray(centers.id, centerIds)),
    db
      .insert(orders)
      .values({ id, customerId: session.customerId, status: "processing" })
      .onConflictDoNothing(),
  ]);
  return {
    id: session.id,
    customerId: session.customerId,
    email: session.email,
    items: session.items,
    amountTotal: session.amountTotal,
    currency: session.currency,
    stripeCheckoutSessionId: session.stripeCheckoutSessionId,
    centers: centerRows satisfies Center[],
  };
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
