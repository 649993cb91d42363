DROP TABLE "probe_history" CASCADE;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "probe_seq" integer DEFAULT 0 NOT NULL;