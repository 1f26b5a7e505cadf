// The catalog seed file: validated, then upserted (stock is set to the file's value).
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { upsertCatalog } from "./catalog.ts";
import type { Db } from "./client.ts";

export const CatalogSchema = z
  .object({
    centers: z.array(
      z.object({
        id: z.string().min(1),
        name: z.string().min(1),
        orderUrl: z.url(),
        leadTimeDays: z.number().int().min(0),
      }),
    ),
    products: z.array(
      z.object({
        id: z.string().min(1),
        name: z.string().min(1),
        priceCents: z.number().int().positive(),
        currency: z.string().length(3).transform((c) => c.toLowerCase()),
        fulfillmentCenterId: z.string().min(1),
        stock: z.number().int().min(0),
      }),
    ),
  })
  .superRefine((catalog, ctx) => {
    const centerIds = new Set(catalog.centers.map((c) => c.id));
    for (const [i, p] of catalog.products.entries()) {
      if (!centerIds.has(p.fulfillmentCenterId)) {
        ctx.addIssue({ code: "custom", path: ["products", i, "fulfillmentCenterId"], message: `unknown center ${p.fulfillmentCenterId}` });
      }
    }
  });
export type Catalog = z.infer<typeof CatalogSchema>;

export const DEMO_CATALOG_FILE = new URL("./demo-catalog.json", import.meta.url);

export async function readCatalog(file: string | URL): Promise<Catalog> {
  const parsed = CatalogSchema.safeParse(JSON.parse(await readFile(file, "utf8")));
  if (!parsed.success) throw new Error(`invalid catalog ${file}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export async function seedCatalog(db: Db, file: string | URL): Promise<Catalog> {
  const catalog = await readCatalog(file);
  await upsertCatalog(db, catalog);
  return catalog;
}
