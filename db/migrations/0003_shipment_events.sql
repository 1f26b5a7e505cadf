CREATE TYPE "public"."shipment_status" AS ENUM('accepted', 'shipped', 'delivered', 'exception');--> statement-breakpoint
CREATE TABLE "shipment_events" (
	"center_id" text NOT NULL,
	"event_id" text NOT NULL,
	"order_id" text NOT NULL,
	"status" "shipment_status" NOT NULL,
	"carrier" text,
	"tracking_number" text,
	"tracking_url" text,
	"occurred_at" timestamp with time zone NOT NULL,
	"note" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"applied_at" timestamp with time zone,
	"changed" boolean,
	CONSTRAINT "shipment_events_center_id_event_id_pk" PRIMARY KEY("center_id","event_id")
);
--> statement-breakpoint
ALTER TABLE "fulfillment_requests" ADD COLUMN "status" "shipment_status" DEFAULT 'accepted' NOT NULL;--> statement-breakpoint
ALTER TABLE "fulfillment_requests" ADD COLUMN "carrier" text;--> statement-breakpoint
ALTER TABLE "fulfillment_requests" ADD COLUMN "tracking_number" text;--> statement-breakpoint
ALTER TABLE "fulfillment_requests" ADD COLUMN "tracking_url" text;--> statement-breakpoint
ALTER TABLE "fulfillment_requests" ADD COLUMN "shipped_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "fulfillment_requests" ADD COLUMN "delivered_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "fulfillment_requests" ADD COLUMN "updated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "center_id" text;--> statement-breakpoint
CREATE INDEX "shipment_events_order_idx" ON "shipment_events" USING btree ("order_id");