// The words customers read. Pure: the workflow passes in everything, including the dates.
import type { Alert } from "./alerts.ts";
import type { OrderSession } from "./order.ts";
import type { Shipment } from "./shipments.ts";

/** Outbox keys, one email per (order, kind): support emails are keyed by their incident. */
export type EmailKind =
  | "confirmation"
  | "payment_problem"
  | "abandoned"
  | "refunded"
  | `support:${string}`
  | `shipped:${string}`
  | "delivered";
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

/** Refunded in Stripe before anything left: the order is cancelled, and the customer hears it once. */
export function refundedEmail(order: Pick<OrderSession, "id" | "amountTotal" | "currency">): EmailContent {
  return {
    kind: "refunded",
    subject: `Your order ${order.id} was cancelled and refunded`,
    body: [
      `Your order ${order.id} was cancelled and refunded (${money(order.amountTotal, order.currency)}), so nothing will ship.`,
      "The refund reaches your account in a few days, depending on your bank.",
    ].join("\n"),
  };
}

/** What the support team reads for every incident (SUPPORT_EMAIL): ids and links, no customer data. */
export function supportIncidentEmail(alert: Alert): EmailContent {
  return {
    kind: `support:${alert.incidentId}`,
    subject: `[postpay] order ${alert.orderId} needs a decision: "${alert.step}" failed`,
    body: [
      `Order ${alert.orderId} (customer ${alert.customerId}) is waiting for an operator.`,
      "",
      `Step: ${alert.step}`,
      `Error: ${alert.error}`,
      `Incident: ${alert.incidentId}${alert.openedAt ? `, opened ${alert.openedAt}` : ""}`,
      "",
      `Decide (retry, mark done by hand, abandon): ${alert.consoleUrl ?? alert.orderUrl}`,
      `Journal: ${alert.journalCommand}`,
    ].join("\n"),
  };
}

/**
 * What a customer hears when an operator abandons their order: a person will be in touch, and
 * which items were already with a fulfillment center (nothing is reversed by itself).
 */
export function abandonedEmail(order: Pick<OrderSession, "id" | "items">, handedToCenters: string[]): EmailContent {
  const list = (items: OrderSession["items"]) => items.map((i) => `  ${i.quantity} x ${i.name}`);
  const handed = order.items.filter((i) => handedToCenters.includes(i.fulfillmentCenterId));
  const notHanded = order.items.filter((i) => !handedToCenters.includes(i.fulfillmentCenterId));
  return {
    kind: "abandoned",
    subject: `Your order ${order.id} needs our attention`,
    body: [
      `Something went wrong with your order ${order.id}, and it needs a person to sort it out.`,
      "Our support team will be in touch with you about it.",
      ...(handed.length ? ["", "Already handed to our fulfillment center:", ...list(handed)] : []),
      ...(notHanded.length ? ["", "Not sent out:", ...list(notHanded)] : []),
    ].join("\n"),
  };
}

// After the hand-off: once per shipment when it leaves (`shipped:<centerId>`), once per order when
// every parcel has arrived (`delivered`).
export function shippedEmail(
  orderId: string,
  shipment: Pick<Shipment, "centerId" | "carrier" | "trackingNumber" | "trackingUrl">,
): EmailContent {
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
    body: [`Every parcel of your order ${orderId} has been delivered.`, "", "Thank you for shopping with us."].join(
      "\n",
    ),
  };
}
