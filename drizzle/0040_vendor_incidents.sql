CREATE TABLE "vendor_incident_timeline" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"incident_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"affected" integer NOT NULL,
	"connections" integer NOT NULL,
	"message" text NOT NULL,
	CONSTRAINT "vendor_incident_timeline_kind_check" CHECK ("vendor_incident_timeline"."kind" in ('opened', 'update', 'resolved'))
);
--> statement-breakpoint
CREATE TABLE "vendor_incidents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"vendor" text NOT NULL,
	"region" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"first_evidence" jsonb NOT NULL,
	"fleet_size" integer NOT NULL,
	"affected_at_open" integer NOT NULL,
	"peak_affected" integer NOT NULL,
	"peak_at" timestamp with time zone NOT NULL,
	"recovered" integer DEFAULT 0 NOT NULL,
	"affected_at_resolve" integer,
	"last_notice_at" timestamp with time zone NOT NULL,
	"last_notice_affected" integer NOT NULL,
	CONSTRAINT "vendor_incidents_vendor_check" CHECK ("vendor_incidents"."vendor" in ('cliniko', 'nookal')),
	CONSTRAINT "vendor_incidents_resolved_after_open" CHECK ("vendor_incidents"."resolved_at" is null or "vendor_incidents"."resolved_at" >= "vendor_incidents"."opened_at")
);
--> statement-breakpoint
CREATE TABLE "vendor_region_health" (
	"vendor" text NOT NULL,
	"region" text NOT NULL,
	"connections" integer DEFAULT 0 NOT NULL,
	"transient_failing" integer DEFAULT 0 NOT NULL,
	"recomputed_at" timestamp with time zone,
	CONSTRAINT "vendor_region_health_vendor_region_pk" PRIMARY KEY("vendor","region"),
	CONSTRAINT "vendor_region_health_vendor_check" CHECK ("vendor_region_health"."vendor" in ('cliniko', 'nookal')),
	CONSTRAINT "vendor_region_health_counts_nonneg" CHECK ("vendor_region_health"."connections" >= 0 and "vendor_region_health"."transient_failing" >= 0)
);
--> statement-breakpoint
ALTER TABLE "alert_deliveries" DROP CONSTRAINT "alert_deliveries_event_check";--> statement-breakpoint
ALTER TABLE "alert_notifications" DROP CONSTRAINT "alert_notifications_event_check";--> statement-breakpoint
ALTER TABLE "alert_notifications" DROP CONSTRAINT "alert_notifications_has_alerts";--> statement-breakpoint
ALTER TABLE "events" DROP CONSTRAINT "events_type_check";--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "transient_failing" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "incident_id" uuid;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "hold" text;--> statement-breakpoint
ALTER TABLE "vendor_incident_timeline" ADD CONSTRAINT "vendor_incident_timeline_incident_id_vendor_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."vendor_incidents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "vendor_incident_timeline_incident_idx" ON "vendor_incident_timeline" USING btree ("incident_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "vendor_incidents_one_open_uidx" ON "vendor_incidents" USING btree ("vendor","region") WHERE "vendor_incidents"."resolved_at" is null;--> statement-breakpoint
CREATE INDEX "vendor_incidents_opened_idx" ON "vendor_incidents" USING btree ("opened_at" DESC NULLS LAST);--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_incident_id_vendor_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."vendor_incidents"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "connections_transient_failing_idx" ON "connections" USING btree ("vendor","region","id") WHERE "connections"."transient_failing";--> statement-breakpoint
CREATE INDEX "alerts_incident_idx" ON "alerts" USING btree ("incident_id") WHERE "alerts"."incident_id" is not null;--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_event_check" CHECK ("alert_deliveries"."event" in ('opened', 'reopened', 'recovered', 'reconnect_link', 'briefing', 'webhook_disabled', 'incident_opened', 'incident_update', 'incident_resolved'));--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD CONSTRAINT "alert_notifications_event_check" CHECK ("alert_notifications"."event" in ('opened', 'reopened', 'recovered', 'reconnect_link', 'briefing', 'webhook_disabled', 'incident_opened', 'incident_update', 'incident_resolved'));--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD CONSTRAINT "alert_notifications_has_alerts" CHECK (cardinality("alert_notifications"."alert_ids") >= 1 or "alert_notifications"."event" in ('reconnect_link', 'briefing', 'webhook_disabled', 'incident_opened', 'incident_update', 'incident_resolved'));--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_hold_check" CHECK ("alerts"."hold" is null or "alerts"."hold" = 'held');--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_type_check" CHECK ("events"."type" in ('connection.state_changed', 'connection.recovered', 'alert.opened', 'alert.resolved', 'sync.failed', 'briefing.held', 'briefing.sent', 'incident.opened', 'incident.updated', 'incident.resolved'));