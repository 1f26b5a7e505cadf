// The ship-to address end to end: given at checkout, or typed on (the emulator of) Stripe's
// Checkout page; it reaches each center in the fulfillment request, operators see it, the public
// order page never does. A paid order with no address waits for a person.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SHIP_TO_COUNTRIES } from "../../src/domain/ship-to.ts";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const GIVEN = {
  name: "Ada Lovelace",
  line1: "12 St James's Square",
  city: "London",
  postalCode: "SW1Y 4JH",
  country: "GB",
};
const items = [
  { productId: "sku-mug", quantity: 1 },
  { productId: "sku-tee", quantity: 1 },
];

async function checkout(customerId: string, shipTo?: unknown) {
  const res = await stack.shop("POST", "/checkout", {
    customerId,
    email: `${customerId}@example.com`,
    items,
    ...(shipTo !== undefined && { shipTo }),
  });
  return res;
}
const sentTo = (orderId: string) =>
  stack.centers
    .accepted()
    .filter((a) => a.order.orderId === orderId)
    .map((a) => [a.centerId, a.order.shipTo])
    .sort();

describe("an address given at checkout", () => {
  it("reaches every center; Checkout is not asked to collect one; operators see it and the public page does not", async () => {
    const res = await checkout("cus_given", GIVEN);
    expect(res.status).toBe(201);
    const { paymentSessionId: id, stripeCheckoutSessionId } = res.body;
    expect(stack.stripe.session(stripeCheckoutSessionId)?.shipping_address_collection).toBeNull();

    await stack.pay(stripeCheckoutSessionId);
    const order = await stack.waitForStatus(id, ["completed"]);
    expect(order.shipTo).toEqual(GIVEN);
    expect(sentTo(id)).toEqual([
      ["fc-east", GIVEN],
      ["fc-west", GIVEN],
    ]);

    const page = await stack.api("GET", `/orders/${id}`);
    expect(page.status).toBe(200);
    expect(JSON.stringify(page.body)).not.toContain("Lovelace");
    expect(JSON.stringify(page.body)).not.toContain("St James");
  });

  it.each([
    ["a country that is not an ISO code", { ...GIVEN, country: "England" }, "shipTo.country"],
    ["a missing postal code", { name: "A", line1: "B", city: "C", country: "GB" }, "shipTo.postalCode"],
    ["an overlong line", { ...GIVEN, line1: "x".repeat(201) }, "shipTo.line1"],
  ])("is refused with 400 naming the field for %s, before Stripe is asked", async (_, shipTo, field) => {
    const sessions = stack.stripe.sessionCount();
    const res = await checkout("cus_bad_address", shipTo);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
    expect(stack.stripe.sessionCount()).toBe(sessions);
  });
});

describe("an address Stripe's Checkout collects", () => {
  it("is asked for in SHIP_TO_COUNTRIES, typed on the checkout page, and reaches every center in the same shape", async () => {
    const res = await checkout("cus_collected");
    expect(res.status).toBe(201);
    const { paymentSessionId: id, stripeCheckoutSessionId, url } = res.body;
    expect(stack.stripe.session(stripeCheckoutSessionId)?.shipping_address_collection?.allowed_countries).toEqual(
      DEFAULT_SHIP_TO_COUNTRIES,
    );

    // The customer's browser: the page offers the form, the customer types an address and pays.
    const form = await (await fetch(url)).text();
    expect(form).toContain('name="line1"');
    const paid = await fetch(url, {
      method: "POST",
      body: new URLSearchParams({
        choice: "pay",
        name: "Grace Hopper",
        line1: "Rue de la Paix 1",
        line2: "",
        city: "Paris",
        state: "",
        postal_code: "75002",
        country: "FR",
      }),
    });
    expect(paid.status).toBe(200);

    const order = await stack.waitForStatus(id, ["completed"]);
    const collected = {
      name: "Grace Hopper",
      line1: "Rue de la Paix 1",
      city: "Paris",
      postalCode: "75002",
      country: "FR",
    };
    expect(order.shipTo).toEqual(collected);
    expect(sentTo(id)).toEqual([
      ["fc-east", collected],
      ["fc-west", collected],
    ]);
  });

  it("a paid order with no address at all becomes a 'find ship-to address' incident; nothing ships until a person decides", async () => {
    const { paymentSessionId: id, stripeCheckoutSessionId } = (await checkout("cus_no_address")).body;
    const delivery = await stack.stripe.complete(stripeCheckoutSessionId, { shippingDetails: null });
    expect(delivery.status).toBe(200);
    const order = await stack.waitForStatus(id, ["needs_attention"]);
    expect(order.incident).toMatchObject({
      step: "find ship-to address",
      error: expect.stringContaining("no ship-to address"),
    });
    expect(order.shipTo).toBeNull();
    expect(sentTo(id)).toEqual([]);

    // Done by hand: the operator agreed the address with the centers, which get none from us.
    expect(
      (await stack.admin("POST", `/admin/orders/${id}/resolution`, { action: "skip", note: "address by phone" }))
        .status,
    ).toBe(200);
    await stack.waitForStatus(id, ["completed"]);
    expect(sentTo(id)).toEqual([
      ["fc-east", null],
      ["fc-west", null],
    ]);
  });
});
