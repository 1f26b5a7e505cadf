// A local Stripe: the two Checkout Session endpoints postpay uses, on Stripe's wire format
// (api.ts), plus the controls the Stripe CLI/dashboard would give (pay a session, settle an async
// payment, redeliver an event) as methods and over HTTP (control.ts). State and events: state.ts.
import { randomBytes } from "node:crypto";
import { Hono } from "hono";
import type Stripe from "stripe";
import { serveApp } from "../http-server.ts";
import { stripeApi } from "./api.ts";
import { checkoutPageRoutes } from "./checkout-page.ts";
import { emulatorControls } from "./control.ts";
import {
  createEmulatorState,
  type AsyncOutcome,
  type CompleteOptions,
  type Delivery,
  type EmulatedEvent,
  type EmulatedSession,
} from "./state.ts";

export { parseStripeForm } from "./form.ts";
export {
  EmulatorError,
  type AsyncOutcome,
  type CompleteOptions,
  type Delivery,
  type EmulatedEvent,
  type EmulatedSession,
} from "./state.ts";

export type StripeEmulatorOptions = {
  port?: number;
  host?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  secretKey?: string;
};

export type StripeEmulator = {
  url: string;
  secretKey: string;
  webhookSecret: string;
  setWebhookUrl(url: string | undefined): void;
  session(id: string): EmulatedSession | undefined;
  /** How many Checkout Sessions were created (a test's way to see that Stripe was never asked). */
  sessionCount(): number;
  complete(id: string, opts?: CompleteOptions): Promise<Delivery>;
  asyncResult(id: string, outcome: AsyncOutcome): Promise<Delivery>;
  /** The session's time runs out unpaid: checkout.session.expired. */
  expire(id: string): Promise<Delivery>;
  /** Refunds the session's charge, all of it or `amount`: charge.refunded, then refund.created. */
  refund(id: string, amount?: number): Promise<{ refundId: string; deliveries: Delivery[] }>;
  /** The refund fails (the bank could not pay it out): refund.updated; the charge counts it no more. */
  failRefund(refundId: string): Promise<{ refundId: string; delivery: Delivery }>;
  openDispute(id: string, reason?: string): Promise<{ disputeId: string; delivery: Delivery }>;
  closeDispute(disputeId: string, status: "won" | "lost"): Promise<{ disputeId: string; delivery: Delivery }>;
  earlyFraudWarning(id: string, fraudType?: string): Promise<{ warningId: string; delivery: Delivery }>;
  openReview(id: string, reason?: string): Promise<{ reviewId: string; delivery: Delivery }>;
  closeReview(reviewId: string, reason: Stripe.Review.ClosedReason): Promise<{ reviewId: string; delivery: Delivery }>;
  resend(eventId: string): Promise<Delivery>;
  events(): EmulatedEvent[];
  close(): Promise<void>;
};

export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const secretKey = options.secretKey ?? "sk_test_postpay_emulator";
  const webhookSecret = options.webhookSecret ?? `whsec_${randomBytes(24).toString("hex")}`;
  // Sessions link to the hosted page on this server, whose port is known once it listens.
  let baseUrl = "";
  const state = createEmulatorState({
    webhookSecret,
    webhookUrl: options.webhookUrl,
    payPageUrl: (id) => `${baseUrl}/pay/${id}`,
  });
  const app = new Hono()
    .route("/", stripeApi(state, secretKey))
    .route("/", emulatorControls(state))
    .route("/", checkoutPageRoutes(state));
  const server = await serveApp(app, options);
  baseUrl = server.url;

  return {
    url: server.url,
    secretKey,
    webhookSecret,
    setWebhookUrl: state.setWebhookUrl,
    // Copies, so a caller cannot change what the emulator answers.
    session: (id) => {
      const s = state.session(id);
      return s && structuredClone(s);
    },
    sessionCount: state.sessionCount,
    events: () => state.events().map((e) => structuredClone(e)),
    // Thrown synchronously by the state checks, but callers always get a promise.
    complete: async (id, opts) => state.complete(id, opts),
    asyncResult: async (id, outcome) => state.asyncResult(id, outcome),
    expire: async (id) => state.expire(id),
    refund: async (id, amount) => state.payments.refund(id, amount),
    failRefund: async (refundId) => state.payments.failRefund(refundId),
    openDispute: async (id, reason) => state.payments.openDispute(id, reason),
    closeDispute: async (id, status) => state.payments.closeDispute(id, status),
    earlyFraudWarning: async (id, fraudType) => state.payments.earlyFraudWarning(id, fraudType),
    openReview: async (id, reason) => state.payments.openReview(id, reason),
    closeReview: async (id, reason) => state.payments.closeReview(id, reason),
    resend: async (eventId) => state.resend(eventId),
    close: async () => {
      state.close();
      await server.close();
    },
  };
}
