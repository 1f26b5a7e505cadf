CREATE TYPE "public"."decision_channel" AS ENUM('admin-api', 'console', 'slack');--> statement-breakpoint
CREATE TYPE "public"."payment_outcome" AS ENUM('succeeded', 'failed');--> statement-breakpoint
CREATE TABLE "payment_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"outcome" "payment_outcome" NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "decided_by" text;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "decided_via" "decision_channel";--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "decided_at" timestamp with time zone;