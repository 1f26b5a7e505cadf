// An order's row: opened with its payment session when the workflow begins, its status kept as it
// moves; and the order as the database alone knows it, for when Restate does not.
import { eq, sql } from "drizzle-orm";
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

/**
 * checkout.session.expired for a session no run has begun: its order row is opened as `expired`, so
 * its page says so and a run started later ends at once. False when the row existed (a run began).
 */
export async function openExpiredOrder(db: Db, id: string): Promise<boolean> {
  const result = await db.execute(sql`
    INSERT INTO orders (id, customer_id, status)
    SELECT id, customer_id, 'expired' FROM payment_sessions WHERE id = ${id}
    ON CONFLICT DO NOTHING RETURNING id`);
  return rowsOf(result).length > 0;
}

export async function findOrder(db: Db, id: string) {
  const [row] = await db.select().from(orders).where(eq(orders.id, id));
  return row;
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
