DROP INDEX "reconnect_links_one_live_uidx";--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "account_change_preapproval" jsonb;--> statement-breakpoint
ALTER TABLE "reconnect_links" ADD COLUMN "for_alert_email" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "probe_history" ADD COLUMN "kind" text DEFAULT 'probe' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "reconnect_links_one_live_uidx" ON "reconnect_links" USING btree ("clinic_id") WHERE "reconnect_links"."used_at" is null and "reconnect_links"."revoked_at" is null and not "reconnect_links"."for_alert_email";--> statement-breakpoint
ALTER TABLE "probe_history" ADD CONSTRAINT "probe_history_kind_check" CHECK ("probe_history"."kind" in ('probe', 'key_check'));