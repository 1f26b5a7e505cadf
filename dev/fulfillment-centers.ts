// Local fulfillment centers: one HTTP server, one order endpoint per center, behaving like a real
// idempotent order API (same Idempotency-Key → same shipment). Tests script faults per center.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Hono } from "hono";
import { z } from "zod";
import { FulfillmentOrderSchema, type FulfillmentOrder } from "../src/adapters/fulfillment-center.ts";
import { centerControlsPage, type ScriptedResponse } from "./center-controls-page.ts";
import { centerEvents, type EventDelivery, type EventRequest } from "./center-events.ts";
import { serveApp } from "./http-server.ts";

export type CenterConfig = { id: string; leadTimeDays: number };

/**
 * A queued one-shot answer. A 2xx without `body` is handled normally after `delayMs` (a slow center
 * that still takes the order, even if the caller gave up); anything else is answered as given.
 */
export type { ScriptedResponse };

/** An order as a center receives it: the wire format postpay's adapter sends, one schema for both. */
export type CenterOrder = FulfillmentOrder;

export type AcceptedOrder = {
  idempotencyKey: string;
  centerId: string;
  order: CenterOrder;
  shipmentId: string;
  estimatedArrival: string;
  acceptedAt: string;
};

export type FulfillmentCentersOptions = {
  port?: number;
  host?: string;
  centers: CenterConfig[];
  today?: () => Date;
  /** Per center, the secret it signs its shipment events with (postpay's CENTER_WEBHOOK_SECRETS). */
  eventSecrets?: Readonly<Record<string, string>>;
};

export type FulfillmentCenters = {
  url: string;
  orderUrl(centerId: string): string;
  script(centerId: string, responses: ScriptedResponse[]): void;
  accepted(): AcceptedOrder[];
  deliveries(): number;
  deliveriesFor(idempotencyKey: string): number;
  /** Where shipment events go: postpay's base URL. */
  setAppUrl(url: string): void;
  /** Signs and sends a shipment event as that center (dev/center-events.ts). */
  sendEvent(centerId: string, event: EventRequest): Promise<EventDelivery>;
  close(): Promise<void>;
};

const ScriptSchema = z.array(
  z.object({
    status: z.number().int().min(200).max(599),
    body: z.unknown().optional(),
    delayMs: z.number().int().nonnegative().optional(),
  }),
);

// Key order must not make two equal orders look different.
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

const isoDay = (d: Date, plusDays: number) =>
  new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + plusDays)).toISOString().slice(0, 10);

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response([204, 205, 304].includes(status) ? null : typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers: { "content-type": typeof body === "string" ? "text/plain" : "application/json", ...headers },
  });
const error = (status: number, code: string, message: string) => json(status, { error: { code, message } });

export async function startFulfillmentCenters(options: FulfillmentCentersOptions): Promise<FulfillmentCenters> {
  const centers = new Map(options.centers.map((c) => [c.id, c]));
  const today = options.today ?? (() => new Date());
  const scripts = new Map<string, ScriptedResponse[]>();
  const stored = new Map<string, { request: string; status: number; body: string; accepted: AcceptedOrder }>();
  const counts = new Map<string, number>();
  let total = 0;
  const closing = new AbortController();

  const script = (centerId: string, responses: ScriptedResponse[]) => {
    if (!centers.has(centerId)) throw new Error(`unknown fulfillment center ${centerId}`);
    scripts.set(centerId, [...(scripts.get(centerId) ?? []), ...ScriptSchema.parse(responses)]);
  };

  const accept = (key: string, request: string, order: CenterOrder, center: CenterConfig) => {
    const accepted: AcceptedOrder = {
      idempotencyKey: key,
      centerId: center.id,
      order,
      shipmentId: `shp_${randomBytes(12).toString("hex")}`,
      estimatedArrival: isoDay(today(), center.leadTimeDays),
      acceptedAt: new Date().toISOString(),
    };
    const body = JSON.stringify({ shipmentId: accepted.shipmentId, estimatedArrival: accepted.estimatedArrival });
    stored.set(key, { request, status: 201, body, accepted });
    return json(201, body, { "content-type": "application/json" });
  };

  const app = new Hono();

  app.post("/centers/:centerId/orders", async (c) => {
    const key = c.req.header("idempotency-key") ?? "";
    total += 1;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const center = centers.get(c.req.param("centerId"));
    if (!center) return error(404, "unknown_center", `no fulfillment center ${c.req.param("centerId")}`);
    const text = await c.req.text();

    const scripted = scripts.get(center.id)?.shift();
    if (scripted?.delayMs) {
      // A hang the caller must time out on; close() cuts it short so tests never wait for it.
      await sleep(scripted.delayMs, undefined, { signal: closing.signal }).catch(() => undefined);
      if (closing.signal.aborted) return error(503, "shutting_down", "fulfillment center stand-in closed");
    }
    const handleNormally = !scripted || (scripted.status < 300 && scripted.body === undefined);
    if (!handleNormally)
      return json(
        scripted.status,
        scripted.body ?? { error: { code: "scripted", message: `scripted ${scripted.status}` } },
      );

    if (!key) return error(400, "missing_idempotency_key", "Idempotency-Key header is required");
    let parsed: ReturnType<typeof FulfillmentOrderSchema.safeParse>;
    try {
      parsed = FulfillmentOrderSchema.safeParse(JSON.parse(text));
    } catch {
      return error(400, "invalid_json", "body is not JSON");
    }
    if (!parsed.success) return error(400, "invalid_order", z.prettifyError(parsed.error));
    const order = parsed.data;
    if (order.centerId !== center.id)
      return error(400, "wrong_center", `order is for ${order.centerId}, this is ${center.id}`);
    // The contract fixes the key's shape; a different one means the caller derives it wrongly
    // (spelled out here rather than taken from the adapter, so the adapter's key is checked).
    if (key !== `${order.orderId}:${order.centerId}`) {
      return error(
        400,
        "invalid_idempotency_key",
        `Idempotency-Key must be "${order.orderId}:${order.centerId}", got "${key}"`,
      );
    }

    const request = canonical(order);
    const prior = stored.get(key);
    if (prior && prior.request !== request) {
      return error(422, "idempotency_key_reused", `Idempotency-Key ${key} was first used with a different order`);
    }
    if (prior)
      return json(prior.status, prior.body, { "content-type": "application/json", "idempotent-replayed": "true" });
    return accept(key, request, order, center);
  });

  app.get("/_control/accepted", (c) => c.json([...stored.values()].map((s) => s.accepted)));
  app.get("/_control/deliveries", (c) => c.json({ total, byKey: Object.fromEntries(counts) }));
  app.post("/_control/centers/:id/script", async (c) => {
    const body = z.object({ responses: ScriptSchema }).safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) return error(400, "invalid_script", z.prettifyError(body.error));
    if (!centers.has(c.req.param("id")))
      return error(404, "unknown_center", `no fulfillment center ${c.req.param("id")}`);
    script(c.req.param("id"), body.data.responses);
    return c.json({ queued: scripts.get(c.req.param("id"))?.length ?? 0 });
  });

  const events = centerEvents({ secrets: options.eventSecrets ?? {} });
  app.route("/", events.routes);
  const acceptedAt = (centerId: string) =>
    [...stored.values()].filter((s) => s.accepted.centerId === centerId).map((s) => s.accepted.order.orderId);
  app.route(
    "/",
    centerControlsPage({
      ids: [...centers.keys()],
      script,
      clear: (id) => void scripts.delete(id),
      queued: (id) => scripts.get(id)?.length ?? 0,
      events,
      ordersAt: acceptedAt,
    }),
  );

  const server = await serveApp(app, options);
  return {
    url: server.url,
    orderUrl: (centerId) => `${server.url}/centers/${encodeURIComponent(centerId)}/orders`,
    script,
    accepted: () => [...stored.values()].map((s) => structuredClone(s.accepted)),
    deliveries: () => total,
    deliveriesFor: (key) => counts.get(key) ?? 0,
    setAppUrl: events.setAppUrl,
    sendEvent: events.send,
    close: () => {
      closing.abort();
      return server.close();
    },
  };
}
