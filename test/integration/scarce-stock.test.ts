// Concurrent orders on scarce stock: stock never goes below zero, and an order whose product ran
// out after payment becomes a backorder for an operator (never a refund).
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incidentsFor } from "../../db/incidents.ts";
import { movementsFor } from "../../db/inventory.ts";
import { products } from "../../db/schema.ts";
import { PRODUCTS, startStack, type Stack } from "../support/stack.ts";

const SCARCE = 5;
const BUYERS = 12;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    products: [
      ...PRODUCTS,
      { id: "sku-rare", name: "Rare print", priceCents: 9900, fulfillmentCenterId: "fc-west", stock: SCARCE },
    ],
  });
});
afterAll(async () => {
  await stack?.close();
});

describe("concurrent orders for a product with little stock", () => {
  it("sell exactly the stock; the rest become backorders with an incident and a Slack alert naming the product", async () => {
    // Every checkout sees stock available (one each); payment then races for the last units.
    const sessions = [];
    for (let i = 0; i < BUYERS; i++)
      sessions.push(
        await stack.checkout(
          [
            { productId: "sku-rare", quantity: 1 },
            { productId: "sku-mug", quantity: 1 },
          ],
          `cus_rare_${i}`,
        ),
      );
    await Promise.all(sessions.map((s) => stack.pay(s.stripeCheckoutSessionId)));
    const orders = await Promise.all(
      sessions.map((s) => stack.waitForStatus(s.paymentSessionId, ["completed", "needs_attention"])),
    );

    const completed = orders.filter((o) => o.status === "completed");
    const backorders = orders.filter((o) => o.status === "needs_attention");
    expect(completed).toHaveLength(SCARCE);
    expect(backorders).toHaveLength(BUYERS - SCARCE);
    const [rare] = await stack.db.select().from(products).where(eq(products.id, "sku-rare"));
    expect(rare!.stock).toBe(0);

    for (const order of backorders) {
      expect(order.incident).toMatchObject({
        step: "update inventory fc-west",
        error: expect.stringContaining("out of stock (backorder): sku-rare wanted 1, 0 left"),
      });
      const [incident] = await incidentsFor(stack.db, order.orderId);
      expect(incident).toMatchObject({ status: "open", step: "update inventory fc-west" });
      // The other center's stock moved; the scarce product did not.
      expect((await movementsFor(stack.db, order.orderId)).map((m) => m.productId)).toEqual(["sku-mug"]);
    }
    await expect
      .poll(() => backorders.every((o) => stack.slack.posts.some((p) => p.text.includes(o.orderId))), {
        timeout: 15_000,
      })
      .toBe(true);
    expect(stack.slack.posts.some((p) => JSON.stringify(p.blocks).includes("sku-rare"))).toBe(true);
  });
});
