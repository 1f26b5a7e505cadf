// Stripe, through stripe-node: create Checkout Sessions, read them back (with their PaymentIntent
// expanded), re-read what later events are about (PaymentIntents, charges, disputes), verify
// webhooks. The ship-to address Checkout collects is read from `collected_information.shipping_details`.
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
  /** GET /v1/payment_intents/:id: whose order it paid (our metadata) and its latest charge. */
  retrievePaymentIntent(
    id: string,
  ): Promise<{ id: string; paymentSessionId: string | null; latestChargeId: string | null }>;
  /** GET /v1/charges/:id: how much of it is refunded now. */
  retrieveCharge(
    id: string,
  ): Promise<{ id: string; paymentIntentId: string | null; amount: number; amountRefunded: number; currency: string }>;
  /** GET /v1/disputes/:id: where the dispute stands now. */
  retrieveDispute(
    id: string,
  ): Promise<{ id: string; status: string; amount: number; currency: string; reason: string }>;
};

const idOf = (v: string | { id: string } | null | undefined) => (typeof v === "string" ? v : (v?.id ?? null));

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
        // Copied onto the PaymentIntent, so a refund, dispute or review names the order through it.
        payment_intent_data: { metadata: { paymentSessionId: input.paymentSessionId } },
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
        const s = await stripe.checkout.sessions.retrieve(id, { expand: ["payment_intent"] });
        const intent = s.payment_intent;
        return {
          id: s.id,
          status: s.status,
          paymentStatus: s.payment_status,
          amountTotal: s.amount_total,
          currency: s.currency,
          shipTo: shipToFromStripe(s.collected_information?.shipping_details) ?? null,
          payment: intent
            ? {
                paymentIntentId: idOf(intent)!,
                latestChargeId: typeof intent === "string" ? null : idOf(intent.latest_charge),
                livemode: s.livemode,
              }
            : null,
        };
      } catch (err) {
        throw classifyStripeError(err);
      }
    },

    retrievePaymentIntent: (id) =>
      stripe.paymentIntents.retrieve(id).then(
        (pi) => ({
          id: pi.id,
          paymentSessionId: pi.metadata?.paymentSessionId ?? null,
          latestChargeId: idOf(pi.latest_charge),
        }),
        (err) => Promise.reject(classifyStripeError(err)),
      ),
    retrieveCharge: (id) =>
      stripe.charges.retrieve(id).then(
        (c) => ({
          id: c.id,
          paymentIntentId: idOf(c.payment_intent),
          amount: c.amount,
          amountRefunded: c.amount_refunded,
          currency: c.currency,
        }),
        (err) => Promise.reject(classifyStripeError(err)),
      ),
    retrieveDispute: (id) =>
      stripe.disputes.retrieve(id).then(
        (d) => ({ id: d.id, status: d.status, amount: d.amount, currency: d.currency, reason: d.reason }),
        (err) => Promise.reject(classifyStripeError(err)),
      ),
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
