// The words customers read. Pure: the workflow passes in everything, including the dates.
import type { OrderSession } from "./order.ts";

export type EmailKind = "confirmation" | "payment_problem";
export type EmailContent = { kind: EmailKind; subject: string; body: string };

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;

export function confirmationEmail(order: OrderSession, arrival: string): EmailContent {
  const lines = order.items.map((i) => `  ${i.quantity} x ${i.name}`).join("\n");
  return {
    kind: "confirmation",
    subject: `Your order ${order.id} is on its way`,
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
