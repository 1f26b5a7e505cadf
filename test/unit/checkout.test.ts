import { describe, expect, it } from "vitest";
import {
  type CheckoutError,
  CheckoutRequestSchema,
  priceCheckout,
  type CatalogProduct,
} from "../../src/domain/checkout-pricing.ts";

const catalog: CatalogProduct[] = [
  { id: "mug", name: "Mug", priceCents: 1200, currency: "usd", fulfillmentCenterId: "fc-east", stock: 10 },
  { id: "tee", name: "Tee", priceCents: 2500, currency: "usd", fulfillmentCenterId: "fc-west", stock: 1 },
  { id: "euro", name: "Euro thing", priceCents: 900, currency: "eur", fulfillmentCenterId: "fc-east", stock: 5 },
];
const request = (items: { productId: string; quantity: number }[]) => ({
  customerId: "c",
  email: "c@example.com",
  items,
});

describe("priceCheckout", () => {
  it("snapshots name, price and center and totals the order, merging repeated products", () => {
    const priced = priceCheckout(
      request([
        { productId: "mug", quantity: 1 },
        { productId: "tee", quantity: 1 },
        { productId: "mug", quantity: 2 },
      ]),
      catalog,
    );
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
    [
      "mixed_currency",
      [
        { productId: "mug", quantity: 1 },
        { productId: "euro", quantity: 1 },
      ],
    ],
  ])("rejects with %s", (code, items) => {
    expect(() => priceCheckout(request(items), catalog)).toThrow(expect.objectContaining({ code }) as CheckoutError);
  });
});

describe("the checkout request schema", () => {
  it("rejects an empty cart, a bad email and a non-positive quantity", () => {
    expect(CheckoutRequestSchema.safeParse(request([])).success).toBe(false);
    expect(
      CheckoutRequestSchema.safeParse({ ...request([{ productId: "mug", quantity: 1 }]), email: "nope" }).success,
    ).toBe(false);
    expect(CheckoutRequestSchema.safeParse(request([{ productId: "mug", quantity: 0 }])).success).toBe(false);
    expect(CheckoutRequestSchema.safeParse(request([{ productId: "mug", quantity: 1 }])).success).toBe(true);
  });
});

describe("checkout bounds", () => {
  const big: CatalogProduct[] = [
    {
      id: "gold",
      name: "Gold bar",
      priceCents: 5_000_000,
      currency: "usd",
      fulfillmentCenterId: "fc-east",
      stock: 1_000_000,
    },
  ];

  it("says which product is short but never how many are left", () => {
    try {
      priceCheckout(request([{ productId: "tee", quantity: 2 }]), catalog);
      expect.unreachable();
    } catch (err) {
      expect((err as CheckoutError).message).toContain("tee");
      expect((err as CheckoutError).message).not.toMatch(/\d/);
    }
  });

  it("bounds the merged quantity of one product, not only each line", () => {
    const lines = [
      { productId: "gold", quantity: 6000 },
      { productId: "gold", quantity: 6000 },
    ];
    expect(CheckoutRequestSchema.safeParse(request(lines)).success).toBe(true);
    expect(() => priceCheckout(request(lines), big)).toThrow(
      expect.objectContaining({ code: "quantity_too_large" }) as CheckoutError,
    );
  });

  it("refuses a total over what Stripe can charge, before Stripe is asked", () => {
    expect(() => priceCheckout(request([{ productId: "gold", quantity: 20 }]), big)).toThrow(
      expect.objectContaining({ code: "total_too_large" }) as CheckoutError,
    );
    expect(priceCheckout(request([{ productId: "gold", quantity: 19 }]), big).amountTotal).toBe(95_000_000);
  });

  it("bounds the length of every string", () => {
    const ok = request([{ productId: "mug", quantity: 1 }]);
    expect(CheckoutRequestSchema.safeParse({ ...ok, customerId: "c".repeat(201) }).success).toBe(false);
    expect(CheckoutRequestSchema.safeParse({ ...ok, email: `${"a".repeat(250)}@example.com` }).success).toBe(false);
    expect(CheckoutRequestSchema.safeParse(request([{ productId: "p".repeat(101), quantity: 1 }])).success).toBe(false);
  });
});
