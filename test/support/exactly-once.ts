// The exactly-once check of a run of many orders (the counts test/crash/exactly-once.test.ts
// makes): per order, one stock move per product, one accepted request per center and the shipment
// recorded is the center's, one confirmation email (distinct Message-ID) and outbox row, one
// history record; per product, stock down by exactly what was sold. Returns the problems found
// and a report of the counts to print.
import type { Db } from "../../db/client.ts";
import { emailOutbox, fulfillmentRequests, inventoryMovements, orderHistory, products } from "../../db/schema.ts";
import type { FulfillmentCenters } from "../../dev/fulfillment-centers.ts";
import type { SmtpSink } from "../../dev/smtp-sink.ts";

export type PlacedOrder = { id: string; items: { productId: string; quantity: number }[] };

export async function exactlyOnceCheck(run: {
  db: Db;
  centers: FulfillmentCenters;
  smtp: SmtpSink;
  orders: PlacedOrder[];
  /** Final status per order id, as the app reported it. */
  final: Map<string, string>;
  centerOf: (productId: string) => string;
  initialStock: number;
  /** Where a failure was injected: such an order waits for an operator (default: none). */
  rejected?: (order: PlacedOrder) => boolean;
  /** A center that rejects every order: nothing is accepted there (default: none). */
  rejecting?: (centerId: string) => boolean;
}) {
  const rejected = run.rejected ?? (() => false);
  const rejecting = run.rejecting ?? (() => false);
  const { db, orders, final } = run;
  const [moves, shipments, outbox, history, stock] = await Promise.all([
    db.select().from(inventoryMovements),
    db.select().from(fulfillmentRequests),
    db.select().from(emailOutbox),
    db.select().from(orderHistory),
    db.select().from(products),
  ]);
  const accepted = run.centers.accepted();
  const mails = run.smtp.received;
  const problems: string[] = [];
  const count = <T>(rows: T[], pred: (r: T) => boolean) => rows.filter(pred).length;

  for (const o of orders) {
    const expected = rejected(o) ? "needs_attention" : "completed";
    if (final.get(o.id) !== expected) problems.push(`${o.id}: ${final.get(o.id)}, expected ${expected}`);
    for (const item of o.items) {
      const n = count(moves, (m) => m.orderId === o.id && m.productId === item.productId);
      if (n !== 1) problems.push(`${o.id}: ${n} stock moves for ${item.productId}`);
    }
    for (const center of new Set(o.items.map((i) => run.centerOf(i.productId)))) {
      const atCenter = accepted.filter((a) => a.order.orderId === o.id && a.centerId === center);
      const want = rejecting(center) ? 0 : 1;
      if (atCenter.length !== want) problems.push(`${o.id}: ${atCenter.length} accepted requests at ${center}`);
      const ours = shipments.find((s) => s.orderId === o.id && s.centerId === center);
      if (want && ours?.shipmentId !== atCenter[0]?.shipmentId)
        problems.push(`${o.id}: recorded shipment differs from ${center}'s`);
    }
    const wantDone = expected === "completed" ? 1 : 0;
    const confirmations = new Set(
      mails.filter((m) => m.messageId === `<${o.id}.confirmation@postpay>`).map((m) => m.messageId),
    ).size;
    if (confirmations !== wantDone) problems.push(`${o.id}: ${confirmations} confirmation emails`);
    if (count(outbox, (e) => e.orderId === o.id && e.kind === "confirmation") !== wantDone)
      problems.push(`${o.id}: confirmation outbox rows`);
    if (count(history, (r) => r.orderId === o.id) !== wantDone) problems.push(`${o.id}: history records`);
  }
  for (const p of stock) {
    const sold = orders
      .flatMap((o) => o.items)
      .filter((i) => i.productId === p.id)
      .reduce((s, i) => s + i.quantity, 0);
    if (p.stock !== run.initialStock - sold)
      problems.push(`${p.id}: stock ${p.stock}, expected ${run.initialStock - sold}`);
  }

  const confirmationMails = mails.filter((m) => m.messageId.endsWith(".confirmation@postpay>"));
  const counts = {
    orders: orders.length,
    completed: [...final.values()].filter((s) => s === "completed").length,
    needs_attention: [...final.values()].filter((s) => s === "needs_attention").length,
    "stock moves": moves.length,
    "stock moves expected": orders.reduce((s, o) => s + o.items.length, 0),
    "accepted fulfillment requests": accepted.length,
    "fulfillment POSTs received (with retries)": run.centers.deliveries(),
    "confirmation emails (distinct Message-ID)": new Set(confirmationMails.map((m) => m.messageId)).size,
    "confirmation emails (SMTP deliveries)": confirmationMails.length,
    "history records": history.length,
    problems: problems.length,
  };
  return { problems, counts };
}

export const formatReport = (title: string, rows: Record<string, string | number>) =>
  `${title}:\n${Object.entries(rows)
    .map(([k, v]) => `  ${k.padEnd(60)} ${v}`)
    .join("\n")}`;
