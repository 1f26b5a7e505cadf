// The shop's backend: places checkouts and reads a customer's history. One lock: SHOP_API_KEY.
import { Hono } from "hono";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { HistoryCursorSchema, listCustomerHistory } from "../../db/order-history.ts";
import type { StripeGateway } from "../adapters/stripe.ts";
import { CheckoutRequestSchema, isStorableText, MAX_CUSTOMER_ID } from "../domain/checkout-pricing.ts";
import { shipmentViews } from "../../db/shipments.ts";
import { withTracking } from "../domain/order-view.ts";
import { centersOf } from "../domain/shipments.ts";
import type { Logger } from "../log.ts";
import { placeCheckout } from "../place-checkout.ts";
import { cursorCodec } from "./cursor.ts";
import { ApiError } from "./errors.ts";
import { type FailureCounter, JSON_MAX_BYTES, jsonBody, limitBody, requireBearer } from "./middleware.ts";

export type ShopDeps = {
  db: Db;
  stripe: StripeGateway;
  shopApiKey: string;
  publicUrl: string;
  log: Logger;
  /** Wrong keys per client, shared with the admin API and the console's sign-in. */
  tokenFailures: FailureCounter;
};

const PageSchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

const historyCursor = cursorCodec(HistoryCursorSchema);
function decodeCursor(text: string) {
  const position = historyCursor.decode(text);
  if (!position) throw new ApiError("invalid_request", "cursor is not one this API gave");
  return position;
}

export function shopRoutes(deps: ShopDeps) {
  const shop = new Hono();
  const shopKey = requireBearer(deps.shopApiKey, "shop API key", deps.tokenFailures);
  shop.use("/checkout", shopKey);
  shop.use("/customers/*", shopKey);

  shop.post("/checkout", limitBody(JSON_MAX_BYTES), async (c) => {
    const placed = await placeCheckout(deps, await jsonBody(c, CheckoutRequestSchema));
    deps.log.info(
      { paymentSessionId: placed.paymentSessionId, stripeCheckoutSessionId: placed.stripeCheckoutSessionId },
      "checkout created",
    );
    const { amountTotal: _, ...body } = placed;
    return c.json(body, 201);
  });

  shop.get("/customers/:customerId/orders", async (c) => {
    const page = PageSchema.safeParse(c.req.query());
    if (!page.success) throw new ApiError("invalid_request", z.prettifyError(page.error));
    const customerId = c.req.param("customerId");
    if (customerId.length > MAX_CUSTOMER_ID || !isStorableText(customerId))
      throw new ApiError("invalid_request", "not a customer id");
    const { orders, next } = await listCustomerHistory(deps.db, customerId, {
      limit: page.data.limit,
      ...(page.data.cursor && { after: decodeCursor(page.data.cursor) }),
    });
    const tracking = await shipmentViews(
      deps.db,
      orders.map((o) => o.orderId),
    );
    const tracked = orders.map((o) => ({
      ...o,
      ...withTracking(o.shipments, tracking.get(o.orderId) ?? [], centersOf(o.items)),
    }));
    return c.json({ customerId, orders: tracked, nextCursor: next && historyCursor.encode(next) });
  });

  return shop;
}
