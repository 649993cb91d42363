-- Free text now matches clinics.search_text through clinics_search_trgm_idx (0030,
-- docs/decisions/0041-console-free-text.md); the two per-column trigram indexes of 0009 only cost writes.
DROP INDEX IF EXISTS "clinics_name_trgm_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "clinics_admin_email_trgm_idx";
