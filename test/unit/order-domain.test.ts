import { describe, expect, it } from "vitest";
import {
  addDays,
  checkPayment,
  estimatedArrival,
  groupByCenter,
  headStartVerdict,
  OrderStartSchema,
  type Center,
  type LineItemSnapshot,
} from "../../src/domain/order.ts";

const center = (id: string, leadTimeDays = 2): Center => ({ id, name: id, orderUrl: `http://x/${id}`, leadTimeDays });
const item = (productId: string, fulfillmentCenterId: string, quantity = 1): LineItemSnapshot => ({
  productId,
  name: productId,
  quantity,
  unitPriceCents: 100,
  fulfillmentCenterId,
});

describe("groupByCenter", () => {
  it("groups items by center, centers and products in a stable order", () => {
    const groups = groupByCenter(
      [item("b", "fc-west"), item("z", "fc-east"), item("a", "fc-east")],
      [center("fc-west"), center("fc-east")],
    );
    expect(groups.map((g) => [g.center.id, g.items.map((i) => i.productId)])).toEqual([
      ["fc-east", ["a", "z"]],
      ["fc-west", ["b"]],
    ]);
  });

  it("refuses an item whose center is unknown", () => {
    expect(() => groupByCenter([item("a", "fc-gone")], [center("fc-east")])).toThrow(/unknown center fc-gone/);
  });
});

describe("estimatedArrival", () => {
  const t0 = Date.parse("2026-12-30T12:00:00Z");

  it("is the latest date any center gave", () => {
    const shipments = [
      { centerId: "a", shipmentId: "s1", estimatedArrival: "2027-01-02" },
      { centerId: "b", shipmentId: "s2", estimatedArrival: "2027-01-05" },
    ];
    expect(estimatedArrival(shipments, [center("a"), center("b")], t0)).toBe("2027-01-05");
  });

  it("uses the lead time for a center settled by hand", () => {
    const shipments = [
      { centerId: "a", shipmentId: "s1", estimatedArrival: "2027-01-01" },
      { centerId: "b", shipmentId: null, estimatedArrival: null },
    ];
    expect(estimatedArrival(shipments, [center("a"), center("b", 7)], t0)).toBe(addDays(t0, 7));
    expect(addDays(t0, 7)).toBe("2027-01-06");
  });
});

describe("checkPayment", () => {
  const expected = { amountTotal: 4200, currency: "usd" };
  const session = { id: "cs_1", status: "complete", paymentStatus: "paid", amountTotal: 4200, currency: "usd" };

  it("accepts a paid session with the quoted amount and currency", () => {
    expect(checkPayment(expected, session)).toEqual({ outcome: "paid" });
  });

  it("flags a paid session whose amount differs", () => {
    expect(checkPayment(expected, { ...session, amountTotal: 4100 })).toMatchObject({ outcome: "mismatch" });
  });

  it("flags a paid session whose currency differs", () => {
    const result = checkPayment(expected, { ...session, currency: "eur" });
    expect(result).toMatchObject({ outcome: "mismatch" });
    expect(result.outcome === "mismatch" && result.reason).toContain("eur");
  });

  it("waits on a completed session that is not paid yet (async payment methods)", () => {
    expect(checkPayment(expected, { ...session, paymentStatus: "unpaid" })).toEqual({ outcome: "pending" });
  });

  it("says an expired unpaid session expired: the order ends expired, with no payment-problem email", () => {
    expect(checkPayment(expected, { ...session, status: "expired", paymentStatus: "unpaid" })).toEqual({
      outcome: "expired",
    });
  });
});

describe("the start hint", () => {
  const payment = { stripeCheckoutSessionId: "cs_1", amountTotal: 4200, currency: "usd" };

  it("is read from the webhook's input", () => {
    expect(OrderStartSchema.parse({ payment })).toEqual({ payment });
  });

  it("is no hint when the input is anything else, or nothing", () => {
    for (const input of [
      undefined,
      null,
      "x",
      3,
      {},
      { payment: "free please" },
      { payment: { ...payment, amountTotal: 1.5 } },
    ]) {
      expect(OrderStartSchema.parse(input)).toEqual({});
    }
  });
});

describe("headStartVerdict", () => {
  const order = { id: "ps_1", stripeCheckoutSessionId: "cs_1", amountTotal: 4200, currency: "usd" };
  const hint = { stripeCheckoutSessionId: "cs_1", amountTotal: 4200, currency: "usd" };

  it("counts Stripe's head-start answer about the order's own checkout and total", () => {
    expect(headStartVerdict(order, hint, { outcome: "paid" })).toEqual({ outcome: "paid" });
    expect(headStartVerdict(order, hint, { outcome: "pending" })).toEqual({ outcome: "pending" });
    expect(headStartVerdict(order, hint, { outcome: "failed", reason: "expired" })).toEqual({
      outcome: "failed",
      reason: "expired",
    });
  });

  it("ignores an answer about another checkout, total or currency: the hint is not trusted", () => {
    expect(
      headStartVerdict(order, { ...hint, stripeCheckoutSessionId: "cs_somebody_elses" }, { outcome: "paid" }),
    ).toBeUndefined();
    expect(headStartVerdict(order, { ...hint, amountTotal: 1 }, { outcome: "paid" })).toBeUndefined();
    expect(headStartVerdict(order, { ...hint, currency: "eur" }, { outcome: "paid" })).toBeUndefined();
  });

  it("leaves a mismatch to the step proper, which takes it to an operator", () => {
    expect(headStartVerdict(order, hint, { outcome: "mismatch", reason: "Stripe charged 999 eur" })).toBeUndefined();
  });

  it("has nothing without a hint or when the head start failed", () => {
    expect(headStartVerdict(order, undefined, { outcome: "paid" })).toBeUndefined();
    expect(headStartVerdict(order, hint, undefined)).toBeUndefined();
  });
});
