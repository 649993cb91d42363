CREATE TABLE "alert_deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "alert_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"notification_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"target" text NOT NULL,
	"event" text NOT NULL,
	"attempt" integer NOT NULL,
	"status" text NOT NULL,
	"http_status" integer,
	"error" text,
	"duration_ms" integer,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_deliveries_channel_check" CHECK ("alert_deliveries"."channel" in ('email', 'webhook')),
	CONSTRAINT "alert_deliveries_event_check" CHECK ("alert_deliveries"."event" in ('opened', 'reopened', 'recovered')),
	CONSTRAINT "alert_deliveries_status_check" CHECK ("alert_deliveries"."status" in ('delivered', 'outboxed', 'suppressed', 'failed')),
	CONSTRAINT "alert_deliveries_attempt_positive" CHECK ("alert_deliveries"."attempt" >= 1)
);
--> statement-breakpoint
CREATE TABLE "alert_notifications" (
	"id" uuid PRIMARY KEY NOT NULL,
	"clinic_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"alert_ids" uuid[] NOT NULL,
	"event" text NOT NULL,
	"channel" text NOT NULL,
	"audience" text NOT NULL,
	"target" text NOT NULL,
	"webhook_endpoint_id" uuid,
	"content" jsonb NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"job_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"settled_at" timestamp with time zone,
	CONSTRAINT "alert_notifications_event_check" CHECK ("alert_notifications"."event" in ('opened', 'reopened', 'recovered')),
	CONSTRAINT "alert_notifications_channel_check" CHECK ("alert_notifications"."channel" in ('email', 'webhook')),
	CONSTRAINT "alert_notifications_audience_check" CHECK ("alert_notifications"."audience" in ('clinic_admin', 'support', 'webhook')),
	CONSTRAINT "alert_notifications_status_check" CHECK ("alert_notifications"."status" in ('queued', 'delivered', 'outboxed', 'suppressed', 'failed')),
	CONSTRAINT "alert_notifications_has_alerts" CHECK (cardinality("alert_notifications"."alert_ids") >= 1),
	CONSTRAINT "alert_notifications_attempts_nonneg" CHECK ("alert_notifications"."attempts" >= 0),
	CONSTRAINT "alert_notifications_channel_audience" CHECK (("alert_notifications"."channel" = 'webhook') = ("alert_notifications"."audience" = 'webhook'))
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connection_id" uuid NOT NULL,
	"clinic_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"count" integer DEFAULT 1 NOT NULL,
	"first_seen_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" uuid,
	"muted_until" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"reopened_from_id" uuid,
	"packet" jsonb NOT NULL,
	CONSTRAINT "alerts_kind_check" CHECK ("alerts"."kind" in ('connection_needs_action', 'no_patients_visible', 'degraded_too_long', 'briefing_held')),
	CONSTRAINT "alerts_status_check" CHECK ("alerts"."status" in ('open', 'acknowledged', 'muted', 'resolved')),
	CONSTRAINT "alerts_count_positive" CHECK ("alerts"."count" >= 1),
	CONSTRAINT "alerts_seen_order" CHECK ("alerts"."last_seen_at" >= "alerts"."first_seen_at"),
	CONSTRAINT "alerts_resolved_has_time" CHECK (("alerts"."status" = 'resolved') = ("alerts"."resolved_at" is not null)),
	CONSTRAINT "alerts_muted_has_until" CHECK ("alerts"."status" <> 'muted' or "alerts"."muted_until" is not null),
	CONSTRAINT "alerts_acknowledged_has_time" CHECK ("alerts"."status" <> 'acknowledged' or "alerts"."acknowledged_at" is not null)
);
--> statement-breakpoint
CREATE TABLE "email_outbox" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"notification_id" uuid,
	"to" text NOT NULL,
	"subject" text NOT NULL,
	"text" text NOT NULL,
	"html" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"message_id" text,
	"error" text,
	CONSTRAINT "email_outbox_to_has_at" CHECK (position('@' in "email_outbox"."to") > 1)
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"url" text NOT NULL,
	"description" text,
	"secret" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_endpoints_url_http" CHECK ("webhook_endpoints"."url" ~ '^https?://[^\s]+$'),
	CONSTRAINT "webhook_endpoints_secret_length" CHECK (length("webhook_endpoints"."secret") >= 32)
);
--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_notification_id_alert_notifications_id_fk" FOREIGN KEY ("notification_id") REFERENCES "public"."alert_notifications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD CONSTRAINT "alert_notifications_clinic_id_clinics_id_fk" FOREIGN KEY ("clinic_id") REFERENCES "public"."clinics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD CONSTRAINT "alert_notifications_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD CONSTRAINT "alert_notifications_webhook_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("webhook_endpoint_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_clinic_id_clinics_id_fk" FOREIGN KEY ("clinic_id") REFERENCES "public"."clinics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_acknowledged_by_users_id_fk" FOREIGN KEY ("acknowledged_by") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_reopened_from_id_alerts_id_fk" FOREIGN KEY ("reopened_from_id") REFERENCES "public"."alerts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_outbox" ADD CONSTRAINT "email_outbox_notification_id_alert_notifications_id_fk" FOREIGN KEY ("notification_id") REFERENCES "public"."alert_notifications"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alert_deliveries_notification_attempt_uidx" ON "alert_deliveries" USING btree ("notification_id","attempt");--> statement-breakpoint
CREATE INDEX "alert_notifications_clinic_created_idx" ON "alert_notifications" USING btree ("clinic_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "alert_notifications_alert_ids_idx" ON "alert_notifications" USING gin ("alert_ids");--> statement-breakpoint
CREATE INDEX "alert_notifications_unsettled_idx" ON "alert_notifications" USING btree ("created_at") WHERE "alert_notifications"."status" = 'queued';--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_one_unresolved_uidx" ON "alerts" USING btree ("connection_id","kind") WHERE "alerts"."status" <> 'resolved';--> statement-breakpoint
CREATE INDEX "alerts_connection_kind_seen_idx" ON "alerts" USING btree ("connection_id","kind","first_seen_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "alerts_clinic_seen_idx" ON "alerts" USING btree ("clinic_id","last_seen_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "alerts_unresolved_seen_idx" ON "alerts" USING btree ("last_seen_at" DESC NULLS LAST) WHERE "alerts"."status" <> 'resolved';--> statement-breakpoint
CREATE UNIQUE INDEX "email_outbox_notification_uidx" ON "email_outbox" USING btree ("notification_id");--> statement-breakpoint
CREATE INDEX "email_outbox_created_idx" ON "email_outbox" USING btree ("created_at" DESC NULLS LAST);