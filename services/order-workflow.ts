// The order workflow: one durable run per payment session (workflow key = payment session id).
//
//   load payment session → verify payment with Stripe
//     not paid → email a payment-problem notice → payment_failed
//     pending (async method) → wait for async_payment_succeeded / _failed, verify again
//   group items by fulfillment center
//   per center, all at once: update inventory ‖ send the order to the center
//   email the confirmation with the arrival date ‖ record the order history → completed
//
// A step that fails after payment is never reversed: it becomes an incident, Slack hears of it,
// and the order waits (needs_attention) for an operator to retry, skip or abandon it.
import * as restate from "@restatedev/restate-sdk";
import type { StepPolicy } from "../src/config.ts";
import { confirmationEmail, paymentProblemEmail } from "../src/domain/emails.ts";
import {
  estimatedArrival,
  groupByCenter,
  type OrderSession,
  type OrderStatus,
  type PaymentCheck,
  type ShipmentRecord,
} from "../src/domain/order.ts";
import { Abandoned, OrderRun, VIEW, type OrderView } from "./order-run.ts";
import type { Decision, OrderPorts } from "./ports.ts";
import { asTerminalError } from "./steps.ts";

export type OrderResult = { orderId: string; status: OrderStatus; estimatedArrival: string | null };
export type PaymentEvent = { outcome: "succeeded" | "failed"; eventId: string };

const PAYMENT_EVENT = "async-payment";

export function createOrderWorkflow(ports: OrderPorts, policy: StepPolicy) {
  async function run(ctx: restate.WorkflowContext): Promise<OrderResult> {
    const flow = new OrderRun(ctx, ports, policy);
    flow.publish(); // "processing" from the first moment, even if loading the session stalls
    const order = await flow.bookkeeping("load payment session", () => ports.beginOrder(ctx.key));
    if (!order) throw new restate.TerminalError(`unknown payment session ${ctx.key}`, { errorCode: 404 });
    const orderedAt = Date.parse(flow.view.steps[0]!.at);

    try {
      flow.view.customerId = order.customerId;
      const payment = await verifyPayment(flow, order);
      flow.publish();
      if (payment.outcome === "failed") {
        await flow.step("email payment problem", () => ports.sendEmail(order.id, order.email, paymentProblemEmail(order, payment.reason)));
        await flow.bookkeeping("mark payment failed", () => ports.setStatus(order.id, "payment_failed"));
        return finish(flow, "payment_failed");
      }

      const groups = groupByCenter(order.items, order.centers);
      const outcomes = await flow.all(
        groups.flatMap((g) => [
          { name: `update inventory ${g.center.id}`, action: () => ports.takeStock(order.id, g.items).then(() => null) },
          { name: `send to ${g.center.id}`, action: () => ports.sendToCenter(order, g) },
        ]),
      );
      const shipments: ShipmentRecord[] = [];
      for (const [i, g] of groups.entries()) {
        const sent = outcomes[2 * i + 1]!;
        shipments.push(
          sent.skipped || !sent.value
            ? await flow.bookkeeping(`record manual fulfillment ${g.center.id}`, () => ports.recordManualFulfillment(order.id, g.center.id))
            : sent.value,
        );
      }
      const arrival = estimatedArrival(shipments, order.centers, orderedAt);
      flow.publish({ shipments, estimatedArrival: arrival });

      await flow.all<unknown>([
        { name: "email confirmation", action: () => ports.sendEmail(order.id, order.email, confirmationEmail(order, arrival)) },
        { name: "record history", action: () => ports.recordHistory(order, shipments, arrival) },
      ]);
      // "record history" completes the order row; after an incident (a decision set it back to
      // processing, or history was skipped) say it once more.
      if (flow.incidents > 0) await flow.bookkeeping("mark completed", () => ports.setStatus(order.id, "completed"));
      return finish(flow, "completed");
    } catch (err) {
      if (err instanceof Abandoned) return finish(flow, "abandoned");
      throw err;
    }
  }

  /** Paid as quoted, or failed; waits out async payment methods, asks an operator on a mismatch. */
  async function verifyPayment(flow: OrderRun, order: OrderSession): Promise<PaymentCheck> {
    const check = () => flow.step("verify payment", () => ports.checkPayment(order));
    let result = await check();
    for (let waited = false; ; ) {
      if (result.skipped) return { outcome: "paid" }; // an operator confirmed the payment by hand
      const payment = result.value;
      if (payment.outcome === "paid" || payment.outcome === "failed") return payment;
      if (payment.outcome === "mismatch") {
        result = await flow.escalate(
          { name: "verify payment", action: () => ports.checkPayment(order) },
          new restate.TerminalError(payment.reason),
        );
        continue;
      }
      if (waited) {
        // Stripe said the async payment succeeded, yet the session is not paid: a person must look.
        result = await flow.escalate(
          { name: "verify payment", action: () => ports.checkPayment(order) },
          new restate.TerminalError("async payment reported succeeded but the session is still unpaid"),
        );
        continue;
      }
      flow.publish({ status: "awaiting_payment" });
      const event = await flow.ctx.promise<PaymentEvent>(PAYMENT_EVENT);
      flow.publish({ status: "processing" });
      if (event.outcome === "failed") return { outcome: "failed", reason: "the payment method was declined" };
      waited = true;
      result = await check();
    }
  }

  function finish(flow: OrderRun, status: OrderStatus): OrderResult {
    flow.publish({ status });
    return { orderId: flow.view.orderId, status, estimatedArrival: flow.view.estimatedArrival };
  }

  return restate.workflow({
    name: "OrderWorkflow",
    description: "Turns one paid Stripe checkout into a fulfilled, confirmed and recorded order.",
    handlers: {
      run: restate.handlers.workflow.workflow(
        { description: "Processes the order; the workflow key is the payment session id." },
        async (ctx: restate.WorkflowContext) => run(ctx),
      ),

      /** The live view: status, steps with times, shipments, arrival date, open incident. */
      status: restate.handlers.workflow.shared(
        // A read, polled often: nothing about one call is worth keeping once it has answered.
        { idempotencyRetention: 0, journalRetention: 0 },
        async (ctx: restate.WorkflowSharedContext): Promise<OrderView | null> => ctx.get<OrderView>(VIEW),
      ),

      /** Tells a waiting order the outcome of its async payment (from a verified Stripe event). */
      paymentEvent: async (ctx: restate.WorkflowSharedContext, event: PaymentEvent) => {
        await resolveOnce(ctx, PAYMENT_EVENT, event);
        return { accepted: true };
      },

      /** An operator's decision on the open incident: retry, skip (done by hand) or abandon. */
      resolve: async (ctx: restate.WorkflowSharedContext, decision: Decision) => {
        if (!["retry", "skip", "abandon"].includes(decision?.action)) {
          throw new restate.TerminalError('action must be "retry", "skip" or "abandon"', { errorCode: 400 });
        }
        const view = await ctx.get<OrderView>(VIEW);
        if (!view) throw new restate.TerminalError(`order ${ctx.key} has not started`, { errorCode: 404 });
        if (!view.incident) {
          throw new restate.TerminalError(`order ${ctx.key} has no open incident (status ${view.status})`, { errorCode: 409 });
        }
        if (decision.incidentId && decision.incidentId !== view.incident.id) {
          throw new restate.TerminalError(`incident ${decision.incidentId} is not the open one (${view.incident.id})`, { errorCode: 409 });
        }
        const first = await resolveOnce(ctx, view.incident.promise, { action: decision.action, note: decision.note ?? null });
        if (!first) throw new restate.TerminalError(`incident ${view.incident.id} was already decided`, { errorCode: 409 });
        return { incidentId: view.incident.id, step: view.incident.step, action: decision.action };
      },
    },
    options: {
      asTerminalError,
      // Keep the journal and the view readable for a week after the order ends.
      workflowRetention: { days: 7 },
      journalRetention: { days: 7 },
    },
  });
}

/** Completes a durable promise; false when it had already been completed. */
async function resolveOnce<T>(ctx: restate.WorkflowSharedContext, name: string, value: T): Promise<boolean> {
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

export type OrderWorkflow = ReturnType<typeof createOrderWorkflow>;
