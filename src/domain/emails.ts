// The words customers read. Pure: the workflow passes in everything, including the dates.
import type { OrderSession } from "./order.ts";
import type { Shipment } from "./shipments.ts";

/** The outbox key of an email, with its order: one email per kind and order, ever. */
export type EmailKind = "confirmation" | "payment_problem" | `shipped:${string}` | "delivered";
export type EmailContent = { kind: EmailKind; subject: string; body: string };

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;

export function confirmationEmail(order: OrderSession, arrival: string): EmailContent {
  const lines = order.items.map((i) => `  ${i.quantity} x ${i.name}`).join("\n");
  return {
    kind: "confirmation",
    subject: `Your order ${order.id} is confirmed`,
    body: [
      `Thank you for your order ${order.id}.`,
      "",
      lines,
      "",
      `Total paid: ${money(order.amountTotal, order.currency)}`,
      `Estimated arrival: ${arrival}`,
    ].join("\n"),
  };
}

export function paymentProblemEmail(order: OrderSession, reason: string): EmailContent {
  return {
    kind: "payment_problem",
    subject: `We could not confirm the payment for order ${order.id}`,
    body: [
      `The payment for your order ${order.id} could not be confirmed, so the order was not placed.`,
      `Reason: ${reason}.`,
      "Nothing will ship. You can place the order again with another payment method.",
    ].join("\n"),
  };
}

// After the hand-off: once per shipment when it leaves (`shipped:<centerId>`), once per order when
// every parcel has arrived (`delivered`).
export function shippedEmail(orderId: string, shipment: Pick<Shipment, "centerId" | "carrier" | "trackingNumber" | "trackingUrl">): EmailContent {
  const tracked = shipment.trackingNumber
    ? [`Carrier: ${shipment.carrier ?? "not given"}`, `Tracking number: ${shipment.trackingNumber}`]
    : ["The center gave no tracking number for this parcel."];
  return {
    kind: `shipped:${shipment.centerId}`,
    subject: `A parcel of your order ${orderId} has shipped`,
    body: [
      `A parcel of your order ${orderId} has shipped from ${shipment.centerId}.`,
      "",
      ...tracked,
      ...(shipment.trackingUrl ? [`Track it: ${shipment.trackingUrl}`] : []),
    ].join("\n"),
  };
}

export function deliveredEmail(orderId: string): EmailContent {
  return {
    kind: "delivered",
    subject: `Your order ${orderId} has been delivered`,
    body: [`Every parcel of your order ${orderId} has been delivered.`, "", "Thank you for shopping with us."].join("\n"),
  };
}
