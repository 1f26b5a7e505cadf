// Shipments: what happens to an order's parcels after the hand-off. A virtual object keyed by the
// ORDER id; each center event is one short exclusive invocation:
//   find the recorded event → apply it to the (order, center) shipment → email "shipped" for that
//   shipment (once) → email "delivered" when every shipment is (once) → an exception opens an
//   incident (Slack), whose operator decision comes back through `resolve`. Stripe's news after
//   the hand-off (a refund: an incident per center) comes through `stripeEvent` (stripe-news.ts).
// Why one object per order and not per shipment: the "delivered" email needs all of an order's
// shipments, and one writer per order makes "exactly one delivered email" a property of this
// object instead of a race between objects; an order has few centers, so serializing its events
// costs nothing. Why not the order workflow: it would stay open for days waiting for deliveries,
// pinned to the code it started on; these invocations last milliseconds, on the newest deployment.
// Reaching Restate's ingress grants nothing: the object acts only on events the HTTP app recorded
// after checking the center's signature, and on decisions it recorded for an operator it
// authenticated. Every side effect is idempotent by itself (events applied once per event id,
// emails keyed by (order, kind), incidents by id), so a replayed step changes nothing twice.
import * as restate from "@restatedev/restate-sdk";
import { z } from "zod";
import type { Alert } from "../src/domain/alerts.ts";
import { DecisionSchema, type Decision } from "../src/domain/decision.ts";
import { deliveredEmail, shippedEmail } from "../src/domain/emails.ts";
import { hasShipped, shipmentIncident, silentCenterIncident, type ShipmentUpdate } from "../src/domain/shipments.ts";
import { isRefundIncident } from "../src/domain/stripe-signals.ts";
import type { Resolution } from "./order-handlers.ts";
import { ALERTS_KEY, SERVICE, SHIPMENT_STEP as STEP } from "./durable.ts";
import { asTerminalError, type ShipmentPorts } from "./ports.ts";
import type { SlackAlerts } from "./slack-alerts.ts";
import type { StepPolicy } from "./step-runner.ts";
import { stripeEventHandler } from "./stripe-news.ts";
import type { SupportDesk } from "./support-desk.ts";

/** What the HTTP app passes on: which recorded event to act on (the event itself is read from the database). */
export const EventRefSchema = z.object({ centerId: z.string().min(1).max(100), eventId: z.string().min(1).max(200) });
export type EventRef = z.infer<typeof EventRefSchema>;

const refuse = (message: string, errorCode: number) => new restate.TerminalError(message, { errorCode });

/** A shipment not `shipped` this long after its hand-off opens an incident (SHIPMENT_DEADLINE). */
export type ShipmentPolicy = { deadlineMs: number };

export function createShipments(ports: ShipmentPorts, options: { steps: StepPolicy; shipments: ShipmentPolicy }) {
  const { steps } = options;
  const { deadlineMs } = options.shipments;
  const self = { name: SERVICE.shipments } as Shipments;

  /** Looks at the order's shipments again once the earliest deadline still running has passed. */
  const watchAgain = (ctx: restate.ObjectContext, delayMs: number) =>
    ctx.objectSendClient(self, ctx.key).watch(restate.rpc.sendOpts({ delay: Math.max(0, delayMs) }));

  /** The customer hears once per shipment that it left, and once per order that all arrived. */
  async function tellCustomer(ctx: restate.ObjectContext, { shipment, fulfillment, customer }: ShipmentUpdate) {
    if (hasShipped(shipment.status)) {
      await ctx.run(STEP.emailShipped(shipment.centerId), () =>
        ports.sendEmail(ctx.key, customer.email, shippedEmail(ctx.key, shipment)),
      );
    }
    if (fulfillment === "delivered") {
      await ctx.run(STEP.emailDelivered, () => ports.sendEmail(ctx.key, customer.email, deliveredEmail(ctx.key)));
    }
  }

  /** An incident row and a Slack alert; the decision comes back through `resolve`. */
  async function openIncident(
    ctx: restate.ObjectContext,
    centerId: string,
    customerId: string,
    incident: { id: string; step: string; error: string },
  ) {
    const invocationId = ctx.request().id;
    // Built inside the step, as the order workflow's alerts are: a replay sends exactly what the first run did.
    const alert = await ctx.run(STEP.recordIncident(centerId), async (): Promise<Alert> => {
      await ports.openShipmentIncident({ ...incident, orderId: ctx.key, customerId, centerId });
      return {
        incidentId: incident.id,
        orderId: ctx.key,
        customerId,
        ...incident,
        openedAt: new Date().toISOString(),
        ...ports.alertLinks(ctx.key, invocationId),
      };
    });
    // One-way: a slow or dead Slack or mail server never holds a shipment.
    ctx.objectSendClient<SlackAlerts>({ name: SERVICE.alerts }, ALERTS_KEY).notify(alert);
    ctx.serviceSendClient<SupportDesk>({ name: SERVICE.support }).incident(alert);
  }

  return restate.object({
    name: SERVICE.shipments,
    description: "An order's shipments after the hand-off: center events, tracking emails, shipment incidents.",
    handlers: {
      event: restate.handlers.object.exclusive(
        { input: restate.serde.schema(EventRefSchema) },
        async (ctx: restate.ObjectContext, ref: EventRef) => {
          const recorded = await ctx.run(
            STEP.findEvent,
            async () => (await ports.findShipmentEvent(ref.centerId, ref.eventId)) ?? null,
          );
          if (!recorded || recorded.orderId !== ctx.key) {
            throw refuse(`no verified event ${ref.eventId} from ${ref.centerId} for order ${ctx.key}`, 403);
          }
          const update = await ctx.run(
            STEP.applyEvent,
            async () => (await ports.applyShipmentEvent(ref.centerId, ref.eventId)) ?? null,
          );
          if (!update) throw refuse(`order ${ctx.key} has no shipment at ${ref.centerId}`, 404);
          await tellCustomer(ctx, update);
          if (update.changed && update.shipment.status === "exception") {
            await openIncident(
              ctx,
              ref.centerId,
              update.customer.id,
              shipmentIncident(ctx.key, ref.centerId, ref.eventId, recorded.note),
            );
          }
          return { status: update.shipment.status, changed: update.changed, fulfillment: update.fulfillment };
        },
      ),

      /**
       * The watchdog for silent centers: a shipment handed over and not shipped within the deadline
       * opens an incident ("fc-east has not shipped order … in 2 days"). A durable timer (a delayed
       * call to this handler) keeps the watch across restarts and deploys; the order's run sends the
       * first at the hand-off, due at the deadline, and a retry that sends the order again restarts the clock.
       */
      watch: async (ctx: restate.ObjectContext) => {
        const now = await ctx.date.now();
        const waiting = await ctx.run(STEP.findUnshipped, () => ports.findUnshipped(ctx.key));
        let next: number | undefined;
        for (const s of waiting) {
          const due = Date.parse(s.handedOffAt) + deadlineMs;
          if (due <= now) {
            await openIncident(
              ctx,
              s.centerId,
              s.customerId,
              silentCenterIncident(ctx.key, s.centerId, s.handedOffAt, deadlineMs),
            );
          } else next = Math.min(next ?? due, due);
        }
        if (next !== undefined) watchAgain(ctx, next - now);
        return { watching: waiting.length };
      },

      /** Stripe's news: a refund after the hand-off is an incident, the rest a notice (stripe-news.ts). */
      stripeEvent: stripeEventHandler(ports, openIncident),

      /** Carries out the decision recorded on a shipment incident: retry, skip (shipped by hand) or abandon. */
      resolve: restate.handlers.object.exclusive(
        { input: restate.serde.schema(DecisionSchema) },
        async (ctx: restate.ObjectContext, decision: Decision): Promise<Resolution> => {
          const id = decision.incidentId;
          if (!id) throw refuse("name the incident (incidentId)", 400);
          const incident = await ctx.run(STEP.findIncident, async () => (await ports.findShipmentIncident(id)) ?? null);
          if (!incident || incident.orderId !== ctx.key || !incident.centerId)
            throw refuse(`order ${ctx.key} has no shipment incident ${id}`, 404);
          if (incident.status !== "open") throw refuse(`incident ${id} was already decided`, 409);
          const recorded = incident.decision;
          if (!recorded)
            throw refuse(`incident ${id} has no recorded decision; decide through postpay's HTTP app`, 403);
          if (recorded.action !== decision.action)
            throw refuse(`incident ${id} was decided ${recorded.action} by ${recorded.decidedBy}`, 409);
          const centerId = incident.centerId;

          // A refund after hand-off: cancelling at the center is a person's call; any decision records it.
          const onlyRecord = isRefundIncident(incident.step);
          if (recorded.action === "retry" && !onlyRecord) {
            try {
              await ctx.run(STEP.resend(centerId), () => ports.resendToCenter(ctx.key, centerId), {
                maxRetryAttempts: steps.maxAttempts,
                initialRetryInterval: steps.initialRetryMs,
                maxRetryInterval: steps.maxRetryMs,
              });
              watchAgain(ctx, deadlineMs); // the center has the order again: its deadline starts over
            } catch (err) {
              if (!(err instanceof restate.TerminalError)) throw err;
              // The center still refuses: this decision is spent, so a person gets a new incident to decide.
              await openIncident(ctx, centerId, incident.customerId, {
                id: `${id}+retry`,
                step: incident.step,
                error: `retry failed: ${err.message}`,
              });
            }
          } else if (recorded.action === "skip" && !onlyRecord) {
            const update = await ctx.run(
              STEP.settle(centerId),
              async () => (await ports.settleShipmentByHand(ctx.key, centerId)) ?? null,
            );
            if (update) await tellCustomer(ctx, update);
          }
          // abandon: the shipment stays as the center last reported it.
          await ctx.run(STEP.resolveIncident, () => ports.resolveShipmentIncident(id));
          return { incidentId: id, step: incident.step, action: recorded.action };
        },
      ),
    },
    options: { asTerminalError },
  });
}

export type Shipments = ReturnType<typeof createShipments>;
