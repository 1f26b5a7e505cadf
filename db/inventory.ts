import { eq, inArray, sql } from "drizzle-orm";
import { OutOfStockError } from "../src/domain/errors.ts";
import type { Db } from "./client.ts";
import { inventoryMovements, products } from "./schema.ts";

export type StockMove = { productId: string; quantity: number };

/**
 * Takes stock for one order, all or nothing, in one statement (one round trip). Each
 * (order, product) move is inserted together with its stock update, so a repeated call (a retried
 * or replayed step) moves nothing twice: only newly inserted moves touch stock. Stock never goes
 * below zero: the products_stock_never_negative CHECK rejects the whole statement, which then
 * becomes a backorder. Concurrent orders for a product serialize on its row lock.
 */
export async function takeStock(db: Db, orderId: string, moves: StockMove[]): Promise<void> {
  const rows = JSON.stringify(moves.map((m) => ({ product_id: m.productId, quantity: m.quantity })));
  try {
    await db.execute(sql`
      WITH moved AS (
        INSERT INTO inventory_movements (order_id, product_id, delta)
        SELECT ${orderId}, m.product_id, -m.quantity
        FROM jsonb_to_recordset(${rows}::jsonb) AS m(product_id text, quantity int)
        ORDER BY m.product_id
        ON CONFLICT DO NOTHING
        RETURNING product_id, -delta AS quantity
      )
      UPDATE products SET stock = products.stock - moved.quantity
      FROM moved WHERE products.id = moved.product_id`);
  } catch (err) {
    if (pgErrorCode(err) !== "23514") throw err; // check_violation: not enough stock
    const left = await db
      .select({ id: products.id, stock: products.stock })
      .from(products)
      .where(
        inArray(
          products.id,
          moves.map((m) => m.productId),
        ),
      );
    const short = moves
      .map((m) => ({
        productId: m.productId,
        requested: m.quantity,
        available: left.find((p) => p.id === m.productId)?.stock ?? 0,
      }))
      .filter((s) => s.available < s.requested);
    throw new OutOfStockError(
      short.length ? short : moves.map((m) => ({ productId: m.productId, requested: m.quantity, available: 0 })),
    );
  }
}

/** The SQLSTATE of a database error, from postgres-js or PGlite, possibly wrapped by Drizzle. */
export function pgErrorCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

export const movementsFor = (db: Db, orderId: string) =>
  db.select().from(inventoryMovements).where(eq(inventoryMovements.orderId, orderId));
