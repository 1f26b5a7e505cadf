// The catalog: fulfillment centers and the products they ship. One schema for the seed file
// (`npm run db:seed -- FILE`) and the types the rest of the code uses.
import { z } from "zod";

export const CenterSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  orderUrl: z.url(),
  leadTimeDays: z.number().int().min(0),
});
export type Center = z.infer<typeof CenterSchema>;

export const ProductSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  priceCents: z.number().int().positive(),
  currency: z
    .string()
    .length(3)
    .transform((c) => c.toLowerCase()),
  fulfillmentCenterId: z.string().min(1),
  stock: z.number().int().min(0),
});
export type CatalogProduct = z.infer<typeof ProductSchema>;

export const CatalogSchema = z
  .object({ centers: z.array(CenterSchema), products: z.array(ProductSchema) })
  .superRefine((catalog, ctx) => {
    const centerIds = new Set(catalog.centers.map((c) => c.id));
    for (const [i, p] of catalog.products.entries()) {
      if (!centerIds.has(p.fulfillmentCenterId)) {
        ctx.addIssue({
          code: "custom",
          path: ["products", i, "fulfillmentCenterId"],
          message: `unknown center ${p.fulfillmentCenterId}`,
        });
      }
    }
  });
export type Catalog = z.infer<typeof CatalogSchema>;
