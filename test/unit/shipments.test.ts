// The shipment rule, the event schema, the order's fulfillment and the customer's emails: pure.
import { describe, expect, it } from "vitest";
import {
  abandonedEmail,
  confirmationEmail,
  deliveredEmail,
  shippedEmail,
  supportIncidentEmail,
} from "../../src/domain/emails.ts";
import { withTracking } from "../../src/domain/order-view.ts";
import {
  applyEvent,
  CenterEventSchema,
  fulfillmentOf,
  shipmentIncident,
  silentCenterIncident,
  spelledDuration,
  type ShipmentPatch,
} from "../../src/domain/shipments.ts";

const accepted: ShipmentPatch = {
  status: "accepted",
  carrier: null,
  trackingNumber: null,
  trackingUrl: null,
  shippedAt: null,
  deliveredAt: null,
};
const at = (minute: number) => `2026-12-04T10:${String(minute).padStart(2, "0")}:00.000Z`;
const shipped = {
  status: "shipped",
  carrier: "Parcelwise",
  trackingNumber: "PP1",
  trackingUrl: "https://t.example.com/PP1",
  occurredAt: at(1),
} as const;
const delivered = { status: "delivered", occurredAt: at(5) } as const;
const exception = { status: "exception", occurredAt: at(3) } as const;

describe("applyEvent", () => {
  it("moves accepted → shipped → delivered, keeping the tracking a later event leaves out", () => {
    const s = applyEvent(accepted, shipped)!;
    expect(s).toMatchObject({ status: "shipped", trackingNumber: "PP1", shippedAt: at(1), deliveredAt: null });
    expect(applyEvent(s, delivered)).toMatchObject({
      status: "delivered",
      trackingNumber: "PP1",
      shippedAt: at(1),
      deliveredAt: at(5),
    });
  });

  it("changes nothing for a repeat or a late shipped after delivered", () => {
    const s = applyEvent(accepted, shipped)!;
    expect(applyEvent(s, shipped)).toBeUndefined();
    const d = applyEvent(s, delivered)!;
    expect(applyEvent(d, shipped)).toBeUndefined();
    expect(applyEvent(d, delivered)).toBeUndefined();
    expect(applyEvent(d, exception)).toBeUndefined();
  });

  it("counts delivered straight from accepted as shipped too", () => {
    expect(applyEvent(accepted, delivered)).toMatchObject({
      status: "delivered",
      shippedAt: at(5),
      deliveredAt: at(5),
    });
  });

  it("moves to exception from accepted or shipped, and on again when the center recovers", () => {
    const e = applyEvent(accepted, exception)!;
    expect(e.status).toBe("exception");
    expect(applyEvent(e, exception)).toBeUndefined();
    expect(applyEvent(e, shipped)).toMatchObject({ status: "shipped", shippedAt: at(1) });
    const lost = applyEvent(applyEvent(accepted, shipped)!, exception)!;
    expect(lost).toMatchObject({ status: "exception", shippedAt: at(1) });
    expect(applyEvent(lost, delivered)).toMatchObject({ status: "delivered", shippedAt: at(1), deliveredAt: at(5) });
  });
});

describe("CenterEventSchema", () => {
  const valid = {
    eventId: "evt_1",
    orderId: "ps_1",
    status: "shipped",
    trackingUrl: "https://t.example.com/1",
    occurredAt: "2026-12-04T10:00:00+01:00",
  };
  it("takes a well-formed event", () => expect(CenterEventSchema.parse(valid)).toMatchObject(valid));
  it.each([
    ["an http tracking URL", { trackingUrl: "http://t.example.com/1" }],
    ["a javascript: tracking URL", { trackingUrl: "javascript:alert(1)" }],
    ["a time without an offset", { occurredAt: "2026-12-04T10:00:00" }],
    ["an unknown status", { status: "lost" }],
    ["an empty event id", { eventId: "" }],
    ["an event id over 200 characters", { eventId: "e".repeat(201) }],
    ["a carrier over 100 characters", { carrier: "c".repeat(101) }],
    ["a note over 1000 characters", { note: "n".repeat(1001) }],
  ])("refuses %s", (_, change) => expect(CenterEventSchema.safeParse({ ...valid, ...change }).success).toBe(false));
});

describe("fulfillmentOf", () => {
  const s = (centerId: string, status: "accepted" | "shipped" | "delivered" | "exception") => ({ centerId, status });
  it("says where the order's parcels are, counting a center not handed over yet as not shipped", () => {
    expect(fulfillmentOf(["a", "b"], [])).toBe("awaiting_shipment");
    expect(fulfillmentOf(["a", "b"], [s("a", "accepted"), s("b", "exception")])).toBe("awaiting_shipment");
    expect(fulfillmentOf(["a", "b"], [s("a", "shipped")])).toBe("partially_shipped");
    expect(fulfillmentOf(["a", "b"], [s("a", "delivered"), s("b", "accepted")])).toBe("partially_shipped");
    expect(fulfillmentOf(["a", "b"], [s("a", "delivered"), s("b", "shipped")])).toBe("shipped");
    expect(fulfillmentOf(["a", "b"], [s("a", "delivered"), s("b", "delivered")])).toBe("delivered");
    expect(fulfillmentOf(["a", "b"], [s("a", "delivered")])).toBe("partially_shipped");
  });
});

describe("withTracking", () => {
  it("adds each row's tracking to the view's shipments, untracked ones as accepted", () => {
    const records = [
      { centerId: "a", shipmentId: "shp_a", estimatedArrival: "2026-12-06" },
      { centerId: "b", shipmentId: "shp_b", estimatedArrival: null },
    ];
    const rows = [{ ...records[0]!, ...accepted, status: "shipped" as const, trackingNumber: "PP1" }];
    const view = withTracking(records, rows, ["a", "b"]);
    expect(view.fulfillment).toBe("partially_shipped");
    expect(view.shipments).toEqual([
      expect.objectContaining({ centerId: "a", status: "shipped", trackingNumber: "PP1", shipmentId: "shp_a" }),
      expect.objectContaining({ centerId: "b", status: "accepted", trackingNumber: null, shipmentId: "shp_b" }),
    ]);
  });
});

describe("emails", () => {
  it("shipped: one kind per center, subject says shipped, body carries carrier, tracking number and link", () => {
    const mail = shippedEmail("ps_1", {
      centerId: "fc-east",
      carrier: "Parcelwise",
      trackingNumber: "PP1",
      trackingUrl: "https://t.example.com/PP1",
    });
    expect(mail.kind).toBe("shipped:fc-east");
    expect(mail.subject).toMatch(/shipped/);
    expect(mail.subject).toContain("ps_1");
    expect(mail.body).toContain("Parcelwise");
    expect(mail.body).toContain("PP1");
    expect(mail.body).toContain("https://t.example.com/PP1");
  });

  it("shipped by hand: says there is no tracking number", () => {
    expect(
      shippedEmail("ps_1", { centerId: "fc-east", carrier: null, trackingNumber: null, trackingUrl: null }).body,
    ).toContain("no tracking number");
  });

  it("delivered: one per order, subject says delivered", () => {
    expect(deliveredEmail("ps_1")).toMatchObject({ kind: "delivered", subject: expect.stringMatching(/delivered/) });
  });

  it("the confirmation says confirmed, not on its way", () => {
    const order = { id: "ps_1", items: [], amountTotal: 100, currency: "usd" } as unknown as Parameters<
      typeof confirmationEmail
    >[0];
    const mail = confirmationEmail(order, "2026-12-06");
    expect(mail.subject).toContain("confirmed");
    expect(mail.subject).not.toContain("on its way");
  });
});

describe("shipmentIncident", () => {
  it("is named by the event, so a replay opens the same one", () => {
    expect(shipmentIncident("ps_1", "fc-east", "evt_9", "parcel damaged")).toEqual({
      id: "ps_1#fc-east#evt_9",
      step: "shipment fc-east",
      error: "fc-east reported an exception: parcel damaged",
    });
  });
});

describe("a silent center's incident", () => {
  it("says how long the center has been silent, in the largest unit that fits", () => {
    expect(spelledDuration(2 * 86_400_000)).toBe("2 days");
    expect(spelledDuration(86_400_000)).toBe("1 day");
    expect(spelledDuration(90 * 60_000)).toBe("90 minutes");
    expect(spelledDuration(8000)).toBe("8 seconds");
    expect(spelledDuration(1500)).toBe("1500 milliseconds");
  });

  it("is named by when the center's clock started: the same hand-off the same incident, a re-send a new one", () => {
    const first = silentCenterIncident("ps_1", "fc-east", "2026-12-01T10:00:00.000Z", 2 * 86_400_000);
    expect(first).toEqual({
      id: "ps_1#fc-east#silent-2026-12-01T10:00:00.000Z",
      step: "shipment fc-east",
      error: "fc-east has not shipped order ps_1 in 2 days",
    });
    expect(silentCenterIncident("ps_1", "fc-east", "2026-12-01T10:00:00.000Z", 1).id).toBe(first.id);
    expect(silentCenterIncident("ps_1", "fc-east", "2026-12-03T10:00:00.000Z", 1).id).not.toBe(first.id);
  });
});

describe("the emails around an incident", () => {
  const alert = {
    incidentId: "ps_9#1",
    orderId: "ps_9",
    customerId: "cus_9",
    step: "send to fc-north",
    error: "center fc-north answered 422",
    orderUrl: "http://app/orders/ps_9",
    consoleUrl: "http://app/console/orders/ps_9",
    journalCommand: "npx restate invocations describe inv_1",
    openedAt: "2026-12-05T00:00:00.000Z",
  };

  it("tells the support team the order, step, error and where to decide, keyed by the incident", () => {
    const mail = supportIncidentEmail(alert);
    expect(mail.kind).toBe("support:ps_9#1");
    expect(mail.subject).toContain("ps_9");
    expect(mail.subject).toContain("send to fc-north");
    expect(mail.body).toContain("center fc-north answered 422");
    expect(mail.body).toContain("http://app/console/orders/ps_9");
  });

  it("tells the customer of an abandoned order which items a center already has and which not", () => {
    const items = [
      { productId: "a", name: "Mug", quantity: 2, unitPriceCents: 1, fulfillmentCenterId: "fc-east" },
      { productId: "b", name: "Cap", quantity: 1, unitPriceCents: 1, fulfillmentCenterId: "fc-north" },
    ];
    const mail = abandonedEmail({ id: "ps_9", items }, ["fc-east"]);
    expect(mail.kind).toBe("abandoned");
    expect(mail.body).toMatch(/Already handed to our fulfillment center:\n {2}2 x Mug/);
    expect(mail.body).toMatch(/Not sent out:\n {2}1 x Cap/);
    expect(abandonedEmail({ id: "ps_9", items }, []).body).not.toContain("Already handed");
  });
});
