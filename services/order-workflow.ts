// The order workflow: one durable run per payment session (workflow key = payment session id).
//
//   load payment session → verify payment with Stripe
//     not paid → email a payment-problem notice → payment_failed
//     pending (async method) → wait for async_payment_succeeded / _failed, verify again
//   per fulfillment center, all at once: take stock ‖ send the order to the center
//   email the confirmation with the arrival date ‖ record the order history → completed
//
// A step that fails after payment is never reversed: it becomes an incident, Slack hears of it,
// and the order waits (needs_attention) for an operator to retry, skip or abandon it.
import * as restate from "@restatedev/restate-sdk";
import { confirmationEmail, paymentProblemEmail } from "../src/domain/emails.ts";
import {
  estimatedArrival,
  groupByCenter,
  isFinal,
  OrderStartSchema,
  paymentVerdict,
  samePayment,
  type OrderSession,
  type OrderStart,
  type OrderStatus,
  type PaymentVerdict,
} from "../src/domain/order.ts";
import type { OrderResult } from "../src/domain/order-view.ts";
import type { PaymentEvent } from "../src/domain/stripe-events.ts";
import { createEscalation, type EscalationPolicy } from "./escalation.ts";
import { createLiveView } from "./live-view.ts";
import { asyncPaymentPromise, SERVICE, STEP } from "./durable.ts";
import { createOrderHandlers } from "./order-handlers.ts";
import { asTerminalError, type OrderPorts } from "./ports.ts";
import { ABANDONED, createStepRunner, step, type StepPolicy } from "./step-runner.ts";

export type WorkflowPolicy = { steps: StepPolicy; escalation: EscalationPolicy };

export function createOrderWorkflow(ports: OrderPorts, policy: WorkflowPolicy) {
  async function run(ctx: restate.WorkflowContext, input: unknown): Promise<OrderResult> {
    // A hint from the webhook; anything else (a run started through the ingress) is ignored.
    const claimed = OrderStartSchema.safeParse(input).data?.payment;
    const view = createLiveView(ctx);
    const steps = createStepRunner(ctx, view, policy.steps, createEscalation(ctx, view, ports, policy.escalation));
    // The order's last word. Not a journaled step: an idempotent write of the final status, as
    // the run's very last action, is safe to repeat, and on a replay it is repeated before the run
    // can end. Its own entry would cost every order a round trip to restate-server. If the
    // database is down, the run fails here and Restate retries it (the steps stay journaled).
    const finish = async (status: OrderStatus) => {
      await ports.setStatus(view.orderId, status);
      return view.finish(status);
    };

    // The webhook names the checkout it verified, so Stripe is asked while the order loads.
    const [order, stripeSaid] = await steps.recordBeside(
      STEP.loadPaymentSession,
      () => ports.beginOrder(ctx.key),
      claimed && step(STEP.verifyPayment, () => ports.checkPayment({ id: ctx.key, ...claimed })),
    );
    if (!order) throw new restate.TerminalError(`unknown payment session ${ctx.key}`, { errorCode: 404 });
    view.noteOrder(order);
    // An order that ended stays ended: a run started again once Restate has forgotten the first
    // one (its retention is a week; anyone on the ingress can start a run) acts no more. A center
    // may remember an Idempotency-Key for less time than that.
    if (order.storedStatus && isFinal(order.storedStatus)) return view.finish(order.storedStatus);

    // Stripe's early answer counts only if it is about this order's own checkout and total.
    const early = claimed && samePayment(order, claimed) && stripeSaid?.outcome !== "mismatch" ? stripeSaid : undefined;
    const payment = await verifyPayment(order, early);
    if (payment === ABANDONED) return finish("abandoned");
    view.publish(); // payment settled: the order shows its progress from here
    if (payment.outcome === "failed") {
      const notified = await steps.run(
        step(STEP.emailPaymentProblem, () => ports.sendEmail(order.id, order.email, paymentProblemEmail(order, payment.reason))),
      );
      return finish(notified === ABANDONED ? "abandoned" : "payment_failed");
    }

    // Per center, all at once: take stock ‖ send the order to the center.
    const centers = await steps.all(
      groupByCenter(order.items, order.centers).map((group) => ({
        stock: step(STEP.updateInventory(group.center.id), () => ports.takeStock(order.id, group.items)),
        shipment: step(
          STEP.sendTo(group.center.id),
          () => ports.sendToCenter(order, group),
          () => steps.record(STEP.recordManualFulfillment(group.center.id), () => ports.recordManualFulfillment(order.id, group.center.id)),
        ),
      })),
    );
    if (centers === ABANDONED) return finish("abandoned");
    const shipments = centers.map((center) => center.shipment);
    const arrival = estimatedArrival(shipments, order.centers, order.orderedAt);
    view.show({ shipments, estimatedArrival: arrival });

    // Tell the customer ‖ record the order in their history.
    const told = await steps.together({
      confirmation: step(STEP.emailConfirmation, () => ports.sendEmail(order.id, order.email, confirmationEmail(order, arrival))),
      history: step(STEP.recordHistory, () => ports.recordHistory(order, shipments, arrival)),
    });
    return finish(told === ABANDONED ? "abandoned" : "completed");

    /** Paid as quoted, or failed. An async payment method is waited for once, then verified again. */
    async function verifyPayment(order: OrderSession, early: PaymentVerdict | undefined) {
      const verify = (afterAsyncSuccess: boolean) =>
        step(
          STEP.verifyPayment,
          async () => paymentVerdict(await ports.checkPayment(order), afterAsyncSuccess),
          async () => ({ outcome: "paid" as const }), // an operator confirmed the payment by hand
        );
      const first = early ?? (await steps.run(verify(false)));
      if (first === ABANDONED || first.outcome !== "pending") return first;
      const event = await waitForAsyncPayment(order);
      if (event.outcome === "failed") return { outcome: "failed" as const, reason: "the payment method was declined" };
      return steps.run(verify(true));
    }

    /** The order waits, durably, for the outcome Stripe reports through the webhook. */
    async function waitForAsyncPayment(order: OrderSession): Promise<PaymentEvent> {
      await steps.record(STEP.markAwaitingPayment, () => ports.setStatus(order.id, "awaiting_payment"));
      view.show({ status: "awaiting_payment" });
      const event = await asyncPaymentPromise(ctx);
      await steps.record(STEP.markProcessing, () => ports.setStatus(order.id, "processing"));
      view.show({ status: "processing" });
      return event;
    }
  }

  return restate.workflow({
    name: SERVICE.order,
    description: "Turns one paid Stripe checkout into a fulfilled, confirmed and recorded order.",
    handlers: {
      run: restate.handlers.workflow.workflow(
        { description: "Processes the order; the workflow key is the payment session id." },
        async (ctx: restate.WorkflowContext, input: OrderStart) => run(ctx, input),
      ),
      ...createOrderHandlers(ports),
    },
    options: {
      asTerminalError,
      // Keep the journal and the view readable for a week after the order ends.
      workflowRetention: { days: 7 },
      journalRetention: { days: 7 },
    },
  });
}

export type OrderWorkflow = ReturnType<typeof createOrderWorkflow>;
