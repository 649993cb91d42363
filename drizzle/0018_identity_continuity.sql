CREATE TABLE "account_changes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connection_id" uuid NOT NULL,
	"clinic_id" uuid NOT NULL,
	"status" text NOT NULL,
	"vendor" text NOT NULL,
	"link_id" uuid,
	"key_ciphertext" "bytea",
	"key_iv" "bytea",
	"key_tag" "bytea",
	"key_id" text,
	"key_hint" text NOT NULL,
	"key_fingerprint" text NOT NULL,
	"region" text NOT NULL,
	"api_version" text NOT NULL,
	"account" jsonb NOT NULL,
	"previous_account" jsonb,
	"visible_patients" integer NOT NULL,
	"visible_patients_at_least" boolean DEFAULT false NOT NULL,
	"previous_visible_patients" integer,
	"vendor_user_name" text,
	"vendor_user_role" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"answered_at" timestamp with time zone,
	"decided_at" timestamp with time zone,
	"decided_by" text,
	CONSTRAINT "account_changes_status_check" CHECK ("account_changes"."status" in ('asked', 'awaiting_support', 'confirmed', 'declined', 'discarded')),
	CONSTRAINT "account_changes_key_parts_together" CHECK (("account_changes"."key_ciphertext" is null) = ("account_changes"."key_iv" is null) and ("account_changes"."key_iv" is null) = ("account_changes"."key_tag" is null) and ("account_changes"."key_tag" is null) = ("account_changes"."key_id" is null))
);
--> statement-breakpoint
ALTER TABLE "connection_events" DROP CONSTRAINT "connection_events_kind_check";--> statement-breakpoint
ALTER TABLE "alerts" DROP CONSTRAINT "alerts_kind_check";--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "vendor_account" jsonb;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "key_fingerprint" text;--> statement-breakpoint
ALTER TABLE "account_changes" ADD CONSTRAINT "account_changes_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_changes" ADD CONSTRAINT "account_changes_clinic_id_clinics_id_fk" FOREIGN KEY ("clinic_id") REFERENCES "public"."clinics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "account_changes_one_open_uidx" ON "account_changes" USING btree ("connection_id") WHERE "account_changes"."status" in ('asked', 'awaiting_support');--> statement-breakpoint
CREATE INDEX "account_changes_clinic_created_idx" ON "account_changes" USING btree ("clinic_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "connections_key_fingerprint_idx" ON "connections" USING btree ("key_fingerprint") WHERE "connections"."key_fingerprint" is not null;--> statement-breakpoint
ALTER TABLE "connection_events" ADD CONSTRAINT "connection_events_kind_check" CHECK ("connection_events"."kind" in ('created', 'state_changed', 'probe_failed', 'key_replaced', 'region_changed', 'note', 'recovered', 'probe_dead', 'account_changed'));--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_kind_check" CHECK ("alerts"."kind" in ('connection_needs_action', 'no_patients_visible', 'degraded_too_long', 'briefing_held', 'account_change_pending'));