// A Stripe-Signature header, made as Stripe makes it: the emulator signs its events with it, and
// tests sign the payloads they forge, replay or let go stale.
import Stripe from "stripe";

export function signWebhook(payload: string, secret: string, timestamp?: number): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp && { timestamp }) });
}
