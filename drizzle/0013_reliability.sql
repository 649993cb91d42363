ALTER TABLE "connection_events" DROP CONSTRAINT "connection_events_kind_check";--> statement-breakpoint
ALTER TABLE "connection_events" DROP CONSTRAINT "connection_events_failure_code_check";--> statement-breakpoint
ALTER TABLE "connections" DROP CONSTRAINT "connections_failure_code_check";--> statement-breakpoint
ALTER TABLE "alert_deliveries" DROP CONSTRAINT "alert_deliveries_event_check";--> statement-breakpoint
ALTER TABLE "alert_notifications" DROP CONSTRAINT "alert_notifications_event_check";--> statement-breakpoint
ALTER TABLE "alert_notifications" DROP CONSTRAINT "alert_notifications_has_alerts";--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "last_probe_id" text;--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD COLUMN "link_id" uuid;--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD COLUMN "token_ciphertext" "bytea";--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD COLUMN "token_iv" "bytea";--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD COLUMN "token_tag" "bytea";--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD COLUMN "token_key_id" text;--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD CONSTRAINT "alert_notifications_link_id_reconnect_links_id_fk" FOREIGN KEY ("link_id") REFERENCES "public"."reconnect_links"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connection_events" ADD CONSTRAINT "connection_events_kind_check" CHECK ("connection_events"."kind" in ('created', 'state_changed', 'probe_failed', 'key_replaced', 'region_changed', 'note', 'recovered', 'probe_dead'));--> statement-breakpoint
ALTER TABLE "connection_events" ADD CONSTRAINT "connection_events_failure_code_check" CHECK ("connection_events"."failure_code" is null or "connection_events"."failure_code" in ('key_missing', 'key_malformed', 'auth_rejected', 'wrong_region', 'permission_denied', 'no_patients_visible', 'rate_limited', 'vendor_unavailable', 'network', 'vendor_response_invalid', 'key_unreadable', 'integration_paused'));--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_failure_code_check" CHECK ("connections"."failure_code" is null or "connections"."failure_code" in ('key_missing', 'key_malformed', 'auth_rejected', 'wrong_region', 'permission_denied', 'no_patients_visible', 'rate_limited', 'vendor_unavailable', 'network', 'vendor_response_invalid', 'key_unreadable', 'integration_paused'));--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_event_check" CHECK ("alert_deliveries"."event" in ('opened', 'reopened', 'recovered', 'reconnect_link'));--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD CONSTRAINT "alert_notifications_token_parts_together" CHECK (("alert_notifications"."token_ciphertext" is null) = ("alert_notifications"."token_iv" is null) and ("alert_notifications"."token_iv" is null) = ("alert_notifications"."token_tag" is null) and ("alert_notifications"."token_tag" is null) = ("alert_notifications"."token_key_id" is null));--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD CONSTRAINT "alert_notifications_event_check" CHECK ("alert_notifications"."event" in ('opened', 'reopened', 'recovered', 'reconnect_link'));--> statement-breakpoint
ALTER TABLE "alert_notifications" ADD CONSTRAINT "alert_notifications_has_alerts" CHECK (cardinality("alert_notifications"."alert_ids") >= 1 or "alert_notifications"."event" = 'reconnect_link');