// A shipment is one order's goods at one center. After the hand-off the center reports on it with
// signed events; this module says what such an event looks like and what it does to a shipment.
// Pure: the HTTP door validates with the schema, the Shipments object applies the rule.
import { z } from "zod";

export const SHIPMENT_STATUSES = ["accepted", "shipped", "delivered", "exception"] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/** What a center may report. */
export const CENTER_EVENT_STATUSES = ["shipped", "delivered", "exception"] as const;

const optionalText = (max: number) => z.string().trim().min(1).max(max).optional();

/** The body of POST /webhooks/centers/:centerId, as the center signs it. */
export const CenterEventSchema = z.object({
  eventId: z.string().min(1).max(200),
  orderId: z.string().min(1).max(200),
  status: z.enum(CENTER_EVENT_STATUSES),
  carrier: optionalText(100),
  trackingNumber: optionalText(100),
  // Put into customers' emails as a link: only https, so it can be neither a javascript: nor a
  // cleartext URL.
  trackingUrl: z
    .url({ protocol: /^https$/, error: "must be an https URL" })
    .max(2000)
    .optional(),
  occurredAt: z.iso.datetime({
    offset: true,
    error: "must be an ISO 8601 time with an offset, e.g. 2026-12-04T10:00:00Z",
  }),
  note: optionalText(1000),
});
export type CenterEvent = z.infer<typeof CenterEventSchema>;

/** A shipment as the database keeps it (times as ISO strings: it travels through Restate's journal). */
export type Shipment = {
  orderId: string;
  centerId: string;
  status: ShipmentStatus;
  carrier: string | null;
  trackingNumber: string | null;
  trackingUrl: string | null;
  shippedAt: string | null;
  deliveredAt: string | null;
};

export type ShipmentPatch = Pick<
  Shipment,
  "status" | "carrier" | "trackingNumber" | "trackingUrl" | "shippedAt" | "deliveredAt"
>;

/** What the rule reads from an event (as parsed, or as recorded: absent fields are null there). */
export type EventFacts = {
  status: CenterEvent["status"];
  carrier?: string | null;
  trackingNumber?: string | null;
  trackingUrl?: string | null;
  occurredAt: string;
};

/** What applying an event (or an operator's decision) left: the shipment, its order's fulfillment, who to tell. */
export type ShipmentUpdate = {
  shipment: Shipment;
  /** Whether this event moved the shipment (false: a repeat, or a late event the rule ignores). */
  changed: boolean;
  fulfillment: Fulfillment;
  customer: { id: string; email: string };
};

const RANK: Record<ShipmentStatus, number> = { accepted: 0, exception: 1, shipped: 2, delivered: 3 };

/**
 * What an event does to a shipment, or undefined when it changes nothing. Events come twice and
 * out of order, so the rule only moves forward: accepted → shipped → delivered, and any of the
 * first two → exception. A late `shipped` after `delivered` is a no-op; `delivered` straight from
 * `accepted` also counts as shipped; from `exception`, `shipped` or `delivered` means the center
 * recovered. Tracking details a later event leaves out are kept.
 */
export function applyEvent(current: ShipmentPatch, event: EventFacts): ShipmentPatch | undefined {
  const to = event.status;
  if (
    to === "exception"
      ? current.status !== "accepted" && current.status !== "shipped"
      : RANK[to] <= RANK[current.status]
  )
    return undefined;
  const next: ShipmentPatch = {
    status: to,
    shippedAt: current.shippedAt,
    deliveredAt: current.deliveredAt,
    carrier: event.carrier ?? current.carrier,
    trackingNumber: event.trackingNumber ?? current.trackingNumber,
    trackingUrl: event.trackingUrl ?? current.trackingUrl,
  };
  if (to === "shipped" || to === "delivered") next.shippedAt = current.shippedAt ?? event.occurredAt;
  if (to === "delivered") next.deliveredAt = event.occurredAt;
  return next;
}

/** shipped-or-later: the customer may hear it left. */
export const hasShipped = (status: ShipmentStatus) => status === "shipped" || status === "delivered";

export const FULFILLMENT_STATES = ["awaiting_shipment", "partially_shipped", "shipped", "delivered"] as const;
export type Fulfillment = (typeof FULFILLMENT_STATES)[number];

/** Every center an order ships from, from its items. */
export const centersOf = (items: readonly { fulfillmentCenterId: string }[]) =>
  [...new Set(items.map((i) => i.fulfillmentCenterId))].sort();

/**
 * An order's fulfillment from its shipments. `centerIds` are every center the order ships from, so
 * a center not handed the order yet counts as not shipped.
 */
export function fulfillmentOf(
  centerIds: readonly string[],
  shipments: readonly Pick<Shipment, "centerId" | "status">[],
): Fulfillment {
  const status = (id: string) => shipments.find((s) => s.centerId === id)?.status ?? "accepted";
  const all = [...new Set([...centerIds, ...shipments.map((s) => s.centerId)])].map(status);
  if (all.length > 0 && all.every((s) => s === "delivered")) return "delivered";
  const shipped = all.filter(hasShipped).length;
  if (shipped === 0) return "awaiting_shipment";
  return shipped === all.length ? "shipped" : "partially_shipped";
}

/** The incident an `exception` opens: named by the event, so a replay opens the same one. */
export const shipmentIncident = (
  orderId: string,
  centerId: string,
  eventId: string,
  note: string | undefined | null,
) => ({
  id: `${orderId}#${centerId}#${eventId}`,
  step: `shipment ${centerId}`,
  error: `${centerId} reported an exception: ${note ?? "no note given"}`,
});

const UNITS: [number, string][] = [
  [86_400_000, "day"],
  [3_600_000, "hour"],
  [60_000, "minute"],
  [1000, "second"],
];
/** "2 days", "90 minutes", "8 seconds": the largest unit that divides the duration. */
export function spelledDuration(ms: number): string {
  const [size, unit] = UNITS.find(([size]) => ms >= size && ms % size === 0) ?? [1, "millisecond"];
  const n = ms / size;
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/**
 * The incident a silent center opens: handed the order, not shipped within the deadline. Named by
 * when its clock started, so a replay opens the same one and a re-send's new clock a new one.
 */
export const silentCenterIncident = (orderId: string, centerId: string, handedOffAt: string, deadlineMs: number) => ({
  id: `${orderId}#${centerId}#silent-${handedOffAt}`,
  step: `shipment ${centerId}`,
  error: `${centerId} has not shipped order ${orderId} in ${spelledDuration(deadlineMs)}`,
});
