// The order workflow: one durable run per payment session (workflow key = payment session id).
//
//   load payment session → verify payment with Stripe
//     not paid → email a payment-problem notice → payment_failed
//     pending (async method) → wait for async_payment_succeeded / _failed, verify again
//   the ship-to address: given at checkout, or collected by Stripe's Checkout
//   check before hand-off: refunded in Stripe → stop (refunded); a review → wait; fraud → a person
//   per fulfillment center, all at once: take stock ‖ send the order to the center
//   email the confirmation with the arrival date ‖ record the order history → completed
//   (after the hand-off, the order's Shipments object follows its parcels: shipments.ts)
//
// A step that fails after payment is never reversed: it becomes an incident, Slack and the support
// team hear of it, and the order waits (needs_attention) for an operator to retry, skip or abandon
// it. An abandoned order tells its customer a person will be in touch (order-phases.ts).
import * as restate from "@restatedev/restate-sdk";
import { headStartVerdict, isFinal, OrderStartSchema, type OrderStart } from "../src/domain/order.ts";
import type { OrderResult } from "../src/domain/order-view.ts";
import { SERVICE, STEP } from "./durable.ts";
import { createEscalation, type EscalationPolicy } from "./escalation.ts";
import { checkBeforeHandOff } from "./hand-off-gate.ts";
import { createLiveView } from "./live-view.ts";
import { createOrderHandlers } from "./order-handlers.ts";
import { confirmAndRecord, emailPaymentProblem, handOff, shipToOf } from "./order-phases.ts";
import { asTerminalError, type OrderPorts } from "./ports.ts";
import type { ShipmentPolicy } from "./shipments.ts";
import { createStepRunner, step, type StepPolicy } from "./step-runner.ts";
import { verifyPayment } from "./verify-payment.ts";

export type WorkflowPolicy = { steps: StepPolicy; escalation: EscalationPolicy; shipments: ShipmentPolicy };

export function createOrderWorkflow(ports: OrderPorts, policy: WorkflowPolicy) {
  async function run(ctx: restate.WorkflowContext, start: OrderStart): Promise<OrderResult> {
    const view = createLiveView(ctx);
    const escalation = createEscalation(ctx, view, ports, policy.escalation);
    const steps = createStepRunner(ctx, view, policy.steps, escalation, ports);
    const hint = start.payment;

    // The webhook names the checkout it verified, so Stripe is asked while the order loads.
    const [order, headStart] = await steps.recordWithHeadStart(
      STEP.loadPaymentSession,
      () => ports.beginOrder(ctx.key),
      hint && step(STEP.verifyPayment, () => ports.checkPayment({ id: ctx.key, ...hint })),
    );
    if (!order) throw new restate.TerminalError(`unknown payment session ${ctx.key}`, { errorCode: 404 });
    view.noteOrder(order);
    // An order that ended stays ended: a run started again once Restate has forgotten the first
    // one (its retention is a week; anyone on the ingress can start a run) acts no more. A center
    // may remember an Idempotency-Key for less time than that.
    if (order.storedStatus && isFinal(order.storedStatus)) return view.finish(order.storedStatus);

    const run = { ctx, ports, view, steps };
    return steps.toFinalStatus(
      async () => {
        const payment = await verifyPayment(run, order, headStartVerdict(order, hint, headStart));
        view.publish(); // payment settled: the order shows its progress from here
        if (payment.outcome === "expired") return "expired"; // the checkout expired unpaid: nothing to do
        if (payment.outcome === "failed") {
          await emailPaymentProblem(run, order, payment.reason);
          return "payment_failed";
        }
        const shipTo = await shipToOf(run, order, payment);
        if ((await checkBeforeHandOff(run, order)) === "refunded") return "refunded";
        const shipments = await handOff(run, order, shipTo, policy.shipments.deadlineMs);
        await confirmAndRecord(run, order, shipments);
        return "completed";
      },
      () => ports.emailAbandonNotice(order),
    );
  }

  return restate.workflow({
    name: SERVICE.order,
    description: "Turns one paid Stripe checkout into a fulfilled, confirmed and recorded order.",
    handlers: {
      run: restate.handlers.workflow.workflow(
        {
          description: "Processes the order; the workflow key is the payment session id.",
          // The schema takes any input, none included, so the SDK would announce a handler that
          // takes no body: `accept` keeps JSON what the ingress lets through, as before.
          input: restate.serde.schema(OrderStartSchema),
          accept: "application/json",
        },
        run,
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
