// The hand-off gate: the last step before any stock is taken or any center hears of the order. One
// bookkeeping transaction (db/stripe-events.ts) reads what Stripe said about the payment since
// checkout, as recorded by the webhook, and marks the order handed off if nothing holds it. The
// webhook records each refund, review and fraud warning under the same row lock, so each one is
// either seen here or knows it came after the hand-off (then the Shipments object opens an incident).
//
//   a full refund          → the customer hears once that the order was cancelled and refunded → refunded
//   a partial refund, an early fraud warning, a review closed other than `approved`
//                          → the step fails: an incident (retry checks again, done by hand ships
//                            anyway, abandon stops the order)
//   an open Radar review   → the order waits, durably, for its review.closed, then checks again
import { refundedEmail } from "../src/domain/emails.ts";
import type { OrderSession } from "../src/domain/order.ts";
import type { GateVerdict } from "../src/domain/stripe-signals.ts";
import { reviewPromise, STEP } from "./durable.ts";
import { step } from "./step-runner.ts";
import type { OrderRun } from "./verify-payment.ts";

/** "go": the order is handed off now; "refunded": it stops here, nothing sent, nothing stocked. */
export async function checkBeforeHandOff(run: OrderRun, order: OrderSession): Promise<"go" | "refunded"> {
  const { ctx, ports, steps, view } = run;
  for (;;) {
    const gate = await steps.run(
      step<GateVerdict>(
        STEP.checkBeforeHandOff,
        () => ports.checkBeforeHandOff(order.id),
        // "Done by hand" on a hold: ship anyway, in the same transaction (a full refund still stops it).
        () => steps.record(STEP.handOffAnyway, () => ports.checkBeforeHandOff(order.id, { shipAnyway: true })),
      ),
    );
    if (gate.verdict === "review") {
      view.publish(); // the order shows it was checked and is held
      // Completed by the reviewClosed handler, from a recorded review.closed only; then check again.
      await reviewPromise(ctx, gate.reviewId);
      continue;
    }
    if (gate.verdict === "refunded") {
      await steps.run(step(STEP.emailRefunded, () => ports.sendEmail(order.id, order.email, refundedEmail(order))));
    }
    return gate.verdict;
  }
}
