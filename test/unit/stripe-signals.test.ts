import { describe, expect, it } from "vitest";
import { intentOf } from "../../src/domain/stripe-events.ts";
import {
  gateVerdict,
  HandOffHold,
  refundAfterHandOffIncident,
  signalOf,
  stripeDashboardUrl,
  type RecordedSignal,
} from "../../src/domain/stripe-signals.ts";

let n = 0;
const signal = (s: Pick<RecordedSignal, "type"> & Partial<RecordedSignal>): RecordedSignal => ({
  objectId: "obj_1",
  paymentIntentId: "pi_1",
  chargeId: "ch_1",
  amount: null,
  currency: "usd",
  reason: null,
  status: null,
  livemode: false,
  chargeAmount: null,
  amountRefunded: null,
  afterHandOff: false,
  eventId: `evt_${++n}`,
  orderId: "ps_1",
  receivedAt: new Date(n * 1000).toISOString(),
  ...s,
});
const refund = (amountRefunded: number, more: Partial<RecordedSignal> = {}) =>
  signal({ type: "charge.refunded", chargeAmount: 2500, amountRefunded, ...more });

describe("the hand-off gate's rule", () => {
  it("lets an order with nothing recorded go", () => {
    expect(gateVerdict([])).toEqual({ verdict: "go" });
  });

  it("stops a fully refunded order, even when an operator said ship anyway", () => {
    expect(gateVerdict([refund(2500)])).toMatchObject({ verdict: "refunded", amountRefunded: 2500 });
    expect(gateVerdict([refund(2500)], { shipAnyway: true })).toMatchObject({ verdict: "refunded" });
  });

  it("takes the latest re-read of the charge: two partial refunds that add up are a full refund", () => {
    expect(gateVerdict([refund(1000), refund(2500)])).toMatchObject({ verdict: "refunded" });
  });

  it("holds a partially refunded order for a person, unless they said ship anyway", () => {
    expect(() => gateVerdict([refund(1000)])).toThrow(HandOffHold);
    expect(() => gateVerdict([refund(1000)])).toThrow(
      /partially refunded in Stripe before the hand-off: 10.00 USD of 25.00 USD/,
    );
    expect(gateVerdict([refund(1000)], { shipAnyway: true })).toEqual({ verdict: "go" });
  });

  it("holds an order with an early fraud warning", () => {
    const warning = signal({ type: "radar.early_fraud_warning.created", reason: "made_with_stolen_card" });
    expect(() => gateVerdict([warning])).toThrow(/early fraud warning \(made_with_stolen_card\)/);
    expect(gateVerdict([warning], { shipAnyway: true })).toEqual({ verdict: "go" });
  });

  it("waits for an open review; approved lets it go, another close reason holds it; in either arrival order", () => {
    const opened = signal({ type: "review.opened", objectId: "prv_1", reason: "rule" });
    expect(gateVerdict([opened])).toEqual({ verdict: "review", reviewId: "prv_1" });
    const approved = signal({ type: "review.closed", objectId: "prv_1", reason: "approved" });
    expect(gateVerdict([opened, approved])).toEqual({ verdict: "go" });
    expect(gateVerdict([approved, opened])).toEqual({ verdict: "go" });
    const fraud = signal({ type: "review.closed", objectId: "prv_1", reason: "refunded_as_fraud" });
    expect(() => gateVerdict([fraud, opened])).toThrow(/Radar review prv_1 closed as refunded_as_fraud/);
  });

  it("ignores what was recorded after the hand-off, and disputes (news, not a hold)", () => {
    expect(gateVerdict([refund(2500, { afterHandOff: true })])).toEqual({ verdict: "go" });
    expect(gateVerdict([signal({ type: "charge.dispute.created", reason: "fraudulent" })])).toEqual({ verdict: "go" });
  });
});

describe("Stripe's events after checkout", () => {
  it("keep the ids that lead to the order and the facts operators read", () => {
    const dispute = signalOf({
      type: "charge.dispute.created",
      data: {
        object: {
          id: "dp_1",
          charge: "ch_1",
          payment_intent: "pi_1",
          amount: 2500,
          currency: "usd",
          reason: "fraudulent",
          status: "needs_response",
        },
      },
    });
    expect(dispute).toMatchObject({
      objectId: "dp_1",
      paymentIntentId: "pi_1",
      chargeId: "ch_1",
      amount: 2500,
      reason: "fraudulent",
    });
    const refunded = signalOf({
      type: "charge.refunded",
      data: { object: { id: "ch_1", payment_intent: { id: "pi_1" }, amount_refunded: 700 } },
    });
    expect(refunded).toMatchObject({ objectId: "ch_1", chargeId: "ch_1", paymentIntentId: "pi_1", amount: 700 });
    const closed = signalOf({
      type: "review.closed",
      data: { object: { id: "prv_1", open: false, reason: "approved", closed_reason: "approved" } },
    });
    expect(closed).toMatchObject({ reason: "approved", status: "closed" });
    expect(signalOf({ type: "invoice.paid", data: { object: { id: "in_1" } } })).toBeUndefined();
  });

  it("checkout.session.expired is an expiry of the order it names", () => {
    const session = { id: "cs_1", client_reference_id: "ps_1" };
    expect(intentOf({ type: "checkout.session.expired", data: { object: session } })).toEqual({
      kind: "expire",
      paymentSessionId: "ps_1",
      checkoutSessionId: "cs_1",
    });
  });

  it("name one incident per center and refunded amount: charge.refunded and refund.created for one refund agree", () => {
    const a = refundAfterHandOffIncident("ps_1", "fc-east", refund(2500));
    expect(a).toEqual(refundAfterHandOffIncident("ps_1", "fc-east", refund(2500, { type: "refund.created" })));
    expect(a.error).toMatch(/^refunded in Stripe after fc-east has the order — cancel at the center\?/);
    expect(stripeDashboardUrl("pi_1", false)).toBe("https://dashboard.stripe.com/test/payments/pi_1");
    expect(stripeDashboardUrl("pi_1", true)).toBe("https://dashboard.stripe.com/payments/pi_1");
  });
});
