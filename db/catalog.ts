import { asc, inArray, sql } from "drizzle-orm";
import type { Catalog } from "../src/domain/catalog.ts";
import type { Db } from "./client.ts";
import { centers, products } from "./schema.ts";

/** Upserts centers and products; stock is set to the file's value. */
export async function upsertCatalog(db: Db, catalog: Catalog): Promise<void> {
  await db.transaction(async (tx) => {
    if (catalog.centers.length) {
      await tx
        .insert(centers)
        .values(catalog.centers)
        .onConflictDoUpdate({
          target: centers.id,
          set: {
            name: sql`excluded.name`,
            orderUrl: sql`excluded.order_url`,
            leadTimeDays: sql`excluded.lead_time_days`,
          },
        });
    }
    if (catalog.products.length) {
      await tx
        .insert(products)
        .values(catalog.products)
        .onConflictDoUpdate({
          target: products.id,
          set: {
            name: sql`excluded.name`,
            priceCents: sql`excluded.price_cents`,
            currency: sql`excluded.currency`,
            fulfillmentCenterId: sql`excluded.fulfillment_center_id`,
            stock: sql`excluded.stock`,
          },
        });
    }
  });
}

export const findProducts = (db: Db, ids: string[]) =>
  db.select().from(products).where(inArray(products.id, ids));

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
