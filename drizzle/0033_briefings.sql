CREATE TABLE "briefings" (
	"clinic_id" uuid NOT NULL,
	"week_start" date NOT NULL,
	"state" text NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"late" boolean DEFAULT false NOT NULL,
	"held_reason" text,
	"held_at" timestamp with time zone,
	"skipped_reason" text,
	"report" jsonb,
	"recipients" text[] DEFAULT '{}'::text[] NOT NULL,
	"notification_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "briefings_clinic_id_week_start_pk" PRIMARY KEY("clinic_id","week_start"),
	CONSTRAINT "briefings_state_check" CHECK ("briefings"."state" in ('due', 'held', 'sent', 'skipped')),
	CONSTRAINT "briefings_week_start_monday" CHECK (extract(isodow from "briefings"."week_start") = 1),
	CONSTRAINT "briefings_sent_complete" CHECK (("briefings"."state" = 'sent') = ("briefings"."sent_at" is not null and "briefings"."report" is not null)),
	CONSTRAINT "briefings_held_has_reason" CHECK ("briefings"."state" <> 'held' or "briefings"."held_reason" is not null),
	CONSTRAINT "briefings_skipped_has_reason" CHECK (("briefings"."state" = 'skipped') = ("briefings"."skipped_reason" is not null))
);
--> statement-breakpoint
ALTER TABLE "alert_deliveries" DROP CONSTRAINT "alert_deliveries_event_check";--> statement-breakpoint
ALTER TABLE "alert_notifications" DROP CONSTRAINT "alert_notifications_event_check";--> statement-breakpoint
ALTER TABLE "alert_notifications" DROP CONSTRAINT "alert_notifications_has_alerts";--> statement-breakpoint
ALTER TABLE "briefings" ADD CONSTRAINT "briefings_clinic_id_clinics_id_fk" FOREIGN KEY ("clinic_id") REFERENCES "public"."clinics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "briefings_unfinished_idx" ON "briefings" USING btree ("week_start","clinic_id") WHERE "briefings"."state" in ('due', 'held');--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_event_check" CHECK ("alert_deliveries"."event" in ('opened', 'reopened', 'recovered', 'reconnect_link', 'briefing'));--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD CONSTRAINT "alert_notifications_event_check" CHECK ("alert_notifications"."event" in ('opened', 'reopened', 'recovered', 'reconnect_link', 'briefing'));--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD CONSTRAINT "alert_notifications_has_alerts" CHECK (cardinality("alert_notifications"."alert_ids") >= 1 or "alert_notifications"."event" in ('reconnect_link', 'briefing'));