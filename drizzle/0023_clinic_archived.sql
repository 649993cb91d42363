DROP INDEX "connections_broken_now_idx";--> statement-breakpoint
DROP INDEX "connections_broken_now_vendor_idx";--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "clinic_archived" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "connections_broken_now_idx" ON "connections" USING btree ("first_failure_at","clinic_id") WHERE "connections"."first_failure_at" is not null and "connections"."state" <> 'paused' and not "connections"."clinic_archived";--> statement-breakpoint
CREATE INDEX "connections_broken_now_vendor_idx" ON "connections" USING btree ("vendor","region","failure_code","clinic_id") WHERE "connections"."first_failure_at" is not null and "connections"."state" <> 'paused' and not "connections"."clinic_archived";