// What the emulator's parts share: the Checkout Session as it keeps it (typed by stripe-node), the
// error a control call answers with, and Stripe-like ids.
import { randomBytes } from "node:crypto";
import type Stripe from "stripe";

/** The Checkout Session fields the emulator keeps, typed by stripe-node so they match Stripe's. */
export type EmulatedSession = Pick<
  Stripe.Checkout.Session,
  | "id"
  | "object"
  | "mode"
  | "status"
  | "payment_status"
  | "amount_subtotal"
  | "amount_total"
  | "currency"
  | "client_reference_id"
  | "customer_email"
  | "metadata"
  | "success_url"
  | "cancel_url"
  | "url"
  | "payment_intent"
  | "created"
  | "expires_at"
  | "livemode"
  | "shipping_address_collection"
  | "collected_information"
>;

/** A control call that cannot proceed; `status` is what the HTTP control endpoint answers. */
export class EmulatorError extends Error {
  override name = "EmulatorError";
  readonly status: 400 | 404 | 409;
  constructor(status: 400 | 404 | 409, message: string) {
    super(message);
    this.status = status;
  }
}

const ALNUM = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const randomId = (prefix: string, length = 24) =>
  prefix + Array.from(randomBytes(length), (b) => ALNUM[b % ALNUM.length]).join("");
