// Stripe's news after checkout (refunds, disputes, early fraud warnings, reviews) and the hand-off
// gate. Both lock the order's payment session row (it exists from checkout on, before any order
// row), so they are serialised: a signal recorded before the gate's transaction is seen by it, and
// one recorded after it finds the order handed off. Never both, never neither.
import { asc, eq, sql } from "drizzle-orm";
import type { OrderStatus } from "../src/domain/order.ts";
import { centersOf } from "../src/domain/shipments.ts";
import { gateVerdict, type GateVerdict, type RecordedSignal, type SignalType } from "../src/domain/stripe-signals.ts";
import { rowsOf, type Db } from "./client.ts";
import { orders, paymentSessions } from "./schema.ts";
import { stripeEvents } from "./schema-signals.ts";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
type Row = typeof stripeEvents.$inferSelect;
export type NewSignal = Omit<RecordedSignal, "afterHandOff" | "receivedAt">;

const toSignal = (r: Row): RecordedSignal => ({
  ...r,
  type: r.type as SignalType,
  receivedAt: r.receivedAt.toISOString(),
});

/**
 * Locks the payment session row and tells whether the order is past the hand-off: the gate marked
 * it, or (an order from before the gate existed) a center already has it. Two statements on
 * purpose: under READ COMMITTED the second one's snapshot is taken after the lock was granted, so
 * it sees what the transaction that held the lock committed.
 */
async function lockOrder(tx: Tx, orderId: string) {
  const locked = await tx.execute(sql`SELECT id FROM payment_sessions WHERE id = ${orderId} FOR UPDATE`);
  if (rowsOf(locked).length === 0) return undefined;
  const result = await tx.execute(sql`
    SELECT o.status, (o.handed_off_at IS NOT NULL
        OR EXISTS (SELECT 1 FROM fulfillment_requests f WHERE f.order_id = o.id)) AS handed_off
    FROM orders o WHERE o.id = ${orderId}`);
  const [row] = rowsOf<{ status: OrderStatus; handed_off: boolean }>(result);
  return { status: row?.status ?? null, handedOff: row?.handed_off ?? false };
}

/**
 * Records a verified signal once per event id (a redelivery answers as the first did) and says on
 * which side of the hand-off it fell, with the order's status then (null: no run began it yet).
 */
export async function recordStripeSignal(db: Db, signal: NewSignal) {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, signal.orderId);
    if (!order) throw new Error(`no payment session ${signal.orderId}`);
    const [inserted] = await tx
      .insert(stripeEvents)
      .values({ ...signal, afterHandOff: order.handedOff })
      .onConflictDoNothing()
      .returning();
    const row = inserted ?? (await tx.select().from(stripeEvents).where(eq(stripeEvents.eventId, signal.eventId)))[0]!;
    return { signal: toSignal(row), first: Boolean(inserted), orderStatus: order.status };
  });
}

/**
 * The hand-off gate: in one transaction, the order's signals recorded so far decide (gateVerdict);
 * if nothing holds it, the order is marked handed off. Safe to repeat: a handed-off order goes on.
 * A hold (HandOffHold) rolls back and marks nothing.
 */
export async function passHandOffGate(db: Db, orderId: string, options: { shipAnyway?: boolean } = {}) {
  return db.transaction(async (tx): Promise<GateVerdict> => {
    const order = await lockOrder(tx, orderId);
    if (!order) throw new Error(`no payment session ${orderId}`);
    if (order.handedOff) return { verdict: "go" };
    const rows = await tx
      .select()
      .from(stripeEvents)
      .where(eq(stripeEvents.orderId, orderId))
      .orderBy(asc(stripeEvents.receivedAt));
    const verdict = gateVerdict(rows.map(toSignal), options);
    if (verdict.verdict === "go")
      await tx.update(orders).set({ handedOffAt: new Date() }).where(eq(orders.id, orderId));
    return verdict;
  });
}

/** A recorded signal with its order's customer and the centers the order ships from. */
export async function findStripeSignal(db: Db, eventId: string) {
  const [row] = await db
    .select({ event: stripeEvents, customerId: paymentSessions.customerId, items: paymentSessions.items })
    .from(stripeEvents)
    .innerJoin(paymentSessions, eq(paymentSessions.id, stripeEvents.orderId))
    .where(eq(stripeEvents.eventId, eventId));
  return row && { ...toSignal(row.event), customerId: row.customerId, centerIds: centersOf(row.items) };
}

/** An order's Stripe signals, oldest first, as operators read them. */
export const signalsFor = async (db: Db, orderId: string) =>
  (
    await db.select().from(stripeEvents).where(eq(stripeEvents.orderId, orderId)).orderBy(asc(stripeEvents.receivedAt))
  ).map(toSignal);

/** The payment session a PaymentIntent paid, once its payment was verified and recorded. */
export async function findSessionByPaymentIntent(db: Db, paymentIntentId: string) {
  const [row] = await db
    .select({ id: paymentSessions.id })
    .from(paymentSessions)
    .where(eq(paymentSessions.stripePaymentIntentId, paymentIntentId));
  return row?.id;
}
