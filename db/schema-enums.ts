// The schema's enums (Postgres types) and shared column shapes; the value lists come from the domain.
import { pgEnum, timestamp } from "drizzle-orm/pg-core";
import { DECISION_ACTIONS, DECISION_CHANNELS } from "../src/domain/decision.ts";
import { ORDER_STATUSES } from "../src/domain/order.ts";
import { SHIPMENT_STATUSES } from "../src/domain/shipments.ts";

export const orderStatus = pgEnum("order_status", ORDER_STATUSES);
export const incidentStatus = pgEnum("incident_status", ["open", "resolved"]);
export const decisionAction = pgEnum("decision_action", DECISION_ACTIONS);
export const fulfillmentOutcome = pgEnum("fulfillment_outcome", ["accepted", "manual"]);
export const decisionChannel = pgEnum("decision_channel", DECISION_CHANNELS);
export const paymentOutcome = pgEnum("payment_outcome", ["succeeded", "failed"]);
export const shipmentStatus = pgEnum("shipment_status", SHIPMENT_STATUSES);

export const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
