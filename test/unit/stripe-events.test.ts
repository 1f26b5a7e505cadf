import { describe, expect, it } from "vitest";
import { intentOf } from "../../src/domain/stripe-events.ts";

const session = { id: "cs_1", client_reference_id: "ps_1", metadata: { paymentSessionId: "ps_1" } };

describe("which Stripe events move an order", () => {
  it("starts the workflow on checkout.session.completed", () => {
    expect(intentOf({ type: "checkout.session.completed", data: { object: session } })).toEqual({
      kind: "start",
      paymentSessionId: "ps_1",
      checkoutSessionId: "cs_1",
    });
  });

  it("carries the outcome of async payments", () => {
    expect(intentOf({ type: "checkout.session.async_payment_succeeded", data: { object: session } })).toMatchObject({
      asyncOutcome: "succeeded",
    });
    expect(intentOf({ type: "checkout.session.async_payment_failed", data: { object: session } })).toMatchObject({
      asyncOutcome: "failed",
    });
  });

  it("falls back to metadata when client_reference_id is missing", () => {
    const { client_reference_id: _, ...bare } = session;
    expect(intentOf({ type: "checkout.session.completed", data: { object: bare } })).toMatchObject({
      paymentSessionId: "ps_1",
    });
  });

  it("ignores other event types and sessions that are not postpay's", () => {
    expect(intentOf({ type: "invoice.paid", data: { object: session } }).kind).toBe("ignore");
    expect(intentOf({ type: "checkout.session.completed", data: { object: { id: "cs_2" } } }).kind).toBe("ignore");
  });
});

describe("a card payment's checkout.session.completed", () => {
  it("says the session was paid on completion, so a run that started before the payment can hear it", () => {
    expect(
      intentOf({ type: "checkout.session.completed", data: { object: { ...session, payment_status: "paid" } } }),
    ).toMatchObject({ paidOnCompletion: true });
    expect(
      intentOf({ type: "checkout.session.completed", data: { object: { ...session, payment_status: "unpaid" } } }),
    ).not.toHaveProperty("paidOnCompletion");
    expect(
      intentOf({
        type: "checkout.session.async_payment_succeeded",
        data: { object: { ...session, payment_status: "paid" } },
      }),
    ).not.toHaveProperty("paidOnCompletion");
  });
});
