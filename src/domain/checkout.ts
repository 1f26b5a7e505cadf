// Pricing a checkout from the catalog: what the customer asked for, checked and frozen.
import { z } from "zod";
import type { CatalogProduct } from "./catalog.ts";
import type { LineItemSnapshot } from "./order.ts";
import { orderTotal } from "./order.ts";

export const CheckoutRequestSchema = z.object({
  customerId: z.string().trim().min(1).max(200),
  email: z.email(),
  items: z
    .array(z.object({ productId: z.string().min(1), quantity: z.number().int().positive().max(10_000) }))
    .min(1)
    .max(100),
});
export type CheckoutRequest = z.infer<typeof CheckoutRequestSchema>;

export type { CatalogProduct };

export class CheckoutError extends Error {
  constructor(
    readonly code: "unknown_product" | "mixed_currency" | "out_of_stock",
    message: string,
  ) {
    super(message);
  }
}

export type PricedCheckout = { items: LineItemSnapshot[]; amountTotal: number; currency: string };

/** Merges repeated products, checks they exist, share a currency and are in stock right now. */
export function priceCheckout(request: CheckoutRequest, catalog: CatalogProduct[]): PricedCheckout {
  const quantities = new Map<string, number>();
  for (const { productId, quantity } of request.items) {
    quantities.set(productId, (quantities.get(productId) ?? 0) + quantity);
  }
  const items: LineItemSnapshot[] = [];
  for (const [productId, quantity] of quantities) {
    const product = catalog.find((p) => p.id === productId);
    if (!product) throw new CheckoutError("unknown_product", `unknown product ${productId}`);
    if (product.stock < quantity) {
      throw new CheckoutError("out_of_stock", `${productId}: ${quantity} wanted, ${product.stock} in stock`);
    }
    items.push({
      productId,
      name: product.name,
      quantity,
      unitPriceCents: product.priceCents,
      fulfillmentCenterId: product.fulfillmentCenterId,
    });
  }
  const currencies = new Set(items.map((i) => catalog.find((p) => p.id === i.productId)!.currency));
  if (currencies.size > 1) throw new CheckoutError("mixed_currency", `one checkout, one currency: got ${[...currencies].join(", ")}`);
  return { items, amountTotal: orderTotal(items), currency: [...currencies][0]! };
}
