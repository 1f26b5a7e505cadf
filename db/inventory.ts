import { and, eq, gte, inArray, sql } from "drizzle-orm";
import { OutOfStockError, type ShortItem } from "../src/domain/errors.ts";
import type { Db } from "./client.ts";
import { inventoryMovements, products } from "./schema.ts";

export type StockMove = { productId: string; quantity: number };

/**
 * Takes stock for one order, all or nothing. Each (order, product) move is inserted in the same
 * transaction as its stock update, so a repeated call (a retried or replayed step) moves nothing
 * twice. Rows are locked in product-id order, so concurrent orders serialize without deadlocks,
 * and the conditional update keeps stock from going below zero.
 */
export async function takeStock(db: Db, orderId: string, moves: StockMove[]): Promise<void> {
  const sorted = [...moves].sort((a, b) => a.productId.localeCompare(b.productId));
  await db.transaction(async (tx) => {
    const short: ShortItem[] = [];
    for (const { productId, quantity } of sorted) {
      const inserted = await tx
        .insert(inventoryMovements)
        .values({ orderId, productId, delta: -quantity })
        .onConflictDoNothing()
        .returning({ productId: inventoryMovements.productId });
      if (inserted.length === 0) continue; // moved by an earlier attempt
      const updated = await tx
        .update(products)
        .set({ stock: sql`${products.stock} - ${quantity}` })
        .where(and(eq(products.id, productId), gte(products.stock, quantity)))
        .returning({ stock: products.stock });
      if (updated.length === 0) short.push({ productId, requested: quantity, available: -1 });
    }
    if (short.length) {
      const left = await tx
        .select({ id: products.id, stock: products.stock })
        .from(products)
        .where(inArray(products.id, short.map((s) => s.productId)));
      for (const s of short) s.available = left.find((p) => p.id === s.productId)?.stock ?? 0;
      throw new OutOfStockError(short); // rolls the whole transaction back
    }
  });
}

export const movementsFor = (db: Db, orderId: string) =>
  db.select().from(inventoryMovements).where(eq(inventoryMovements.orderId, orderId));
