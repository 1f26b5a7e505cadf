// Stripe, through stripe-node: create Checkout Sessions, read them back, verify webhooks.
// Only POST/GET /v1/checkout/sessions are used, so the local emulator can stay small. The ship-to
// address Checkout collects is read from `collected_information.shipping_details`.
import Stripe from "stripe";
import type { CheckoutSessionFacts, LineItemSnapshot } from "../domain/order.ts";
import { shipToFromStripe, type ShipTo } from "../domain/ship-to.ts";
import { upstreamError } from "./http-status.ts";

export type StripeOptions = { secretKey: string; apiBase?: string; timeoutMs: number };

export function createStripeClient({ secretKey, apiBase, timeoutMs }: StripeOptions): Stripe {
  const base = apiBase ? new URL(apiBase) : undefined;
  return new Stripe(secretKey, {
    timeout: timeoutMs,
    // Retries belong to the caller: Restate retries workflow steps, Stripe retries webhooks.
    maxNetworkRetries: 0,
    telemetry: false,
    ...(base && {
      host: base.hostname,
      port: base.port || (base.protocol === "https:" ? 443 : 80),
      protocol: base.protocol === "https:" ? "https" : "http",
    }),
  });
}

export type NewCheckout = {
  paymentSessionId: string;
  customerId: string;
  email: string;
  currency: string;
  items: LineItemSnapshot[];
  successUrl: string;
  cancelUrl: string;
  /** The address the shop gave; without one, Checkout collects it. */
  shipTo?: ShipTo;
};

export type StripeGateway = {
  createCheckoutSession(input: NewCheckout): Promise<{ id: string; url: string | null }>;
  retrieveCheckoutSession(id: string): Promise<CheckoutSessionFacts>;
};

/** Countries Checkout collects a ship-to address for (SHIP_TO_COUNTRIES). */
export type GatewayOptions = { shipToCountries: string[] };

export function createStripeGateway(stripe: Stripe, { shipToCountries }: GatewayOptions): StripeGateway {
  return {
    async createCheckoutSession(input) {
      const params: Stripe.Checkout.SessionCreateParams = {
        mode: "payment",
        client_reference_id: input.paymentSessionId,
        customer_email: input.email,
        metadata: { paymentSessionId: input.paymentSessionId, customerId: input.customerId },
        line_items: input.items.map((item) => ({
          quantity: item.quantity,
          price_data: {
            currency: input.currency,
            unit_amount: item.unitPriceCents,
            product_data: { name: item.name, metadata: { productId: item.productId } },
          },
        })),
        success_url: input.successUrl,
        cancel_url: input.cancelUrl,
        ...(!input.shipTo && {
          shipping_address_collection: {
            allowed_countries:
              shipToCountries as Stripe.Checkout.SessionCreateParams.ShippingAddressCollection.AllowedCountry[],
          },
        }),
      };
      try {
        // Our key, derived from the payment session, so a retried checkout never creates two.
        const session = await stripe.checkout.sessions.create(params, {
          idempotencyKey: `checkout:${input.paymentSessionId}`,
        });
        return { id: session.id, url: session.url };
      } catch (err) {
        throw classifyStripeError(err);
      }
    },

    async retrieveCheckoutSession(id) {
      try {
        const s = await stripe.checkout.sessions.retrieve(id);
        return {
          id: s.id,
          status: s.status,
          paymentStatus: s.payment_status,
          amountTotal: s.amount_total,
          currency: s.currency,
          shipTo: shipToFromStripe(s.collected_information?.shipping_details) ?? null,
        };
      } catch (err) {
        throw classifyStripeError(err);
      }
    },
  };
}

/** Rejections (bad request, unknown id, bad credentials) are permanent; the rest is transient. */
export function classifyStripeError(err: unknown): Error {
  if (err instanceof Stripe.errors.StripeError) {
    return upstreamError(err.statusCode, `Stripe ${err.statusCode ?? err.type}: ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Verifies a webhook's Stripe-Signature (HMAC and 300 s tolerance) and parses the event. */
export function verifyWebhook(payload: string, signature: string, secret: string): Stripe.Event {
  return Stripe.webhooks.constructEvent(payload, signature, secret);
}
