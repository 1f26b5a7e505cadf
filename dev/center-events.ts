// The stand-in centers' side of shipment events: like a real center, each signs its events with its
// own secret (Postpay-Signature) and POSTs them to postpay's POST /webhooks/centers/:centerId.
// Carriers and tracking numbers are made up, stable per shipment; tracking URLs are https.
// Driven by tests and the demo through POST /_control/centers/:id/events, or the centers' page.
import { randomBytes, randomUUID } from "node:crypto";
import { Hono } from "hono";
import { z } from "zod";
import { signCenterEvent } from "../src/adapters/center-signature.ts";
import { CENTER_EVENT_STATUSES, type CenterEvent } from "../src/domain/shipments.ts";

export const EventRequestSchema = z.object({
  orderId: z.string().min(1),
  status: z.enum(CENTER_EVENT_STATUSES),
  /** Give one to send the same event again (a redelivery); a new one otherwise. */
  eventId: z.string().min(1).optional(),
  note: z.string().optional(),
  occurredAt: z.string().optional(),
  carrier: z.string().optional(),
  trackingNumber: z.string().optional(),
  trackingUrl: z.string().optional(),
});
export type EventRequest = z.infer<typeof EventRequestSchema>;

/** What postpay answered (status 0: it could not be reached), and the event as it was sent. */
export type EventDelivery = { status: number; body: unknown; event: CenterEvent };

const CARRIERS = ["Parcelwise", "Northline Freight", "Swift Courier"];

export function centerEvents(options: { secrets: Readonly<Record<string, string>> }) {
  let appUrl: string | undefined;
  const tracking = new Map<string, { carrier: string; trackingNumber: string; trackingUrl: string }>();

  /** A made-up parcel per (order, center), the same for every event about it. */
  function parcel(orderId: string, centerId: string) {
    const key = `${orderId}:${centerId}`;
    if (!tracking.has(key)) {
      const trackingNumber = `PP${randomBytes(6).toString("hex").toUpperCase()}`;
      const carrier = CARRIERS[trackingNumber.charCodeAt(2) % CARRIERS.length]!;
      tracking.set(key, { carrier, trackingNumber, trackingUrl: `https://tracking.example.com/${trackingNumber}` });
    }
    return tracking.get(key)!;
  }

  /** Signs and sends one event as center `centerId` would (with its secret, now). */
  async function send(centerId: string, request: EventRequest): Promise<EventDelivery> {
    if (!appUrl) throw new Error("the centers do not know postpay's URL yet (setAppUrl)");
    const secret = options.secrets[centerId];
    if (!secret) throw new Error(`center ${centerId} has no webhook secret`);
    const { eventId, occurredAt, ...rest } = request;
    const event = {
      eventId: eventId ?? `evt_${randomUUID()}`,
      occurredAt: occurredAt ?? new Date().toISOString(),
      ...(request.status !== "exception" && parcel(request.orderId, centerId)),
      ...rest,
    } as CenterEvent;
    const body = JSON.stringify(event);
    try {
      const res = await fetch(`${appUrl}/webhooks/centers/${encodeURIComponent(centerId)}`, {
        method: "POST",
        headers: { "content-type": "application/json", "postpay-signature": signCenterEvent(body, secret) },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      return { status: res.status, body: text ? safeJson(text) : undefined, event };
    } catch (err) {
      // postpay down or restarting: reported as the Stripe emulator reports it (status 0), for the sender to retry.
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      return { status: 0, body: `unreachable: ${cause}`, event };
    }
  }

  const routes = new Hono();
  routes.post("/_control/centers/:id/events", async (c) => {
    const centerId = c.req.param("id");
    if (!options.secrets[centerId])
      return c.json({ error: { code: "unknown_center", message: `no center ${centerId} with a webhook secret` } }, 404);
    const parsed = EventRequestSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success)
      return c.json({ error: { code: "invalid_event", message: z.prettifyError(parsed.error) } }, 400);
    return c.json(await send(centerId, parsed.data));
  });

  return {
    routes,
    send,
    canSend: (centerId: string) => Boolean(options.secrets[centerId]),
    setAppUrl: (url: string) => {
      appUrl = url.replace(/\/+$/, "");
    },
  };
}
export type CenterEvents = ReturnType<typeof centerEvents>;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
