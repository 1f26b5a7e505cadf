// The customer's order page: GET /orders/:id. Open to anyone holding the unguessable id, so it is
// rate limited per client and answers only what the page needs (PublicOrderView). An unknown id
// is answered from the database alone: a stranger's guesses leave nothing in Restate.
import { Hono } from "hono";
import type { Db } from "../../db/client.ts";
import { incidentViews } from "../../db/incidents.ts";
import { findStoredOrder } from "../../db/orders.ts";
import { findPaymentIds } from "../../db/sessions.ts";
import { openShipmentIncidents } from "../../db/shipment-incidents.ts";
import { signalsFor } from "../../db/stripe-events.ts";
import { trackingOf } from "../../db/shipments.ts";
import { RestateCallError, type OrderClient } from "../adapters/restate-ingress.ts";
import { isStorableText } from "../domain/checkout-pricing.ts";
import { stripeDashboardUrl } from "../domain/stripe-signals.ts";
import {
  publicView,
  withTracking,
  type AdminOrderView,
  type OrderView,
  type TrackedOrderView,
} from "../domain/order-view.ts";
import { ApiError } from "./errors.ts";
import { rateLimit, type RateLimit } from "./middleware.ts";

export type OrdersDeps = { db: Db; orders: OrderClient; rateLimit: RateLimit };

/** The order's live view from its workflow, or what the database recorded; undefined if unknown. */
export async function findOrderView(deps: Omit<OrdersDeps, "rateLimit">, id: string) {
  // No payment session has such an id; asking the database would only fail the query.
  if (id.length > 200 || !isStorableText(id)) return undefined;
  const stored = await findStoredOrder(deps.db, id);
  if (!stored) return undefined;
  const live: OrderView | null = await deps.orders.status(id).catch((err) => {
    // Not started yet, or past Restate's retention: the database's record stands.
    if ((err as { status?: number }).status === 404) return null;
    throw err;
  });
  const view = live ?? stored.view;
  const { rows, centerIds } = await trackingOf(deps.db, id);
  return {
    view: { ...view, ...withTracking(view.shipments, rows, centerIds) } satisfies TrackedOrderView,
    email: stored.email,
    shipTo: stored.shipTo,
  };
}

/** The whole story of an order, for operators (admin API and console); undefined if unknown. */
export async function findAdminOrderView(
  deps: Omit<OrdersDeps, "rateLimit">,
  id: string,
): Promise<AdminOrderView | undefined> {
  const found = await findOrderView(deps, id);
  if (!found) return undefined;
  // A finished order's workflow shows no incident; one about a shipment is the one to decide then.
  const shipmentIncident = found.view.incident ? undefined : (await openShipmentIncidents(deps.db, id))[0];
  const incident =
    found.view.incident ??
    (shipmentIncident ? { id: shipmentIncident.id, step: shipmentIncident.step, error: shipmentIncident.error } : null);
  const ids = await findPaymentIds(deps.db, id);
  return {
    ...found.view,
    incident,
    customer: { id: found.view.customerId, email: found.email },
    shipTo: found.shipTo,
    incidents: await incidentViews(deps.db, id),
    payment: ids && {
      paymentIntentId: ids.paymentIntentId,
      chargeId: ids.chargeId,
      dashboardUrl: stripeDashboardUrl(ids.paymentIntentId, ids.livemode),
    },
    stripeEvents: (await signalsFor(deps.db, id)).map(({ orderId: _, ...s }) => s),
  };
}

export function orderRoutes(deps: OrdersDeps) {
  const orders = new Hono();
  orders.get("/orders/:id", rateLimit(deps.rateLimit), async (c) => {
    const id = c.req.param("id");
    const found = await findOrderView(deps, id).catch((err) => {
      // Restate's own words (handler names, journal details) are for the log, never for a stranger.
      if (err instanceof RestateCallError)
        throw Object.assign(new ApiError("internal", "the order cannot be shown right now; try again shortly"), {
          cause: err,
        });
      throw err;
    });
    if (!found) throw new ApiError("not_found", "no such order");
    return c.json(publicView(found.view));
  });
  return orders;
}
