CREATE TABLE "probe_history" (
	"connection_id" uuid NOT NULL,
	"slot" smallint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"ok" boolean NOT NULL,
	"failure_code" text,
	"state" text NOT NULL,
	"http_status" integer,
	"ms" integer,
	CONSTRAINT "probe_history_connection_id_slot_pk" PRIMARY KEY("connection_id","slot"),
	CONSTRAINT "probe_history_slot_check" CHECK ("probe_history"."slot" >= 0 and "probe_history"."slot" < 60),
	CONSTRAINT "probe_history_failure_code_check" CHECK ("probe_history"."failure_code" is null or "probe_history"."failure_code" in ('key_missing', 'key_malformed', 'auth_rejected', 'wrong_region', 'permission_denied', 'no_patients_visible', 'rate_limited', 'vendor_unavailable', 'network', 'vendor_response_invalid', 'key_unreadable', 'integration_paused')),
	CONSTRAINT "probe_history_state_check" CHECK ("probe_history"."state" in ('setup_pending', 'healthy', 'degraded', 'action_required', 'reconnect_pending', 'pending_disconnect', 'paused'))
);
--> statement-breakpoint
ALTER TABLE "probe_history" ADD CONSTRAINT "probe_history_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;