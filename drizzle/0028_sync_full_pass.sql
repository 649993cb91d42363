ALTER TABLE "sync_appointments" ADD COLUMN "seen_in_pass" uuid;--> statement-breakpoint
ALTER TABLE "sync_invoices" ADD COLUMN "seen_in_pass" uuid;--> statement-breakpoint
ALTER TABLE "sync_patients" ADD COLUMN "seen_in_pass" uuid;--> statement-breakpoint
ALTER TABLE "sync_resources" ADD COLUMN "last_full_pass_at" timestamp with time zone;