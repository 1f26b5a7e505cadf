// The order workflow's shared handlers: they run beside `run`, read its live view and complete
// the durable promises it waits on. Each promise completes once, so a repeated event or
// decision changes nothing.
import * as restate from "@restatedev/restate-sdk";
import { DecisionSchema, type Decision } from "../src/domain/decision.ts";
import type { OrderView } from "../src/domain/order-view.ts";
import { PaymentEventSchema, type PaymentEvent } from "../src/domain/stripe-events.ts";
import { decisionPromise } from "./escalation.ts";
import { readView } from "./live-view.ts";

export const PAYMENT_EVENT = "async-payment";

export type Resolution = { incidentId: string; step: string; action: Decision["action"] };

export const orderHandlers = {
  /** The live view: status, steps with times, shipments, arrival date, open incident. */
  status: restate.handlers.workflow.shared(
    // A read, polled often: nothing about one call is worth keeping once it has answered.
    { idempotencyRetention: 0, journalRetention: 0 },
    async (ctx: restate.WorkflowSharedContext): Promise<OrderView | null> => readView(ctx),
  ),

  /** Tells a waiting order the outcome of its async payment (from a verified Stripe event). */
  paymentEvent: restate.handlers.workflow.shared(
    { input: restate.serde.schema(PaymentEventSchema) },
    async (ctx: restate.WorkflowSharedContext, event: PaymentEvent) => {
      await completeOnce(ctx, PAYMENT_EVENT, event);
      return { accepted: true };
    },
  ),

  /** An operator's decision on the open incident: retry, skip (done by hand) or abandon. */
  resolve: restate.handlers.workflow.shared(
    { input: restate.serde.schema(DecisionSchema) },
    async (ctx: restate.WorkflowSharedContext, decision: Decision): Promise<Resolution> => {
      const view = await readView(ctx);
      if (!view) throw new restate.TerminalError(`order ${ctx.key} has not started`, { errorCode: 404 });
      const incident = view.incident;
      if (!incident) {
        throw new restate.TerminalError(`order ${ctx.key} has no open incident (status ${view.status})`, { errorCode: 409 });
      }
      if (decision.incidentId && decision.incidentId !== incident.id) {
        throw new restate.TerminalError(`incident ${decision.incidentId} is not the open one (${incident.id})`, { errorCode: 409 });
      }
      const first = await completeOnce(ctx, decisionPromise(incident), { action: decision.action, note: decision.note ?? null });
      if (!first) throw new restate.TerminalError(`incident ${incident.id} was already decided`, { errorCode: 409 });
      return { incidentId: incident.id, step: incident.step, action: decision.action };
    },
  ),
};

/** Completes a durable promise; false when it had already been completed. */
async function completeOnce<T>(ctx: restate.WorkflowSharedContext, name: string, value: T): Promise<boolean> {
  const promise = ctx.promise<T>(name);
  if ((await promise.peek()) !== undefined) return false;
  try {
    await promise.resolve(value);
    return true;
  } catch (err) {
    if (err instanceof restate.TerminalError) return false;
    throw err;
  }
}
