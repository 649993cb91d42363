CREATE TABLE "campaign_clinics" (
	"campaign_id" uuid NOT NULL,
	"clinic_id" uuid NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	"added_by" uuid,
	"from_state" text NOT NULL,
	"link_sent_at" timestamp with time zone,
	"link_error" text,
	CONSTRAINT "campaign_clinics_campaign_id_clinic_id_pk" PRIMARY KEY("campaign_id","clinic_id"),
	CONSTRAINT "campaign_clinics_from_state_check" CHECK ("campaign_clinics"."from_state" in ('setup_pending', 'healthy', 'degraded', 'action_required', 'reconnect_pending', 'pending_disconnect', 'paused'))
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"vendor" text NOT NULL,
	"reason" text NOT NULL,
	"deadline" date NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaigns_vendor_check" CHECK ("campaigns"."vendor" in ('cliniko', 'nookal')),
	CONSTRAINT "campaigns_name_not_blank" CHECK (length(trim("campaigns"."name")) > 0)
);
--> statement-breakpoint
ALTER TABLE "campaign_clinics" ADD CONSTRAINT "campaign_clinics_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_clinics" ADD CONSTRAINT "campaign_clinics_clinic_id_clinics_id_fk" FOREIGN KEY ("clinic_id") REFERENCES "public"."clinics"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_clinics" ADD CONSTRAINT "campaign_clinics_added_by_users_id_fk" FOREIGN KEY ("added_by") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "campaign_clinics_clinic_idx" ON "campaign_clinics" USING btree ("clinic_id");--> statement-breakpoint
CREATE INDEX "campaigns_created_idx" ON "campaigns" USING btree ("created_at" DESC NULLS LAST);