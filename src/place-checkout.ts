// Placing a checkout: price the cart from the catalog, create the Stripe Checkout Session, store
// the payment session with its snapshot. Used by POST /checkout and the benchmark.
import { randomUUID } from "node:crypto";
import type { Db } from "../db/client.ts";
import { findProducts } from "../db/catalog.ts";
import { insertPaymentSession } from "../db/sessions.ts";
import type { StripeGateway } from "./adapters/stripe.ts";
import { priceCheckout, type CheckoutRequest } from "./domain/checkout-pricing.ts";
import { PermanentError } from "./domain/errors.ts";

export class StripeUnavailableError extends Error {
  override name = "StripeUnavailableError";
}

/** Stripe refused the Checkout Session (a bad email, an amount below its minimum, …). */
export class PaymentRejectedError extends Error {
  override name = "PaymentRejectedError";
}

export type PlacedCheckout = {
  paymentSessionId: string;
  stripeCheckoutSessionId: string;
  url: string | null;
  amountTotal: number;
};

export async function placeCheckout(
  deps: { db: Db; stripe: StripeGateway; publicUrl: string },
  request: CheckoutRequest,
): Promise<PlacedCheckout> {
  const catalog = await findProducts(deps.db, [...new Set(request.items.map((i) => i.productId))]);
  const priced = priceCheckout(request, catalog);
  const id = `ps_${randomUUID().replaceAll("-", "")}`;
  // Stripe first, then one insert. If the insert fails, the Checkout Session is orphaned but
  // harmless: nobody has its URL, so it can never be paid, and it expires.
  const checkout = await deps.stripe
    .createCheckoutSession({
      paymentSessionId: id,
      customerId: request.customerId,
      email: request.email,
      currency: priced.currency,
      items: priced.items,
      successUrl: `${deps.publicUrl}/orders/${id}`,
      cancelUrl: `${deps.publicUrl}/orders/${id}?checkout=cancelled`,
      ...(request.shipTo && { shipTo: request.shipTo }),
    })
    .catch((err: Error) => {
      // The upstream's words stay in `cause` (logged), never in what the client reads.
      if (err instanceof PermanentError)
        throw new PaymentRejectedError("the payment provider did not accept this checkout", { cause: err });
      throw new StripeUnavailableError("the payment provider is not answering; try again shortly", { cause: err });
    });
  await insertPaymentSession(deps.db, {
    id,
    customerId: request.customerId,
    email: request.email,
    ...priced,
    stripeCheckoutSessionId: checkout.id,
    checkoutUrl: checkout.url,
    shipTo: request.shipTo ?? null,
  });
  return {
    paymentSessionId: id,
    stripeCheckoutSessionId: checkout.id,
    url: checkout.url,
    amountTotal: priced.amountTotal,
  };
}
