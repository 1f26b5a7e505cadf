// The order's payment, verified: Stripe's head start when the order may act on it, else the
// "verify payment" step; an async payment method is waited for, durably, then verified again.
import type * as restate from "@restatedev/restate-sdk";
import { paymentVerdict, type OrderSession, type PaymentVerdict } from "../src/domain/order.ts";
import type { PaymentEvent } from "../src/domain/stripe-events.ts";
import { asyncPaymentPromise, STEP } from "./durable.ts";
import type { LiveView } from "./live-view.ts";
import type { OrderPorts } from "./ports.ts";
import { step, type StepRunner } from "./step-runner.ts";

/** What one order's run works with. */
export type OrderRun = { ctx: restate.WorkflowContext; ports: OrderPorts; view: LiveView; steps: StepRunner };

/** What verifyPayment settles on: paid as quoted (with the address Checkout collected), or failed. */
export type SettledPayment = Awaited<ReturnType<typeof verifyPayment>>;

/** Paid as quoted, or failed. An async payment method is waited for once, then verified again. */
export async function verifyPayment(run: OrderRun, order: OrderSession, headStart: PaymentVerdict | undefined) {
  const verify = (afterAsyncSuccess: boolean) =>
    step(
      STEP.verifyPayment,
      async () => paymentVerdict(await run.ports.checkPayment(order), afterAsyncSuccess),
      async () => ({ outcome: "paid" as const }), // an operator confirmed the payment by hand
    );
  const first = headStart ?? (await run.steps.run(verify(false)));
  if (first.outcome !== "pending") return first;
  const event = await waitForAsyncPayment(run, order);
  if (event.expired) return { outcome: "expired" as const }; // recorded from checkout.session.expired
  if (event.outcome === "failed") return { outcome: "failed" as const, reason: "the payment method was declined" };
  return run.steps.run(verify(true));
}

/** The order waits, durably, for the outcome Stripe reports through the webhook. */
async function waitForAsyncPayment({ ctx, ports, view, steps }: OrderRun, order: OrderSession): Promise<PaymentEvent> {
  await steps.record(STEP.markAwaitingPayment, () => ports.setStatus(order.id, "awaiting_payment"));
  view.show({ status: "awaiting_payment" });
  const event = await asyncPaymentPromise(ctx);
  await steps.record(STEP.markProcessing, () => ports.setStatus(order.id, "processing"));
  view.show({ status: "processing" });
  return event;
}
