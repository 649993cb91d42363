CREATE TABLE "bulk_operation_items" (
	"operation_id" uuid NOT NULL,
	"clinic_id" uuid NOT NULL,
	"connection_id" uuid,
	"status" text DEFAULT 'waiting' NOT NULL,
	"message" text,
	"finished_at" timestamp with time zone,
	CONSTRAINT "bulk_operation_items_operation_id_clinic_id_pk" PRIMARY KEY("operation_id","clinic_id"),
	CONSTRAINT "bulk_operation_items_status_check" CHECK ("bulk_operation_items"."status" in ('waiting', 'done', 'failed', 'skipped')),
	CONSTRAINT "bulk_operation_items_finished" CHECK (("bulk_operation_items"."status" = 'waiting') = ("bulk_operation_items"."finished_at" is null))
);
--> statement-breakpoint
CREATE TABLE "bulk_operations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"requested_by" uuid NOT NULL,
	"requested_by_label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"total" integer NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"return_to" text DEFAULT '/clinics' NOT NULL,
	CONSTRAINT "bulk_operations_kind_check" CHECK ("bulk_operations"."kind" in ('probe', 'reconnect_link', 'pause', 'resume', 'campaign')),
	CONSTRAINT "bulk_operations_total_positive" CHECK ("bulk_operations"."total" >= 1),
	CONSTRAINT "bulk_operations_return_to_clinics" CHECK ("bulk_operations"."return_to" like '/clinics%')
);
--> statement-breakpoint
ALTER TABLE "bulk_operation_items" ADD CONSTRAINT "bulk_operation_items_operation_id_bulk_operations_id_fk" FOREIGN KEY ("operation_id") REFERENCES "public"."bulk_operations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulk_operation_items" ADD CONSTRAINT "bulk_operation_items_clinic_id_clinics_id_fk" FOREIGN KEY ("clinic_id") REFERENCES "public"."clinics"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulk_operation_items" ADD CONSTRAINT "bulk_operation_items_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulk_operations" ADD CONSTRAINT "bulk_operations_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bulk_operations_created_idx" ON "bulk_operations" USING btree ("created_at" DESC NULLS LAST);