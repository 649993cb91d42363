CREATE INDEX "clinics_active_name_idx" ON "clinics" USING btree ("name","id") WHERE "clinics"."archived_at" is null;--> statement-breakpoint
CREATE INDEX "clinics_archived_idx" ON "clinics" USING btree ("id") WHERE "clinics"."archived_at" is not null;--> statement-breakpoint
CREATE INDEX "connections_vendor_clinic_idx" ON "connections" USING btree ("vendor","clinic_id");--> statement-breakpoint
CREATE INDEX "connections_region_clinic_idx" ON "connections" USING btree ("region","clinic_id");--> statement-breakpoint
CREATE INDEX "connections_state_severity_idx" ON "connections" USING btree ((array_position(array['action_required','degraded','reconnect_pending','pending_disconnect','setup_pending','paused','healthy']::text[], "state")),"clinic_id");--> statement-breakpoint
CREATE INDEX "connections_failure_clinic_idx" ON "connections" USING btree ("failure_code","clinic_id") WHERE "connections"."failure_code" is not null;--> statement-breakpoint
CREATE INDEX "connections_no_failure_idx" ON "connections" USING btree ("clinic_id") WHERE "connections"."failure_code" is null;--> statement-breakpoint
CREATE INDEX "connections_last_success_clinic_idx" ON "connections" USING btree ("last_success_at","clinic_id") WHERE "connections"."last_success_at" is not null;--> statement-breakpoint
CREATE INDEX "connections_never_succeeded_idx" ON "connections" USING btree ("clinic_id") WHERE "connections"."last_success_at" is null;--> statement-breakpoint
CREATE INDEX "connections_first_failure_clinic_idx" ON "connections" USING btree ("first_failure_at","clinic_id") WHERE "connections"."first_failure_at" is not null;--> statement-breakpoint
CREATE INDEX "connections_not_failing_idx" ON "connections" USING btree ("clinic_id") WHERE "connections"."first_failure_at" is null;--> statement-breakpoint
CREATE INDEX "connections_patients_clinic_idx" ON "connections" USING btree ("visible_patient_count","clinic_id") WHERE "connections"."visible_patient_count" is not null;--> statement-breakpoint
CREATE INDEX "connections_patients_unknown_idx" ON "connections" USING btree ("clinic_id") WHERE "connections"."visible_patient_count" is null;