// Pricing a checkout from the catalog: what the customer asked for, checked and frozen.
import { z } from "zod";
import type { CatalogProduct } from "./catalog.ts";
import type { LineItemSnapshot } from "./order.ts";
import { orderTotal } from "./order.ts";
import { ShipToSchema } from "./ship-to.ts";

/** Most of one product per order (also after merging repeated lines). */
export const MAX_QUANTITY = 10_000;
/** Stripe's largest amount for a Checkout Session (in the smallest currency unit), and ours. */
export const MAX_TOTAL_CENTS = 99_999_999;

/** Text Postgres can store and compare: it has no NUL character (asked for, it fails the query). */
export const isStorableText = (text: string) => !text.includes("\u0000");
const storable = <T extends z.ZodString>(schema: T) => schema.refine(isStorableText, "must not contain NUL characters");

/** Longest customer id; the history route takes the same ids. */
export const MAX_CUSTOMER_ID = 200;

export const CheckoutRequestSchema = z.object({
  customerId: storable(z.string().trim().min(1).max(MAX_CUSTOMER_ID)),
  email: z.email().max(254), // RFC 5321's limit for a whole address
  items: z
    .array(
      z.object({
        productId: storable(z.string().min(1).max(100)),
        quantity: z.number().int().positive().max(MAX_QUANTITY),
      }),
    )
    .min(1)
    .max(100),
  // For shops that already know it; without it, Stripe's Checkout page collects the address.
  shipTo: ShipToSchema.optional(),
});
export type CheckoutRequest = z.infer<typeof CheckoutRequestSchema>;

export type { CatalogProduct };

type CheckoutErrorCode =
  | "unknown_product"
  | "mixed_currency"
  | "out_of_stock"
  | "quantity_too_large"
  | "total_too_large";

export class CheckoutError extends Error {
  readonly code: CheckoutErrorCode;
  constructor(code: CheckoutErrorCode, message: string) {
    super(message);
    this.code = code;
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
    if (quantity > MAX_QUANTITY)
      throw new CheckoutError("quantity_too_large", `${productId}: at most ${MAX_QUANTITY} per order`);
    // Which product is short, never how many are left: stock levels are the shop's business.
    if (product.stock < quantity)
      throw new CheckoutError("out_of_stock", `${productId} is not available in that quantity`);
    items.push({
      productId,
      name: product.name,
      quantity,
      unitPriceCents: product.priceCents,
      fulfillmentCenterId: product.fulfillmentCenterId,
    });
  }
  const currencies = new Set(items.map((i) => catalog.find((p) => p.id === i.productId)!.currency));
  if (currencies.size > 1)
    throw new CheckoutError("mixed_currency", `one checkout, one currency: got ${[...currencies].join(", ")}`);
  const amountTotal = orderTotal(items);
  if (amountTotal > MAX_TOTAL_CENTS)
    throw new CheckoutError("total_too_large", `the order total is over what one payment can take`);
  return { items, amountTotal, currency: [...currencies][0]! };
}
