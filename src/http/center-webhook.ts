// The fulfillment centers' door: POST /webhooks/centers/:centerId, shipment events signed with
// that center's own secret (CENTER_WEBHOOK_SECRETS). Verify the signature on the raw body, parse,
// check the order really has a shipment handed to that center, RECORD the event, and only then
// tell the order's Shipments object, which acts only on what is recorded. 200 once Restate
// durably accepted it; 503 (Retry-After) when it cannot, and the center sends it again.
import { Hono } from "hono";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { recordShipmentEvent, shipmentTarget } from "../../db/shipments.ts";
import { verifyCenterSignature, SIGNATURE_HEADER } from "../adapters/center-signature.ts";
import type { ShipmentClient } from "../adapters/restate-ingress.ts";
import { CenterEventSchema } from "../domain/shipments.ts";
import type { Logger } from "../log.ts";
import { ApiError } from "./errors.ts";
import { limitBody, signatureFirst, type RateLimit } from "./middleware.ts";

/** A shipment event is a few hundred bytes. */
export const CENTER_EVENT_MAX_BYTES = 16 * 1024;

export type CenterWebhookDeps = {
  db: Db;
  shipments: ShipmentClient;
  /** Per center id, the secret its events are signed with; a center without one has no route. */
  centerSecrets: Readonly<Record<string, string>>;
  log: Logger;
  rateLimit: RateLimit;
};

export function centerWebhookRoutes(deps: CenterWebhookDeps) {
  const { db, log } = deps;
  const routes = new Hono();
  const secretOf = (centerId: string) =>
    Object.hasOwn(deps.centerSecrets, centerId) ? deps.centerSecrets[centerId] : undefined;

  // As for Stripe's webhook, signature first: a center's verified events are never limited nor
  // counted, whatever becomes of them (404, 409 are the center's business, not an attack); only
  // refused requests count, per client, so a forger's attempts run out and a busy center's never do.
  const verified = signatureFirst(deps.rateLimit, async (c) => {
    const centerId = c.req.param("centerId") ?? "";
    const secret = secretOf(centerId);
    if (!secret) throw new ApiError("not_found", `no event route for center ${centerId}`);
    const raw = await c.req.text();
    const check = verifyCenterSignature(raw, c.req.header(SIGNATURE_HEADER), secret);
    if (!check.ok) throw new ApiError("unauthorized", check.reason);
    return { centerId, raw };
  });

  routes.post("/webhooks/centers/:centerId", limitBody(CENTER_EVENT_MAX_BYTES), verified, async (c) => {
    const { centerId, raw } = c.get("verified");
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ApiError("invalid_request", "signed body is not valid JSON");
    }
    const parsed = CenterEventSchema.safeParse(json);
    if (!parsed.success) throw new ApiError("invalid_request", z.prettifyError(parsed.error));
    const event = parsed.data;

    const target = await shipmentTarget(db, event.orderId, centerId);
    if (!target.order) throw new ApiError("not_found", `no order ${event.orderId}`);
    if (!target.shipsFromCenter)
      throw new ApiError("not_found", `order ${event.orderId} has no shipment at ${centerId}`);
    if (!target.handedOver) throw new ApiError("conflict", `order ${event.orderId} was not handed to ${centerId} yet`);

    const recorded = await recordShipmentEvent(db, centerId, event);
    // An event id is the center's promise of one event: reused for another order or status, it is refused.
    if (recorded.orderId !== event.orderId || recorded.status !== event.status) {
      throw new ApiError(
        "conflict",
        `event ${event.eventId} was first recorded for order ${recorded.orderId} as ${recorded.status}`,
      );
    }
    await deps.shipments.shipmentEvent(event.orderId, { centerId, eventId: event.eventId });
    log.info(
      { centerId, eventId: event.eventId, orderId: event.orderId, status: event.status },
      "shipment event accepted",
    );
    return c.json({ received: true });
  });

  return routes;
}
