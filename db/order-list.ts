// The operators' list of orders (the console's Orders page): newest first, filtered, a page at a time.
import { and, desc, eq, like, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { OrderStatus } from "../src/domain/order.ts";
import type { Db } from "./client.ts";
import { orders, paymentSessions } from "./schema.ts";

/**
 * Where the next page of the console's order list starts: after this order (newest first). It
 * travels through the browser (src/http/cursor.ts), so it is checked like any input.
 */
export const OrderListCursorSchema = z.object({
  createdAt: z
    .string()
    .max(60)
    .regex(/^[\d\-: .+]+$/),
  id: z.string().max(200),
});
export type OrderListCursor = z.infer<typeof OrderListCursorSchema>;

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
