CREATE TABLE "events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"txid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"type" text NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"clinic_id" uuid,
	"connection_id" uuid,
	"data" jsonb NOT NULL,
	CONSTRAINT "events_type_check" CHECK ("events"."type" in ('connection.state_changed', 'connection.recovered', 'alert.opened', 'alert.resolved', 'sync.failed', 'briefing.held', 'briefing.sent'))
);
--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_clinic_id_clinics_id_fk" FOREIGN KEY ("clinic_id") REFERENCES "public"."clinics"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_position_idx" ON "events" USING btree ("txid","seq");--> statement-breakpoint
CREATE INDEX "events_clinic_position_idx" ON "events" USING btree ("clinic_id","txid","seq");--> statement-breakpoint
CREATE INDEX "events_occurred_idx" ON "events" USING btree ("occurred_at");