CREATE TABLE "probe_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "probe_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"connection_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"ok" boolean NOT NULL,
	"failure_code" text,
	"state" text NOT NULL,
	"http_status" integer,
	"ms" integer,
	CONSTRAINT "probe_history_failure_code_check" CHECK ("probe_history"."failure_code" is null or "probe_history"."failure_code" in ('key_missing', 'key_malformed', 'auth_rejected', 'wrong_region', 'permission_denied', 'no_patients_visible', 'rate_limited', 'vendor_unavailable', 'network', 'vendor_response_invalid', 'key_unreadable', 'integration_paused')),
	CONSTRAINT "probe_history_state_check" CHECK ("probe_history"."state" in ('setup_pending', 'healthy', 'degraded', 'action_required', 'reconnect_pending', 'pending_disconnect', 'paused'))
);
--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "cancelled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "cancelled_by" uuid;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "cancel_reason" text;--> statement-breakpoint
ALTER TABLE "probe_history" ADD CONSTRAINT "probe_history_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "probe_history_connection_at_idx" ON "probe_history" USING btree ("connection_id","at" DESC NULLS LAST);--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_cancelled_by_users_id_fk" FOREIGN KEY ("cancelled_by") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;