// The single source of truth for postpay's tables, with db/schema-enums.ts (the enums) and
// db/schema-signals.ts (recorded outside news and incidents). Migrations in db/migrations are
// generated from the three with `npm run db:generate` and committed.
import { sql } from "drizzle-orm";
import { boolean, check, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import type { LineItemSnapshot, ShipmentRecord } from "../src/domain/order.ts";
import type { ShipTo } from "../src/domain/ship-to.ts";
import { createdAt, fulfillmentOutcome, orderStatus, shipmentStatus } from "./schema-enums.ts";
import * as signals from "./schema-signals.ts";

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
  // The payment's ids, recorded when it is verified: later Stripe events name them, operators follow
  // them to the Dashboard (live or test mode, as Stripe said).
  stripePaymentIntentId: text("stripe_payment_intent_id").unique(),
  stripeChargeId: text("stripe_charge_id"),
  stripeLivemode: boolean("stripe_livemode"),
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
    /** Set once by the hand-off gate, in the transaction that found nothing holding the order (db/stripe-events.ts). */
    handedOffAt: timestamp("handed_off_at", { withTimezone: true }),
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

export const schema = {
  ...signals,
  centers,
  products,
  paymentSessions,
  orders,
  inventoryMovements,
  fulfillmentRequests,
  orderHistory,
  emailOutbox,
};
