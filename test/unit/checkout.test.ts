import { describe, expect, it } from "vitest";
import { CheckoutError, CheckoutRequestSchema, priceCheckout, type CatalogProduct } from "../../src/domain/checkout.ts";

const catalog: CatalogProduct[] = [
  { id: "mug", name: "Mug", priceCents: 1200, currency: "usd", fulfillmentCenterId: "fc-east", stock: 10 },
  { id: "tee", name: "Tee", priceCents: 2500, currency: "usd", fulfillmentCenterId: "fc-west", stock: 1 },
  { id: "euro", name: "Euro thing", priceCents: 900, currency: "eur", fulfillmentCenterId: "fc-east", stock: 5 },
];
const request = (items: { productId: string; quantity: number }[]) => ({ customerId: "c", email: "c@example.com", items });

describe("priceCheckout", () => {
  it("snapshots name, price and center and totals the order, merging repeated products", () => {
    const priced = priceCheckout(request([{ productId: "mug", quantity: 1 }, { productId: "tee", quantity: 1 }, { productId: "mug", quantity: 2 }]), catalog);
    expect(priced.amountTotal).toBe(3 * 1200 + 2500);
    expect(priced.currency).toBe("usd");
    expect(priced.items).toEqual([
      { productId: "mug", name: "Mug", quantity: 3, unitPriceCents: 1200, fulfillmentCenterId: "fc-east" },
      { productId: "tee", name: "Tee", quantity: 1, unitPriceCents: 2500, fulfillmentCenterId: "fc-west" },
    ]);
  });

  it.each([
    ["unknown_product", [{ productId: "nope", quantity: 1 }]],
    ["out_of_stock", [{ productId: "tee", quantity: 2 }]],
    ["mixed_currency", [{ productId: "mug", quantity: 1 }, { productId: "euro", quantity: 1 }]],
  ])("rejects with %s", (code, items) => {
    expect(() => priceCheckout(request(items), catalog)).toThrow(expect.objectContaining({ code }) as CheckoutError);
  });
});

describe("the checkout request schema", () => {
  it("rejects an empty cart, a bad email and a non-positive quantity", () => {
    expect(CheckoutRequestSchema.safeParse(request([])).success).toBe(false);
    expect(CheckoutRequestSchema.safeParse({ ...request([{ productId: "mug", quantity: 1 }]), email: "nope" }).success).toBe(false);
    expect(CheckoutRequestSchema.safeParse(request([{ productId: "mug", quantity: 0 }])).success).toBe(false);
    expect(CheckoutRequestSchema.safeParse(request([{ productId: "mug", quantity: 1 }])).success).toBe(true);
  });
});
