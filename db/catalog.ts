import { asc, getTableColumns, inArray, sql } from "drizzle-orm";
import type { Catalog } from "../src/domain/catalog.ts";
import type { Db } from "./client.ts";
import { centers, products } from "./schema.ts";

/** `SET column = excluded.column` for every column but the id: the incoming row wins. */
function takeIncoming(table: typeof centers | typeof products) {
  const columns = Object.entries(getTableColumns(table)).filter(([key]) => key !== "id");
  return Object.fromEntries(columns.map(([key, column]) => [key, sql.raw(`excluded.${column.name}`)]));
}

/** Upserts centers and products; stock is set to the file's value. */
export async function upsertCatalog(db: Db, catalog: Catalog): Promise<void> {
  await db.transaction(async (tx) => {
    if (catalog.centers.length) {
      await tx
        .insert(centers)
        .values(catalog.centers)
        .onConflictDoUpdate({ target: centers.id, set: takeIncoming(centers) });
    }
    if (catalog.products.length) {
      await tx
        .insert(products)
        .values(catalog.products)
        .onConflictDoUpdate({ target: products.id, set: takeIncoming(products) });
    }
  });
}

export const findProducts = (db: Db, ids: string[]) => db.select().from(products).where(inArray(products.id, ids));

export const listInventory = (db: Db) =>
  db
    .select({
      productId: products.id,
      name: products.name,
      stock: products.stock,
      fulfillmentCenterId: products.fulfillmentCenterId,
    })
    .from(products)
    .orderBy(asc(products.id));

export const countProducts = async (db: Db) =>
  (await db.select({ n: sql<number>`count(*)::int` }).from(products))[0]?.n ?? 0;
