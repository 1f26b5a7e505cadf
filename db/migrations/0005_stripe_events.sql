ALTER TYPE "public"."order_status" ADD VALUE 'expired';--> statement-breakpoint
ALTER TYPE "public"."order_status" ADD VALUE 'refunded';--> statement-breakpoint
CREATE TABLE "stripe_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"order_id" text NOT NULL,
	"object_id" text NOT NULL,
	"payment_intent_id" text,
	"charge_id" text,
	"amount" integer,
	"currency" text,
	"reason" text,
	"status" text,
	"livemode" boolean NOT NULL,
	"charge_amount" integer,
	"amount_refunded" integer,
	"after_hand_off" boolean NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "handed_off_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payment_events" ADD COLUMN "expired" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "payment_sessions" ADD COLUMN "stripe_payment_intent_id" text;--> statement-breakpoint
ALTER TABLE "payment_sessions" ADD COLUMN "stripe_charge_id" text;--> statement-breakpoint
ALTER TABLE "payment_sessions" ADD COLUMN "stripe_livemode" boolean;--> statement-breakpoint
CREATE INDEX "stripe_events_order_idx" ON "stripe_events" USING btree ("order_id","received_at");--> statement-breakpoint
ALTER TABLE "payment_sessions" ADD CONSTRAINT "payment_sessions_stripe_payment_intent_id_unique" UNIQUE("stripe_payment_intent_id");