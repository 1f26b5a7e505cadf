import { and, desc, eq, like, lt, or, sql } from "drizzle-orm";
import type { Center, LineItemSnapshot, OrderSession, OrderStatus } from "../src/domain/order.ts";
import type { OrderView } from "../src/domain/order-view.ts";
import type { ShipTo } from "../src/domain/ship-to.ts";
import { rowsOf, type Db } from "./client.ts";
import { orderHistory, orders, paymentSessions } from "./schema.ts";

/**
 * Loads a payment session with the centers it ships from and opens its order row, in one
 * statement. Returns undefined for an unknown session. Safe to repeat: the order row is created
 * once, and `orderedAt` is always the time it was first opened (from the insert on a first call;
 * the statement's snapshot cannot see that row, so from the row itself on a repeat).
 */
export async function beginOrder(db: Db, id: string): Promise<OrderSession | undefined> {
  const result = await db.execute(sql`
    WITH opened AS (
      INSERT INTO orders (id, customer_id, status)
      SELECT id, customer_id, 'processing' FROM payment_sessions WHERE id = ${id}
      ON CONFLICT DO NOTHING
      RETURNING created_at
    )
    SELECT s.customer_id, s.email, s.items, s.amount_total, s.currency, s.stripe_checkout_session_id, s.ship_to,
      (SELECT coalesce(json_agg(json_build_object(
          'id', c.id, 'name', c.name, 'orderUrl', c.order_url, 'leadTimeDays', c.lead_time_days)), '[]'::json)
        FROM centers c
        WHERE c.id IN (SELECT item->>'fulfillmentCenterId' FROM jsonb_array_elements(s.items) AS item)) AS centers,
      (extract(epoch FROM coalesce((SELECT created_at FROM opened), o.created_at)) * 1000)::float8 AS ordered_at,
      o.status AS stored_status
    FROM payment_sessions s LEFT JOIN orders o ON o.id = s.id
    WHERE s.id = ${id}`);
  const [row] = rowsOf<BeginOrderRow>(result);
  if (!row) return undefined;
  if (!row.stripe_checkout_session_id) throw new Error(`payment session ${id} has no Stripe checkout session`);
  if (row.ordered_at === null) throw new Error(`order row for ${id} was neither found nor opened`); // transient: retried
  return {
    id,
    customerId: row.customer_id,
    email: row.email,
    items: parseJson(row.items),
    amountTotal: row.amount_total,
    currency: row.currency,
    stripeCheckoutSessionId: row.stripe_checkout_session_id,
    centers: parseJson(row.centers),
    orderedAt: row.ordered_at,
    storedStatus: row.stored_status,
    shipTo: row.ship_to === null ? null : parseJson(row.ship_to),
  };
}

type BeginOrderRow = {
  customer_id: string;
  email: string;
  items: LineItemSnapshot[] | string;
  amount_total: number;
  currency: string;
  stripe_checkout_session_id: string | null;
  centers: Center[] | string;
  ordered_at: number | null;
  stored_status: OrderStatus | null;
  ship_to: ShipTo | string | null;
};

/** json columns of a raw statement: PGlite and postgres-js parse them, unless a driver hands over text. */
const parseJson = <T>(value: T | string): T => (typeof value === "string" ? (JSON.parse(value) as T) : value);

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

/** Writes the customer's history record, once per order. */
export async function recordOrderHistory(db: Db, record: HistoryRecord): Promise<void> {
  await db.insert(orderHistory).values(record).onConflictDoNothing();
}

export const findOrderHistory = async (db: Db, orderId: string) =>
  (await db.select().from(orderHistory).where(eq(orderHistory.orderId, orderId)))[0];

/** Where the next page of a customer's history starts: after this record (newest first). */
export type HistoryCursor = { recordedAt: string; orderId: string };

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
  const next: HistoryCursor | null = rows.length > page.limit && last ? { recordedAt: last.recordedAt.toISOString(), orderId: last.orderId } : null;
  return { orders, next };
}

/**
 * The order as the database records it, for when its workflow is not (or no longer) there: not
 * started yet (awaiting payment) or past Restate's retention. Steps live only in the journal.
 */
export async function findStoredOrder(
  db: Db,
  id: string,
): Promise<{ view: OrderView; email: string; shipTo: ShipTo | null } | undefined> {
  const [row] = await db
    .select({
      customerId: paymentSessions.customerId,
      email: paymentSessions.email,
      shipTo: paymentSessions.shipTo,
      status: orders.status,
      shipments: orderHistory.shipments,
      estimatedArrival: orderHistory.estimatedArrival,
    })
    .from(paymentSessions)
    .leftJoin(orders, eq(orders.id, paymentSessions.id))
    .leftJoin(orderHistory, eq(orderHistory.orderId, paymentSessions.id))
    .where(eq(paymentSessions.id, id));
  if (!row) return undefined;
  const view: OrderView = {
    orderId: id,
    customerId: row.customerId,
    status: row.status ?? "awaiting_payment",
    steps: [],
    shipments: row.shipments ?? [],
    estimatedArrival: row.estimatedArrival,
    incident: null,
    invocationId: null,
  };
  return { view, email: row.email, shipTo: row.shipTo };
}

/** Where the next page of the console's order list starts: after this order (newest first). */
export type OrderListCursor = { createdAt: string; id: string };

export type OrderListFilter = { status?: OrderStatus; search?: string; limit: number; cursor?: OrderListCursor };

/**
 * One page of orders for operators, newest first, optionally of one status, or whose order id or
 * customer id starts with `search`. Keyset pagination on (created_at, id); the cursor keeps
 * Postgres' own text of the timestamp, so its microseconds survive the round trip.
 */
export async function listOrders(db: Db, filter: OrderListFilter) {
  const { status, search, limit, cursor } = filter;
  const prefix = search && `${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await db
    .select({
      id: orders.id,
      customerId: orders.customerId,
      status: orders.status,
      failedStep: orders.failedStep,
      createdAt: orders.createdAt,
      cursorAt: sql<string>`${orders.createdAt}::text`,
      amountTotal: paymentSessions.amountTotal,
      currency: paymentSessions.currency,
    })
    .from(orders)
    .innerJoin(paymentSessions, eq(paymentSessions.id, orders.id))
    .where(
      and(
        status ? eq(orders.status, status) : undefined,
        prefix ? or(like(orders.id, prefix), like(orders.customerId, prefix)) : undefined,
        cursor
          ? or(
              lt(orders.createdAt, sql`${cursor.createdAt}::timestamptz`),
              and(eq(orders.createdAt, sql`${cursor.createdAt}::timestamptz`), lt(orders.id, cursor.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit).map(({ cursorAt: _, ...row }) => row);
  const last = rows[limit - 1];
  const next: OrderListCursor | null = rows.length > limit && last ? { createdAt: last.cursorAt, id: last.id } : null;
  return { orders: page, next };
}

/** What was bought: the payment session's snapshot of items and its total. */
export async function findOrderItems(db: Db, id: string) {
  const [row] = await db
    .select({ items: paymentSessions.items, amountTotal: paymentSessions.amountTotal, currency: paymentSessions.currency })
    .from(paymentSessions)
    .where(eq(paymentSessions.id, id));
  return row;
}
