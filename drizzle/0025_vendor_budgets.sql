CREATE TABLE "vendor_budgets" (
	"bucket" text PRIMARY KEY NOT NULL,
	"slot" bigint NOT NULL,
	"counts" integer[] NOT NULL,
	"sync_counts" integer[] NOT NULL,
	"paused_until" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "vendor_budgets_paused_until_idx" ON "vendor_budgets" USING btree ("paused_until");--> statement-breakpoint
CREATE INDEX "vendor_budgets_updated_at_idx" ON "vendor_budgets" USING btree ("updated_at");