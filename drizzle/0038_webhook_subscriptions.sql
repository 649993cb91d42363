CREATE TABLE "webhook_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"delivery_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"ok" boolean NOT NULL,
	"http_status" integer,
	"duration_ms" integer NOT NULL,
	"error" text,
	CONSTRAINT "webhook_attempts_attempt_positive" CHECK ("webhook_attempts"."attempt" >= 1),
	CONSTRAINT "webhook_attempts_error_length" CHECK ("webhook_attempts"."error" is null or length("webhook_attempts"."error") <= 500)
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"subscription_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempt_count" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"schedule_started_at" timestamp with time zone,
	"last_attempt_at" timestamp with time zone,
	"last_http_status" integer,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_deliveries_status_check" CHECK ("webhook_deliveries"."status" in ('pending', 'failed', 'succeeded', 'dead')),
	CONSTRAINT "webhook_deliveries_attempts_nonneg" CHECK ("webhook_deliveries"."attempt_count" >= 0),
	CONSTRAINT "webhook_deliveries_error_length" CHECK ("webhook_deliveries"."last_error" is null or length("webhook_deliveries"."last_error") <= 500)
);
--> statement-breakpoint
CREATE TABLE "webhook_subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"url" text NOT NULL,
	"description" text,
	"event_types" text[] NOT NULL,
	"secret_ciphertext" "bytea" NOT NULL,
	"secret_iv" "bytea" NOT NULL,
	"secret_tag" "bytea" NOT NULL,
	"secret_key_id" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"disabled_at" timestamp with time zone,
	"disabled_reason" text,
	"cursor_txid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"cursor_seq" bigint DEFAULT 0 NOT NULL,
	"failure_streak" integer DEFAULT 0 NOT NULL,
	"failing_since" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_subscriptions_url_http" CHECK ("webhook_subscriptions"."url" ~ '^https?://[^\s]+$'),
	CONSTRAINT "webhook_subscriptions_has_types" CHECK (cardinality("webhook_subscriptions"."event_types") >= 1),
	CONSTRAINT "webhook_subscriptions_disabled_has_time" CHECK ("webhook_subscriptions"."enabled" = ("webhook_subscriptions"."disabled_at" is null)),
	CONSTRAINT "webhook_subscriptions_streak_nonneg" CHECK ("webhook_subscriptions"."failure_streak" >= 0)
);
--> statement-breakpoint
ALTER TABLE "alert_deliveries" DROP CONSTRAINT "alert_deliveries_event_check";--> statement-breakpoint
ALTER TABLE "alert_notifications" DROP CONSTRAINT "alert_notifications_event_check";--> statement-breakpoint
ALTER TABLE "alert_notifications" DROP CONSTRAINT "alert_notifications_has_alerts";--> statement-breakpoint
ALTER TABLE "alert_notifications" DROP CONSTRAINT "alert_notifications_webhook_endpoint_id_webhook_endpoints_id_fk";
--> statement-breakpoint
ALTER TABLE "alert_notifications" ALTER COLUMN "clinic_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "alert_notifications" ALTER COLUMN "connection_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_webhook_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."webhook_deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_subscription_id_webhook_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."webhook_subscriptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_subscriptions" ADD CONSTRAINT "webhook_subscriptions_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_attempts_delivery_idx" ON "webhook_attempts" USING btree ("delivery_id","attempt");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_subscription_event_uidx" ON "webhook_deliveries" USING btree ("subscription_id","event_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_subscription_created_idx" ON "webhook_deliveries" USING btree ("subscription_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE "webhook_deliveries"."status" in ('pending', 'failed');--> statement-breakpoint
CREATE INDEX "webhook_subscriptions_created_idx" ON "webhook_subscriptions" USING btree ("created_at","id");--> statement-breakpoint
ALTER TABLE "alert_notifications" DROP COLUMN "webhook_endpoint_id";--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_event_check" CHECK ("alert_deliveries"."event" in ('opened', 'reopened', 'recovered', 'reconnect_link', 'briefing', 'webhook_disabled'));--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD CONSTRAINT "alert_notifications_event_check" CHECK ("alert_notifications"."event" in ('opened', 'reopened', 'recovered', 'reconnect_link', 'briefing', 'webhook_disabled'));--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD CONSTRAINT "alert_notifications_has_alerts" CHECK (cardinality("alert_notifications"."alert_ids") >= 1 or "alert_notifications"."event" in ('reconnect_link', 'briefing', 'webhook_disabled'));;--> statement-breakpoint
-- Hand-written data migration (docs/decisions/0048-webhook-subscriptions.md): each alert webhook
-- receiver becomes a subscription to the events the alert webhooks carried, keeping its id (its
-- sealed secret is bound to the row id, so it still opens) and its secret. Its cursor starts at
-- this migration: it gets the events recorded from now on.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM "webhook_endpoints" WHERE "secret_ciphertext" IS NULL) THEN
    RAISE EXCEPTION 'webhook_endpoints still holds a plaintext signing secret: start the previous release''s worker once (it seals them at start), then migrate again';
  END IF;
END $$;--> statement-breakpoint
INSERT INTO "webhook_subscriptions" ("id", "url", "description", "event_types", "secret_ciphertext", "secret_iv", "secret_tag", "secret_key_id", "enabled", "disabled_at", "disabled_reason", "created_at", "updated_at")
SELECT "id", "url", "description", ARRAY['alert.opened', 'alert.resolved', 'connection.recovered']::text[], "secret_ciphertext", "secret_iv", "secret_tag", "secret_key_id", "active",
  CASE WHEN "active" THEN NULL ELSE now() END,
  CASE WHEN "active" THEN NULL ELSE 'Disabled (as an alert webhook receiver, before subscriptions)' END,
  "created_at", now()
FROM "webhook_endpoints";--> statement-breakpoint
-- why: alert webhooks are no longer sent; a message still queued is settled, so its job finds nothing to do
UPDATE "alert_notifications" SET "status" = 'suppressed', "last_error" = 'webhook receivers were replaced by webhook subscriptions', "settled_at" = now()
WHERE "channel" = 'webhook' AND "status" = 'queued';--> statement-breakpoint
DROP TABLE "webhook_endpoints" CASCADE;
