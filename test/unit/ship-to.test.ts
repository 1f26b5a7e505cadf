// The ship-to address: what POST /checkout accepts, and what is read from Stripe's Checkout.
import { describe, expect, it } from "vitest";
import { CheckoutRequestSchema } from "../../src/domain/checkout-pricing.ts";
import { checkPayment } from "../../src/domain/order.ts";
import { isCountryCode, shipToFromStripe, ShipToSchema } from "../../src/domain/ship-to.ts";

const address = {
  name: "Jenny Rosen",
  line1: "354 Oyster Point Blvd",
  city: "South San Francisco",
  state: "CA",
  postalCode: "94080",
  country: "US",
};
const stripeDetails = {
  name: "Jenny Rosen",
  address: {
    line1: "354 Oyster Point Blvd",
    line2: null,
    city: "South San Francisco",
    state: "CA",
    postal_code: "94080",
    country: "US",
  },
};

describe("a ship-to address", () => {
  it("takes the documented shape, trimmed, the country upper-cased", () => {
    expect(ShipToSchema.parse({ ...address, country: " de ", line2: "Apt 4" })).toEqual({
      ...address,
      country: "DE",
      line2: "Apt 4",
    });
  });

  it.each([
    ["an unassigned country code", { country: "ZZ" }],
    ["a three-letter country code", { country: "USA" }],
    ["an empty line1", { line1: "  " }],
    ["a name over 200 characters", { name: "x".repeat(201) }],
    ["a postal code over 20 characters", { postalCode: "1".repeat(21) }],
    ["a control character", { city: "Berlin\u0000" }],
    ["an unknown field", { floor: "3" }],
  ])("refuses %s", (_, change) => {
    expect(ShipToSchema.safeParse({ ...address, ...change }).success).toBe(false);
  });

  it("knows assigned ISO 3166-1 codes from unassigned ones", () => {
    for (const code of ["US", "DE", "GB", "JP", "BR"]) expect(isCountryCode(code)).toBe(true);
    for (const code of ["ZZ", "XX", "us", "U", "UK", "EU", "UN", "QO"]) expect(isCountryCode(code)).toBe(false);
  });

  it("is optional at checkout, and a malformed one fails the request", () => {
    const request = { customerId: "c1", email: "c1@example.com", items: [{ productId: "sku-1", quantity: 1 }] };
    expect(CheckoutRequestSchema.parse(request).shipTo).toBeUndefined();
    expect(CheckoutRequestSchema.parse({ ...request, shipTo: address }).shipTo).toEqual(address);
    expect(CheckoutRequestSchema.safeParse({ ...request, shipTo: { ...address, country: "Germany" } }).success).toBe(
      false,
    );
  });
});

describe("the address Stripe's Checkout collected", () => {
  it("maps collected_information.shipping_details to the same shape", () => {
    expect(shipToFromStripe(stripeDetails)).toEqual(address);
    expect(
      shipToFromStripe({ ...stripeDetails, address: { ...stripeDetails.address, line2: "", state: null } }),
    ).toEqual({
      ...address,
      state: undefined,
    });
  });

  it("is none when Stripe has none, or one no center could ship to", () => {
    expect(shipToFromStripe(null)).toBeUndefined();
    expect(shipToFromStripe(undefined)).toBeUndefined();
    expect(shipToFromStripe({ ...stripeDetails, address: { ...stripeDetails.address, line1: null } })).toBeUndefined();
  });

  it("is journaled with a paid verdict, and absent from any other", () => {
    const facts = {
      id: "cs_1",
      status: "complete",
      paymentStatus: "paid",
      amountTotal: 100,
      currency: "usd",
      shipTo: address,
    };
    expect(checkPayment({ amountTotal: 100, currency: "usd" }, facts)).toEqual({ outcome: "paid", shipTo: address });
    expect(checkPayment({ amountTotal: 100, currency: "usd" }, { ...facts, shipTo: null })).toEqual({
      outcome: "paid",
    });
    expect(checkPayment({ amountTotal: 100, currency: "usd" }, { ...facts, paymentStatus: "unpaid" })).toEqual({
      outcome: "pending",
    });
  });
});
