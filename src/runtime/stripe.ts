// The Stripe gateway both sides use: the services verify payments, the HTTP app creates checkouts.
import { createStripeClient, createStripeGateway } from "../adapters/stripe.ts";
import type { StripeConfig } from "../process-config.ts";

export function createStripe(config: { stripe: StripeConfig; httpTimeoutMs: number }) {
  return createStripeGateway(createStripeClient({ ...config.stripe, timeoutMs: config.httpTimeoutMs }), {
    shipToCountries: config.stripe.shipToCountries,
  });
}
