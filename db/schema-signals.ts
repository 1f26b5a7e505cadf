// The tables that record news from outside (Stripe's and the centers' verified events) and what
// operators decide (incidents), before anything acts on them. Part of the schema (db/schema.ts);
// migrations are generated from both files.
import { boolean, index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import {
  createdAt,
  decisionAction,
  decisionChannel,
  incidentStatus,
  paymentOutcome,
  shipmentStatus,
} from "./schema-enums.ts";

/** A failed step after payment, waiting for (or settled by) an operator. */
export const incidents = pgTable(
  "incidents",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id").notNull(),
    customerId: text("customer_id").notNull(),
    step: text("step").notNull(),
    error: text("error").notNull(),
    /** Set: the incident is about that center's shipment (the Shipments object decides it); null: about the order's workflow. */
    centerId: text("center_id"),
    status: incidentStatus("status").notNull(),
    /** The decision, written by the HTTP app for the operator it authenticated; the workflow acts on it. */
    resolution: decisionAction("resolution"),
    note: text("note"),
    decidedBy: text("decided_by"),
    decidedVia: decisionChannel("decided_via"),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    createdAt: createdAt(),
    /** When the workflow took the decision up. */
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  },
  (t) => [index("incidents_open_idx").on(t.status, t.createdAt), index("incidents_order_idx").on(t.orderId)],
);

/**
 * Async payment outcomes from Stripe events whose signature the HTTP app verified. The workflow
 * acts only on outcomes recorded here, so a forged event sent straight to Restate changes nothing.
 */
export const paymentEvents = pgTable("payment_events", {
  eventId: text("event_id").primaryKey(),
  orderId: text("order_id").notNull(),
  outcome: paymentOutcome("outcome").notNull(),
  /** A failure that is a checkout.session.expired: the order waiting for it ends `expired`. */
  expired: boolean("expired").notNull().default(false),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Shipment events from centers whose signature the HTTP app verified, once per (center, event id).
 * The Shipments object acts only on events recorded here. `appliedAt`/`changed` remember what
 * applying the event did, so applying it again (a retried step) answers the same.
 */
export const shipmentEvents = pgTable(
  "shipment_events",
  {
    centerId: text("center_id").notNull(),
    eventId: text("event_id").notNull(),
    orderId: text("order_id").notNull(),
    status: shipmentStatus("status").notNull(),
    carrier: text("carrier"),
    trackingNumber: text("tracking_number"),
    trackingUrl: text("tracking_url"),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    note: text("note"),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    appliedAt: timestamp("applied_at", { withTimezone: true }),
    changed: boolean("changed"),
  },
  (t) => [primaryKey({ columns: [t.centerId, t.eventId] }), index("shipment_events_order_idx").on(t.orderId)],
);

/**
 * Stripe's news after checkout (refunds, disputes, early fraud warnings, reviews; the types in
 * src/domain/stripe-signals.ts), recorded once per event id after the signature was verified and
 * what could be stale was re-read from Stripe. `after_hand_off` is decided in the transaction that
 * locks the order's payment session row, as the hand-off gate does: every signal is either seen by
 * the gate or knows it came after the hand-off.
 */
export const stripeEvents = pgTable(
  "stripe_events",
  {
    eventId: text("event_id").primaryKey(),
    type: text("type").notNull(),
    orderId: text("order_id").notNull(),
    objectId: text("object_id").notNull(),
    paymentIntentId: text("payment_intent_id"),
    chargeId: text("charge_id"),
    amount: integer("amount"),
    currency: text("currency"),
    reason: text("reason"),
    status: text("status"),
    livemode: boolean("livemode").notNull(),
    chargeAmount: integer("charge_amount"),
    amountRefunded: integer("amount_refunded"),
    afterHandOff: boolean("after_hand_off").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("stripe_events_order_idx").on(t.orderId, t.receivedAt)],
);
