// The payloads that cross versions (services/durable.ts): the view a run writes and the shared
// handlers of a newer deployment read, and the promise values a newer handler completes and an
// older run reads. Each schema must take what this version writes, what earlier versions wrote,
// and what a later version may add, and refuse a payload that lost what readers rely on.
import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import { DecisionOutcomeSchema, PaymentOutcomeSchema, ViewSchema } from "../../services/durable.ts";
import type { RecordedDecision } from "../../src/domain/decision.ts";
import type { OrderView } from "../../src/domain/order-view.ts";

const VIEW: OrderView = {
  orderId: "ps_1",
  customerId: "cus_1",
  status: "needs_attention",
  steps: [
    {
      name: "load payment session",
      status: "done",
      startedAt: "2026-12-01T10:00:00.000Z",
      at: "2026-12-01T10:00:00.010Z",
    },
    { name: "send to fc-east", status: "failed", at: "2026-12-01T10:00:01.000Z", error: "422 closed" },
  ],
  shipments: [{ centerId: "fc-west", shipmentId: "sh_1", estimatedArrival: "2026-12-04" }],
  estimatedArrival: null,
  incident: { id: "ps_1#1", step: "send to fc-east", error: "422 closed" },
  invocationId: "inv_1",
};
const DECISION: RecordedDecision = {
  action: "retry",
  note: null,
  decidedBy: "admin",
  via: "console",
  decidedAt: "2026-12-01T11:00:00.000Z",
};
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe("the view the shared handlers read", () => {
  it("takes the view this version writes, as it was written", () => {
    expect(ViewSchema.parse(VIEW)).toEqual(VIEW);
  });

  it("takes a view written by an earlier version (no startedAt, no shape version)", () => {
    const steps = VIEW.steps.map(({ startedAt: _, ...step }) => step);
    expect(ViewSchema.safeParse({ ...VIEW, steps }).success).toBe(true);
  });

  it("keeps a field a later version added, and its shape version", () => {
    const later = { ...VIEW, v: 2, fulfillment: "awaiting_shipment" };
    expect(ViewSchema.parse(later)).toMatchObject({ v: 2, fulfillment: "awaiting_shipment" });
  });

  it("refuses a view without what the resolve handler relies on (the open incident)", () => {
    const { incident: _, ...lost } = VIEW;
    expect(ViewSchema.safeParse(lost).success).toBe(false);
  });
});

describe("the promise values an older run reads", () => {
  const decision = restate.serde.schema(DecisionOutcomeSchema);
  const payment = restate.serde.schema(PaymentOutcomeSchema);

  it("reads a decision as this version completes it", () => {
    expect(decision.deserialize(bytes(DECISION))).toEqual(DECISION);
  });

  it("reads a decision a later version completed with more fields, acting on the action", () => {
    expect(decision.deserialize(bytes({ ...DECISION, v: 2, operatorTeam: "eu" }))).toMatchObject({ action: "retry" });
  });

  it("refuses a decision whose action it does not know, rather than treating it as a retry", () => {
    expect(() => decision.deserialize(bytes({ ...DECISION, action: "refund" }))).toThrow(/action/);
  });

  it("reads an async payment outcome with or without fields a later version adds", () => {
    const event = { outcome: "succeeded", eventId: "evt_1" };
    expect(payment.deserialize(bytes(event))).toEqual(event);
    expect(payment.deserialize(bytes({ ...event, v: 2, paymentIntentId: "pi_1" }))).toMatchObject(event);
  });
});
