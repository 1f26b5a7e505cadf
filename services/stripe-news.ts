// Stripe's news about an order, taken up by its Shipments object (shipments.ts): a refund recorded
// after the hand-off opens an incident per center that has the order ("refunded in Stripe after
// fc-east has the order — cancel at the center?"); postpay calls no center's cancel API, a person
// decides. A dispute, an early fraud warning or a Radar review is posted to Slack as a notice with
// the amount, the reason and the Dashboard link (nothing to decide there; the order page shows it).
// Before the hand-off, refunds, warnings and reviews are the hand-off gate's (hand-off-gate.ts).
//
// Acts only on events the HTTP app recorded after checking Stripe's signature. Called once per
// event id (the ingress idempotency key); an incident is opened once per id (a refund's
// charge.refunded and refund.created name the same one), so nothing happens twice.
import * as restate from "@restatedev/restate-sdk";
import type { Alert } from "../src/domain/alerts.ts";
import {
  kindOf,
  refundAfterHandOffIncident,
  signalNotice,
  StripeEventRefSchema,
  stripeDashboardUrl,
  type StripeEventRef,
} from "../src/domain/stripe-signals.ts";
import { ALERTS_KEY, SERVICE, SHIPMENT_STEP as STEP } from "./durable.ts";
import type { ShipmentPorts } from "./ports.ts";
import type { SlackAlerts } from "./slack-alerts.ts";

type OpenIncident = (
  ctx: restate.ObjectContext,
  centerId: string,
  customerId: string,
  incident: { id: string; step: string; error: string },
) => Promise<void>;

export function stripeEventHandler(
  ports: Pick<ShipmentPorts, "findStripeSignal" | "findShipmentIncident" | "alertLinks">,
  openIncident: OpenIncident,
) {
  return restate.handlers.object.exclusive(
    { input: restate.serde.schema(StripeEventRefSchema) },
    async (ctx: restate.ObjectContext, ref: StripeEventRef) => {
      const s = await ctx.run(STEP.findStripeEvent, async () => (await ports.findStripeSignal(ref.eventId)) ?? null);
      if (!s || s.orderId !== ctx.key)
        throw new restate.TerminalError(`no verified Stripe event ${ref.eventId} for order ${ctx.key}`, {
          errorCode: 403,
        });
      if (kindOf(s.type) === "refund") {
        // Before the hand-off the gate stopped or held the order; nothing refunded (a failed refund): nothing to ask.
        if (!s.afterHandOff || !s.amountRefunded) return { incidents: 0 };
        let opened = 0;
        for (const centerId of s.centerIds) {
          const incident = refundAfterHandOffIncident(ctx.key, centerId, s);
          const known = await ctx.run(STEP.findIncident, async () =>
            Boolean(await ports.findShipmentIncident(incident.id)),
          );
          if (known) continue;
          await openIncident(ctx, centerId, s.customerId, incident);
          opened++;
        }
        return { incidents: opened };
      }
      const invocationId = ctx.request().id;
      // Built inside the step, as every alert is: a replay posts exactly what the first run did.
      const alert = await ctx.run(STEP.noticeStripeEvent, async (): Promise<Alert> => {
        const { title, details } = signalNotice(s);
        return {
          notice: true,
          incidentId: s.eventId,
          orderId: ctx.key,
          customerId: s.customerId,
          step: `${title}${s.afterHandOff ? "" : " (before the hand-off)"}`,
          error: details,
          openedAt: new Date().toISOString(),
          ...(s.paymentIntentId && { dashboardUrl: stripeDashboardUrl(s.paymentIntentId, s.livemode) }),
          ...ports.alertLinks(ctx.key, invocationId),
        };
      });
      ctx.objectSendClient<SlackAlerts>({ name: SERVICE.alerts }, ALERTS_KEY).notify(alert);
      return { incidents: 0 };
    },
  );
}
