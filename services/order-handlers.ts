// The order workflow's shared handlers: they run beside `run`, read its live view and complete
// the durable promises it waits on. Each promise completes once, so a repeated event or decision
// changes nothing.
//
// Reaching Restate's ingress grants nothing: a payment outcome or a decision counts only once the
// HTTP app has recorded it in the database for a caller it authenticated (Stripe's signature, an
// operator's token, session or Slack signature). These handlers check that record; a call with no
// record behind it is refused (403) and the order does not move.
import * as restate from "@restatedev/restate-sdk";
import { DecisionSchema, type Decision, type RecordedDecision } from "../src/domain/decision.ts";
import type { OrderView } from "../src/domain/order-view.ts";
import { PaymentEventSchema, type PaymentEvent } from "../src/domain/stripe-events.ts";
import { StripeEventRefSchema, type StripeEventRef } from "../src/domain/stripe-signals.ts";
import { asyncPaymentPromise, completeOnce, decisionPromise, readView, reviewPromise, STEP } from "./durable.ts";
import type { OrderPorts } from "./ports.ts";

export type Resolution = { incidentId: string; step: string; action: Decision["action"] };

const refuse = (message: string, errorCode: number) => new restate.TerminalError(message, { errorCode });

export function createOrderHandlers(ports: Pick<OrderPorts, "findDecision" | "findPaymentEvent" | "findStripeSignal">) {
  return {
    /** The live view: status, steps with times, shipments, arrival date, open incident. */
    status: restate.handlers.workflow.shared(
      // A read, polled often: nothing about one call is worth keeping once it has answered.
      { idempotencyRetention: 0, journalRetention: 0 },
      async (ctx: restate.WorkflowSharedContext): Promise<OrderView | null> => readView(ctx),
    ),

    /** Tells a waiting order the outcome of its async payment, as recorded from a verified Stripe event. */
    paymentEvent: restate.handlers.workflow.shared(
      { input: restate.serde.schema(PaymentEventSchema) },
      async (ctx: restate.WorkflowSharedContext, event: PaymentEvent) => {
        const recorded = await ctx.run(
          STEP.findPaymentEvent,
          async () => (await ports.findPaymentEvent(event.eventId)) ?? null,
        );
        if (!recorded || recorded.orderId !== ctx.key) {
          throw refuse(`no verified Stripe event ${event.eventId} for order ${ctx.key}`, 403);
        }
        if (recorded.outcome !== event.outcome) {
          throw refuse(`Stripe event ${event.eventId} was recorded as ${recorded.outcome}, not ${event.outcome}`, 409);
        }
        // Whether it was an expiry is the record's word, never the caller's.
        const { eventId, outcome } = event;
        await completeOnce(asyncPaymentPromise(ctx), { eventId, outcome, ...(recorded.expired && { expired: true }) });
        return { accepted: true };
      },
    ),

    /** Releases an order held by a Radar review, on a review.closed recorded from a verified Stripe event. */
    reviewClosed: restate.handlers.workflow.shared(
      { input: restate.serde.schema(StripeEventRefSchema) },
      async (ctx: restate.WorkflowSharedContext, ref: StripeEventRef) => {
        const recorded = await ctx.run(
          STEP.findStripeEvent,
          async () => (await ports.findStripeSignal(ref.eventId)) ?? null,
        );
        if (!recorded || recorded.orderId !== ctx.key || recorded.type !== "review.closed") {
          throw refuse(`no verified review.closed ${ref.eventId} for order ${ctx.key}`, 403);
        }
        // The order checks again before it goes on: what the review closed as is read there.
        await completeOnce(reviewPromise(ctx, recorded.objectId), { eventId: recorded.eventId });
        return { accepted: true };
      },
    ),

    /** Passes the operator's recorded decision on the open incident to the waiting order. */
    resolve: restate.handlers.workflow.shared(
      { input: restate.serde.schema(DecisionSchema) },
      async (ctx: restate.WorkflowSharedContext, decision: Decision): Promise<Resolution> => {
        const view = await readView(ctx);
        if (!view) throw refuse(`order ${ctx.key} has not started`, 404);
        const incident = view.incident;
        if (!incident) throw refuse(`order ${ctx.key} has no open incident (status ${view.status})`, 409);
        if (decision.incidentId && decision.incidentId !== incident.id) {
          throw refuse(`incident ${decision.incidentId} is not the open one (${incident.id})`, 409);
        }
        const recorded = await ctx.run(
          STEP.findDecision,
          async (): Promise<RecordedDecision | null> => (await ports.findDecision(incident.id)) ?? null,
        );
        if (!recorded)
          throw refuse(`incident ${incident.id} has no recorded decision; decide through postpay's HTTP app`, 403);
        if (recorded.action !== decision.action) {
          throw refuse(`incident ${incident.id} was decided ${recorded.action} by ${recorded.decidedBy}`, 409);
        }
        const first = await completeOnce(decisionPromise(ctx, incident.id), recorded);
        if (!first) throw refuse(`incident ${incident.id} was already decided`, 409);
        return { incidentId: incident.id, step: incident.step, action: recorded.action };
      },
    ),
  };
}
