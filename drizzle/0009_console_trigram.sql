-- Free-text search in the clinics table (name or admin email, ILIKE '%…%') through trigram GIN
-- indexes: drizzle's schema cannot declare the extension or the operator class, hence this file.
-- pg_trgm is a trusted extension (PostgreSQL 13+), so the database owner can create it.
-- See docs/decisions/0015-console-indexes.md.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "clinics_name_trgm_idx" ON "clinics" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "clinics_admin_email_trgm_idx" ON "clinics" USING gin ("admin_email" gin_trgm_ops);
