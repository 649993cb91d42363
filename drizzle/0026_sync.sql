CREATE TABLE "sync_appointment_types" (
	"record_set_id" uuid NOT NULL,
	"id" text NOT NULL,
	"name" text NOT NULL,
	"duration_minutes" integer,
	"archived" boolean NOT NULL,
	"vendor_updated_at" timestamp with time zone,
	"synced_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_appointment_types_record_set_id_id_pk" PRIMARY KEY("record_set_id","id")
);
--> statement-breakpoint
CREATE TABLE "sync_appointments" (
	"record_set_id" uuid NOT NULL,
	"id" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone,
	"patient_id" text,
	"practitioner_id" text,
	"appointment_type_id" text,
	"location_id" text,
	"status" text NOT NULL,
	"cancelled_at" timestamp with time zone,
	"cancellation_reason" text,
	"deleted" boolean NOT NULL,
	"vendor_updated_at" timestamp with time zone,
	"synced_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_appointments_record_set_id_id_pk" PRIMARY KEY("record_set_id","id")
);
--> statement-breakpoint
CREATE TABLE "sync_availability" (
	"record_set_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"id" text NOT NULL,
	"practitioner_id" text,
	"location_id" text,
	"day_of_week" integer,
	"spans" jsonb,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"repeat_rule" jsonb,
	"deleted" boolean DEFAULT false NOT NULL,
	"vendor_updated_at" timestamp with time zone,
	"synced_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_availability_record_set_id_kind_id_pk" PRIMARY KEY("record_set_id","kind","id"),
	CONSTRAINT "sync_availability_kind_check" CHECK ("sync_availability"."kind" in ('daily', 'extra', 'unavailable'))
);
--> statement-breakpoint
CREATE TABLE "sync_invoices" (
	"record_set_id" uuid NOT NULL,
	"id" text NOT NULL,
	"number" text,
	"issue_date" date,
	"status" text NOT NULL,
	"vendor_status" text NOT NULL,
	"total_amount" numeric NOT NULL,
	"net_amount" numeric,
	"tax_amount" numeric,
	"patient_id" text,
	"practitioner_id" text,
	"appointment_id" text,
	"closed_at" timestamp with time zone,
	"deleted" boolean NOT NULL,
	"vendor_updated_at" timestamp with time zone,
	"synced_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_invoices_record_set_id_id_pk" PRIMARY KEY("record_set_id","id")
);
--> statement-breakpoint
CREATE TABLE "sync_locations" (
	"record_set_id" uuid NOT NULL,
	"id" text NOT NULL,
	"name" text NOT NULL,
	"time_zone" text,
	"country" text,
	"archived" boolean DEFAULT false NOT NULL,
	"removed" boolean DEFAULT false NOT NULL,
	"vendor_updated_at" timestamp with time zone,
	"synced_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_locations_record_set_id_id_pk" PRIMARY KEY("record_set_id","id")
);
--> statement-breakpoint
CREATE TABLE "sync_patients" (
	"record_set_id" uuid NOT NULL,
	"id" text NOT NULL,
	"location_id" text,
	"archived" boolean NOT NULL,
	"deleted" boolean NOT NULL,
	"vendor_created_at" timestamp with time zone,
	"archived_at" timestamp with time zone,
	"vendor_updated_at" timestamp with time zone,
	"synced_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_patients_record_set_id_id_pk" PRIMARY KEY("record_set_id","id")
);
--> statement-breakpoint
CREATE TABLE "sync_practitioners" (
	"record_set_id" uuid NOT NULL,
	"id" text NOT NULL,
	"first_name" text NOT NULL,
	"last_name" text NOT NULL,
	"designation" text,
	"active" boolean NOT NULL,
	"vendor_updated_at" timestamp with time zone,
	"synced_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_practitioners_record_set_id_id_pk" PRIMARY KEY("record_set_id","id")
);
--> statement-breakpoint
CREATE TABLE "sync_record_sets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connection_id" uuid NOT NULL,
	"vendor" text NOT NULL,
	"account" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sync_resources" (
	"record_set_id" uuid NOT NULL,
	"resource" text NOT NULL,
	"connection_id" uuid NOT NULL,
	"position_at" text,
	"position_page" integer,
	"cursor" text,
	"state" text,
	"run_id" uuid,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"pages_done" integer DEFAULT 0 NOT NULL,
	"pages_total" integer DEFAULT 0 NOT NULL,
	"records_seen" integer DEFAULT 0 NOT NULL,
	"records_changed" integer DEFAULT 0 NOT NULL,
	"live_count" integer,
	"last_error" text,
	CONSTRAINT "sync_resources_record_set_id_resource_pk" PRIMARY KEY("record_set_id","resource"),
	CONSTRAINT "sync_resources_resource_check" CHECK ("sync_resources"."resource" in ('locations', 'practitioners', 'practitioners_inactive', 'appointment_types', 'patients', 'appointments', 'invoices', 'daily_availabilities', 'availability_blocks', 'unavailable_blocks')),
	CONSTRAINT "sync_resources_state_check" CHECK ("sync_resources"."state" is null or "sync_resources"."state" in ('running', 'succeeded', 'failed', 'paused'))
);
--> statement-breakpoint
CREATE TABLE "sync_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connection_id" uuid NOT NULL,
	"record_set_id" uuid,
	"job_id" text,
	"trigger" text NOT NULL,
	"state" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"pages_done" integer DEFAULT 0 NOT NULL,
	"pages_total" integer DEFAULT 0 NOT NULL,
	"records_seen" integer DEFAULT 0 NOT NULL,
	"records_changed" integer DEFAULT 0 NOT NULL,
	"failed_resource" text,
	"last_error" text,
	CONSTRAINT "sync_runs_state_check" CHECK ("sync_runs"."state" in ('running', 'succeeded', 'failed', 'paused')),
	CONSTRAINT "sync_runs_trigger_check" CHECK ("sync_runs"."trigger" in ('schedule', 'manual', 'bulk'))
);
--> statement-breakpoint
ALTER TABLE "bulk_operations" DROP CONSTRAINT "bulk_operations_kind_check";--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "sync_state" text;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "last_sync_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "last_sync_success_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sync_appointment_types" ADD CONSTRAINT "sync_appointment_types_record_set_id_sync_record_sets_id_fk" FOREIGN KEY ("record_set_id") REFERENCES "public"."sync_record_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_appointments" ADD CONSTRAINT "sync_appointments_record_set_id_sync_record_sets_id_fk" FOREIGN KEY ("record_set_id") REFERENCES "public"."sync_record_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_availability" ADD CONSTRAINT "sync_availability_record_set_id_sync_record_sets_id_fk" FOREIGN KEY ("record_set_id") REFERENCES "public"."sync_record_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_invoices" ADD CONSTRAINT "sync_invoices_record_set_id_sync_record_sets_id_fk" FOREIGN KEY ("record_set_id") REFERENCES "public"."sync_record_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_locations" ADD CONSTRAINT "sync_locations_record_set_id_sync_record_sets_id_fk" FOREIGN KEY ("record_set_id") REFERENCES "public"."sync_record_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_patients" ADD CONSTRAINT "sync_patients_record_set_id_sync_record_sets_id_fk" FOREIGN KEY ("record_set_id") REFERENCES "public"."sync_record_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_practitioners" ADD CONSTRAINT "sync_practitioners_record_set_id_sync_record_sets_id_fk" FOREIGN KEY ("record_set_id") REFERENCES "public"."sync_record_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_record_sets" ADD CONSTRAINT "sync_record_sets_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_resources" ADD CONSTRAINT "sync_resources_record_set_id_sync_record_sets_id_fk" FOREIGN KEY ("record_set_id") REFERENCES "public"."sync_record_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_record_set_id_sync_record_sets_id_fk" FOREIGN KEY ("record_set_id") REFERENCES "public"."sync_record_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "sync_record_sets_current_uidx" ON "sync_record_sets" USING btree ("connection_id") WHERE "sync_record_sets"."retired_at" is null;--> statement-breakpoint
CREATE INDEX "sync_runs_connection_started_idx" ON "sync_runs" USING btree ("connection_id","started_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "connections_last_sync_success_clinic_idx" ON "connections" USING btree ("last_sync_success_at","clinic_id") WHERE "connections"."last_sync_success_at" is not null;--> statement-breakpoint
CREATE INDEX "connections_never_synced_idx" ON "connections" USING btree ("clinic_id") WHERE "connections"."last_sync_success_at" is null;--> statement-breakpoint
CREATE INDEX "connections_sync_failing_idx" ON "connections" USING btree ("last_sync_success_at","clinic_id") WHERE "connections"."sync_state" = 'failed';--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_sync_state_check" CHECK ("connections"."sync_state" is null or "connections"."sync_state" in ('running', 'succeeded', 'failed', 'paused'));--> statement-breakpoint
ALTER TABLE "bulk_operations" ADD CONSTRAINT "bulk_operations_kind_check" CHECK ("bulk_operations"."kind" in ('probe', 'reconnect_link', 'pause', 'resume', 'campaign', 'sync'));