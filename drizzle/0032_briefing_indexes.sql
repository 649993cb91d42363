CREATE INDEX "sync_appointments_set_starts_idx" ON "sync_appointments" USING btree ("record_set_id","starts_at");--> statement-breakpoint
CREATE INDEX "sync_appointments_set_patient_starts_idx" ON "sync_appointments" USING btree ("record_set_id","patient_id","starts_at");--> statement-breakpoint
CREATE INDEX "sync_invoices_set_issue_idx" ON "sync_invoices" USING btree ("record_set_id","issue_date");--> statement-breakpoint
CREATE INDEX "sync_invoices_set_open_idx" ON "sync_invoices" USING btree ("record_set_id","issue_date") WHERE "sync_invoices"."status" in ('open', 'open_credit') and not "sync_invoices"."deleted";--> statement-breakpoint
CREATE INDEX "sync_invoices_set_closed_idx" ON "sync_invoices" USING btree ("record_set_id","closed_at") WHERE "sync_invoices"."closed_at" is not null;