// The order's phases after payment, each a few named steps, for order-workflow.ts to read as the
// business process. Every step is a ctx.run named in durable.ts.
import * as restate from "@restatedev/restate-sdk";
import { confirmationEmail, paymentProblemEmail } from "../src/domain/emails.ts";
import { estimatedArrival, groupByCenter, type OrderSession, type ShipmentRecord } from "../src/domain/order.ts";
import type { ShipTo } from "../src/domain/ship-to.ts";
import { SERVICE, STEP } from "./durable.ts";
import type { Shipments } from "./shipments.ts";
import { step } from "./step-runner.ts";
import type { OrderRun, SettledPayment } from "./verify-payment.ts";

/** The customer hears that the payment could not be confirmed. */
export const emailPaymentProblem = ({ ports, steps }: OrderRun, order: OrderSession, reason: string) =>
  steps.run(
    step(STEP.emailPaymentProblem, () => ports.sendEmail(order.id, order.email, paymentProblemEmail(order, reason))),
  );

/**
 * Given at checkout, else collected by Stripe's Checkout and journaled with the payment verdict.
 * None at all is for a person: retry once an address is stored, or done by hand (they settled it
 * with the centers, which then get none from us). Never a guess.
 */
export async function shipToOf({ ports, steps }: OrderRun, order: OrderSession, payment: SettledPayment) {
  const collected = payment.outcome === "paid" ? payment.shipTo : undefined;
  return (
    order.shipTo ??
    collected ??
    (await steps.run(
      step<ShipTo | null>(
        STEP.findShipTo,
        () => ports.findShipTo(order),
        async () => null,
      ),
    ))
  );
}

/**
 * Per center, all at once: take stock ‖ send the order to the center. Then the order's Shipments
 * object is asked to look for centers gone silent once the deadline has passed: one delayed
 * one-way call, a durable timer in restate-server. A replay does not compare the call's delay (its
 * invoke time; restatedev/sdk-shared-core, OneWayCallCommandMessage's header_eq), so orders replay
 * across a changed SHIPMENT_DEADLINE and across the earlier watch sent without a delay.
 */
export async function handOff(
  run: OrderRun,
  order: OrderSession,
  shipTo: ShipTo | null,
  deadlineMs: number,
): Promise<ShipmentRecord[]> {
  const { ctx, ports, steps, view } = run;
  const centers = await steps.all(
    groupByCenter(order.items, order.centers).map(({ center, items }) => ({
      stock: step(STEP.updateInventory(center.id), () => ports.takeStock(order.id, items)),
      shipment: step(
        STEP.sendTo(center.id),
        () => ports.sendToCenter(order, { center, items }, shipTo),
        () =>
          steps.record(STEP.recordManualFulfillment(center.id), () =>
            ports.recordManualFulfillment(order.id, center.id),
          ),
      ),
    })),
  );
  ctx
    .objectSendClient<Shipments>({ name: SERVICE.shipments }, order.id)
    .watch(restate.rpc.sendOpts({ delay: deadlineMs }));
  const shipments = centers.map((center) => center.shipment);
  // Shown with the next publish (the order's end, or an incident): one journal entry fewer.
  view.note({ shipments, estimatedArrival: estimatedArrival(shipments, order.centers, order.orderedAt) });
  return shipments;
}

/** Tell the customer (confirmed, with the arrival date) ‖ record the order in their history. */
export async function confirmAndRecord({ ports, steps }: OrderRun, order: OrderSession, shipments: ShipmentRecord[]) {
  const arrival = estimatedArrival(shipments, order.centers, order.orderedAt);
  await steps.together({
    confirmation: step(STEP.emailConfirmation, () =>
      ports.sendEmail(order.id, order.email, confirmationEmail(order, arrival)),
    ),
    history: step(STEP.recordHistory, () => ports.recordHistory(order, shipments, arrival)),
  });
}
