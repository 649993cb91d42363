CREATE TABLE "clinics" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"time_zone" text NOT NULL,
	"country" text NOT NULL,
	"admin_name" text,
	"admin_email" text,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "clinics_name_not_blank" CHECK (length(trim("clinics"."name")) > 0),
	CONSTRAINT "clinics_country_iso2" CHECK ("clinics"."country" ~ '^[A-Z]{2}$')
);
--> statement-breakpoint
CREATE TABLE "connection_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "connection_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"connection_id" uuid NOT NULL,
	"clinic_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"kind" text NOT NULL,
	"from_state" text,
	"to_state" text,
	"failure_code" text,
	"http_status" integer,
	"vendor_message" text,
	"probe_id" text,
	"actor" text NOT NULL,
	"message" text NOT NULL,
	"details" jsonb,
	CONSTRAINT "connection_events_kind_check" CHECK ("connection_events"."kind" in ('created', 'state_changed', 'probe_failed', 'key_replaced', 'region_changed', 'note', 'recovered')),
	CONSTRAINT "connection_events_from_state_check" CHECK ("connection_events"."from_state" is null or "connection_events"."from_state" in ('setup_pending', 'healthy', 'degraded', 'action_required', 'reconnect_pending', 'pending_disconnect', 'paused')),
	CONSTRAINT "connection_events_to_state_check" CHECK ("connection_events"."to_state" is null or "connection_events"."to_state" in ('setup_pending', 'healthy', 'degraded', 'action_required', 'reconnect_pending', 'pending_disconnect', 'paused')),
	CONSTRAINT "connection_events_failure_code_check" CHECK ("connection_events"."failure_code" is null or "connection_events"."failure_code" in ('key_missing', 'key_malformed', 'auth_rejected', 'wrong_region', 'permission_denied', 'no_patients_visible', 'rate_limited', 'vendor_unavailable', 'network', 'vendor_response_invalid', 'integration_paused'))
);
--> statement-breakpoint
CREATE TABLE "connections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"clinic_id" uuid NOT NULL,
	"vendor" text NOT NULL,
	"region" text NOT NULL,
	"api_version" text NOT NULL,
	"key_ciphertext" "bytea",
	"key_iv" "bytea",
	"key_tag" "bytea",
	"key_id" text,
	"key_hint" text,
	"key_updated_at" timestamp with time zone,
	"state" text DEFAULT 'setup_pending' NOT NULL,
	"failure_code" text,
	"failure_evidence" jsonb,
	"suggested_region" text,
	"expects_patients" boolean DEFAULT true NOT NULL,
	"visible_patient_count" integer,
	"vendor_user_name" text,
	"vendor_user_role" text,
	"last_probe_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"first_failure_at" timestamp with time zone,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connections_vendor_check" CHECK ("connections"."vendor" in ('cliniko', 'nookal')),
	CONSTRAINT "connections_state_check" CHECK ("connections"."state" in ('setup_pending', 'healthy', 'degraded', 'action_required', 'reconnect_pending', 'pending_disconnect', 'paused')),
	CONSTRAINT "connections_failure_code_check" CHECK ("connections"."failure_code" is null or "connections"."failure_code" in ('key_missing', 'key_malformed', 'auth_rejected', 'wrong_region', 'permission_denied', 'no_patients_visible', 'rate_limited', 'vendor_unavailable', 'network', 'vendor_response_invalid', 'integration_paused')),
	CONSTRAINT "connections_region_check" CHECK (("connections"."vendor" = 'cliniko' and "connections"."region" ~ '^[a-z]{2}[0-9]{1,2}$') or ("connections"."vendor" = 'nookal' and "connections"."region" in ('au', 'eu', 'us'))),
	CONSTRAINT "connections_api_version_check" CHECK (("connections"."vendor" = 'cliniko' and "connections"."api_version" = 'v1') or ("connections"."vendor" = 'nookal' and "connections"."api_version" in ('v2', 'v3'))),
	CONSTRAINT "connections_key_parts_together" CHECK (("connections"."key_ciphertext" is null) = ("connections"."key_iv" is null) and ("connections"."key_iv" is null) = ("connections"."key_tag" is null) and ("connections"."key_tag" is null) = ("connections"."key_id" is null)),
	CONSTRAINT "connections_consecutive_failures_nonneg" CHECK ("connections"."consecutive_failures" >= 0)
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"password_hash" text NOT NULL,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_role_check" CHECK ("users"."role" in ('admin', 'agent', 'viewer')),
	CONSTRAINT "users_email_lowercase" CHECK ("users"."email" = lower("users"."email") and position('@' in "users"."email") > 1)
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_user_id" uuid,
	"actor_label" text NOT NULL,
	"action" text NOT NULL,
	"clinic_id" uuid,
	"details" jsonb
);
--> statement-breakpoint
ALTER TABLE "connection_events" ADD CONSTRAINT "connection_events_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connection_events" ADD CONSTRAINT "connection_events_clinic_id_clinics_id_fk" FOREIGN KEY ("clinic_id") REFERENCES "public"."clinics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_clinic_id_clinics_id_fk" FOREIGN KEY ("clinic_id") REFERENCES "public"."clinics"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_clinic_id_clinics_id_fk" FOREIGN KEY ("clinic_id") REFERENCES "public"."clinics"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "clinics_name_idx" ON "clinics" USING btree ("name");--> statement-breakpoint
CREATE INDEX "connection_events_clinic_at_idx" ON "connection_events" USING btree ("clinic_id","at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "connection_events_connection_at_idx" ON "connection_events" USING btree ("connection_id","at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "connections_clinic_id_uidx" ON "connections" USING btree ("clinic_id");--> statement-breakpoint
CREATE INDEX "connections_state_failure_idx" ON "connections" USING btree ("state","failure_code");--> statement-breakpoint
CREATE INDEX "connections_last_probe_idx" ON "connections" USING btree ("last_probe_at");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_uidx" ON "users" USING btree ("email");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_clinic_idx" ON "audit_log" USING btree ("clinic_id","at" DESC NULLS LAST);