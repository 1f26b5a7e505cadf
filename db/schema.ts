// The single source of truth for postpay's tables. Migrations in db/migrations are generated
// from this file with `npm run db:generate` and committed.
import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { DECISION_ACTIONS, DECISION_CHANNELS } from "../src/domain/decision.ts";
import { SHIPMENT_STATUSES } from "../src/domain/shipments.ts";
import { ORDER_STATUSES, type LineItemSnapshot, type ShipmentRecord } from "../src/domain/order.ts";
import type { ShipTo } from "../src/domain/ship-to.ts";

export const orderStatus = pgEnum("order_status", ORDER_STATUSES);
export const incidentStatus = pgEnum("incident_status", ["open", "resolved"]);
export const decisionAction = pgEnum("decision_action", DECISION_ACTIONS);
export const fulfillmentOutcome = pgEnum("fulfillment_outcome", ["accepted", "manual"]);
export const decisionChannel = pgEnum("decision_channel", DECISION_CHANNELS);
export const paymentOutcome = pgEnum("payment_outcome", ["succeeded", "failed"]);
export const shipmentStatus = pgEnum("shipment_status", SHIPMENT_STATUSES);

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();

export const centers = pgTable("centers", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  orderUrl: text("order_url").notNull(),
  leadTimeDays: integer("lead_time_days").notNull(),
});

export const products = pgTable(
  "products",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    priceCents: integer("price_cents").notNull(),
    currency: text("currency").notNull(),
    fulfillmentCenterId: text("fulfillment_center_id")
      .notNull()
      .references(() => centers.id),
    stock: integer("stock").notNull(),
  },
  (t) => [check("products_stock_never_negative", sql`${t.stock} >= 0`)],
);

export const paymentSessions = pgTable("payment_sessions", {
  id: text("id").primaryKey(),
  customerId: text("customer_id").notNull(),
  email: text("email").notNull(),
  items: jsonb("items").$type<LineItemSnapshot[]>().notNull(),
  amountTotal: integer("amount_total").notNull(),
  currency: text("currency").notNull(),
  stripeCheckoutSessionId: text("stripe_checkout_session_id").unique(),
  checkoutUrl: text("checkout_url"),
  /**
   * Where the order ships (personal data): given at checkout, or collected by Stripe's Checkout
   * and recorded when the payment is verified. Kept with the order for the shop's records.
   */
  shipTo: jsonb("ship_to").$type<ShipTo>(),
  createdAt: createdAt(),
});

/** One row per order (id = payment session id); status mirrors the workflow's for reporting. */
export const orders = pgTable(
  "orders",
  {
    id: text("id")
      .primaryKey()
      .references(() => paymentSessions.id),
    customerId: text("customer_id").notNull(),
    status: orderStatus("status").notNull(),
    failedStep: text("failed_step"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("orders_customer_idx").on(t.customerId)],
);

/** Stock moves, keyed by (order, product): written in the same transaction as the stock update. */
export const inventoryMovements = pgTable(
  "inventory_movements",
  {
    orderId: text("order_id").notNull(),
    productId: text("product_id")
      .notNull()
      .references(() => products.id),
    delta: integer("delta").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.productId] })],
);

/** Accepted fulfillment requests, keyed by (order, center). */
export const fulfillmentRequests = pgTable(
  "fulfillment_requests",
  {
    orderId: text("order_id").notNull(),
    centerId: text("center_id").notNull(),
    shipmentId: text("shipment_id"),
    estimatedArrival: date("estimated_arrival"),
    /** "accepted" from the center, or "manual" when an operator marked the step done by hand. */
    outcome: fulfillmentOutcome("outcome").notNull(),
    createdAt: createdAt(),
    // Where the shipment is, as its center's recorded events moved it (src/domain/shipments.ts).
    status: shipmentStatus("status").notNull().default("accepted"),
    carrier: text("carrier"),
    trackingNumber: text("tracking_number"),
    trackingUrl: text("tracking_url"),
    shippedAt: timestamp("shipped_at", { withTimezone: true }),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.centerId] })],
);

/** The customer's order history: one record per fulfilled order. */
export const orderHistory = pgTable(
  "order_history",
  {
    orderId: text("order_id").primaryKey(),
    customerId: text("customer_id").notNull(),
    items: jsonb("items").$type<LineItemSnapshot[]>().notNull(),
    amountTotal: integer("amount_total").notNull(),
    currency: text("currency").notNull(),
    shipments: jsonb("shipments").$type<ShipmentRecord[]>().notNull(),
    estimatedArrival: date("estimated_arrival"),
    recordedAt: createdAt(),
  },
  (t) => [index("order_history_customer_idx").on(t.customerId, t.recordedAt)],
);

/** Every customer email, keyed by (order, kind); sent over SMTP when configured. */
export const emailOutbox = pgTable(
  "email_outbox",
  {
    orderId: text("order_id").notNull(),
    kind: text("kind").notNull(),
    recipient: text("recipient").notNull(),
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    createdAt: createdAt(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.kind] })],
);

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

export const schema = {
  shipmentEvents,
  paymentEvents,
  centers,
  products,
  paymentSessions,
  orders,
  inventoryMovements,
  fulfillmentRequests,
  orderHistory,
  emailOutbox,
  incidents,
};
