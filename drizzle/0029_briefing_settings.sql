CREATE TABLE "briefing_settings" (
	"clinic_id" uuid PRIMARY KEY NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"recipients" text[],
	"practitioner_ids" text[],
	"excluded_appointment_type_ids" text[],
	"working_hours" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"currency" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" uuid
);
--> statement-breakpoint
ALTER TABLE "briefing_settings" ADD CONSTRAINT "briefing_settings_clinic_id_clinics_id_fk" FOREIGN KEY ("clinic_id") REFERENCES "public"."clinics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "briefing_settings" ADD CONSTRAINT "briefing_settings_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;