// The exactly-once check of a run of many orders (the counts test/crash/exactly-once.test.ts
// makes): per order, one stock move per product, one accepted request per center and the shipment
// recorded is the center's, one confirmation email (distinct Message-ID) and outbox row, one
// history record; per product, stock down by exactly what was sold. Returns the problems found
// and a report of the counts to print.
import type { Db } from "../../db/client.ts";
import { emailOutbox, fulfillmentRequests, inventoryMovements, orderHistory, products } from "../../db/schema.ts";
import { shipmentEvents } from "../../db/schema-signals.ts";
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

/** One (order, center) shipment and the events its center sent about it (each id once, however often it was sent). */
export type SentShipment = { orderId: string; centerId: string; eventIds: string[] };

/**
 * The exactly-once check of shipment events that arrived twice and out of order: every shipment
 * delivered; one `shipped:<center>` email per shipment and one `delivered` email per order whose
 * every center had it (outbox rows exactly once; on the wire, as for confirmations, at least once
 * with one Message-ID); one `shipment_events` row per event id, each applied.
 */
export async function shipmentsCheck(run: {
  db: Db;
  smtp: SmtpSink;
  shipments: SentShipment[];
  /** Orders whose every center was handed the order: only they get a "delivered" email. */
  wholeOrders: Set<string>;
}) {
  const { db, shipments } = run;
  const [rows, outbox, events] = await Promise.all([
    db.select().from(fulfillmentRequests),
    db.select().from(emailOutbox),
    db.select().from(shipmentEvents),
  ]);
  const mails = run.smtp.received;
  const problems: string[] = [];
  const outboxRows = (orderId: string, kind: string) =>
    outbox.filter((e) => e.orderId === orderId && e.kind === kind).length;
  // Emails found by what they say, so a resend under another Message-ID would count as a second email.
  const shippedMails = (orderId: string, centerId: string) =>
    mails.filter((m) => m.text.includes(`order ${orderId} has shipped from ${centerId}.`));
  const deliveredMails = (orderId: string) =>
    mails.filter((m) => m.text.includes(`Every parcel of your order ${orderId} has been delivered.`));
  const distinct = (ms: typeof mails) => new Set(ms.map((m) => m.messageId)).size;
  /** At least one on the wire, and one email: a single Message-ID however often it was sent. */
  const once = (what: string, ms: typeof mails, want: number) => {
    if (want === 1 ? ms.length === 0 || distinct(ms) !== 1 : ms.length !== 0)
      problems.push(`${what}: ${distinct(ms)} emails (${ms.length} SMTP deliveries), expected ${want}`);
  };

  for (const s of shipments) {
    const at = `${s.orderId} at ${s.centerId}`;
    const row = rows.find((r) => r.orderId === s.orderId && r.centerId === s.centerId);
    if (row?.status !== "delivered") problems.push(`${at}: shipment ${row?.status ?? "missing"}, expected delivered`);
    const kind = `shipped:${s.centerId}`;
    if (outboxRows(s.orderId, kind) !== 1) problems.push(`${at}: ${outboxRows(s.orderId, kind)} ${kind} outbox rows`);
    once(`${at}: shipped`, shippedMails(s.orderId, s.centerId), 1);
    for (const eventId of s.eventIds) {
      const recorded = events.filter((e) => e.centerId === s.centerId && e.eventId === eventId);
      if (recorded.length !== 1) problems.push(`${at}: ${recorded.length} rows for event ${eventId}`);
      else if (!recorded[0]!.appliedAt) problems.push(`${at}: event ${eventId} recorded, never applied`);
    }
  }
  for (const orderId of new Set(shipments.map((s) => s.orderId))) {
    const want = run.wholeOrders.has(orderId) ? 1 : 0;
    if (outboxRows(orderId, "delivered") !== want)
      problems.push(`${orderId}: ${outboxRows(orderId, "delivered")} delivered outbox rows, expected ${want}`);
    once(`${orderId}: delivered`, deliveredMails(orderId), want);
  }
  const allShipped = mails.filter((m) => / has shipped from /.test(m.text));
  const allDelivered = mails.filter((m) => m.text.startsWith("Every parcel of your order"));
  const counts = {
    shipments: shipments.length,
    "shipments delivered": rows.filter((r) => r.status === "delivered").length,
    "shipment events (distinct ids)": shipments.reduce((n, s) => n + s.eventIds.length, 0),
    "shipment_events rows": events.length,
    "shipped emails (distinct Message-ID)": distinct(allShipped),
    "shipped emails (SMTP deliveries)": allShipped.length,
    "shipped outbox rows": outbox.filter((e) => e.kind.startsWith("shipped:")).length,
    "delivered emails (distinct Message-ID)": distinct(allDelivered),
    "delivered emails (SMTP deliveries)": allDelivered.length,
    "delivered outbox rows": outbox.filter((e) => e.kind === "delivered").length,
    "orders expecting a delivered email": run.wholeOrders.size,
    problems: problems.length,
  };
  return { problems, counts };
}
