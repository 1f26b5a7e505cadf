CREATE TYPE "public"."decision_action" AS ENUM('retry', 'skip', 'abandon');--> statement-breakpoint
CREATE TYPE "public"."fulfillment_outcome" AS ENUM('accepted', 'manual');--> statement-breakpoint
CREATE TYPE "public"."incident_status" AS ENUM('open', 'resolved');--> statement-breakpoint
CREATE TYPE "public"."order_status" AS ENUM('processing', 'awaiting_payment', 'needs_attention', 'completed', 'payment_failed', 'abandoned');--> statement-breakpoint
ALTER TABLE "fulfillment_requests" ALTER COLUMN "outcome" SET DATA TYPE "public"."fulfillment_outcome" USING "outcome"::"public"."fulfillment_outcome";--> statement-breakpoint
ALTER TABLE "incidents" ALTER COLUMN "status" SET DATA TYPE "public"."incident_status" USING "status"::"public"."incident_status";--> statement-breakpoint
ALTER TABLE "incidents" ALTER COLUMN "resolution" SET DATA TYPE "public"."decision_action" USING "resolution"::"public"."decision_action";--> statement-breakpoint
ALTER TABLE "orders" ALTER COLUMN "status" SET DATA TYPE "public"."order_status" USING "status"::"public"."order_status";