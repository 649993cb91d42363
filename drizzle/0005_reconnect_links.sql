CREATE TABLE "reconnect_links" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"clinic_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"token_hash" "bytea" NOT NULL,
	"purpose" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"retry_key_ciphertext" "bytea",
	"retry_key_iv" "bytea",
	"retry_key_tag" "bytea",
	"retry_key_id" text,
	"retry_region" text,
	"retry_api_version" text,
	"retry_expires_at" timestamp with time zone,
	CONSTRAINT "reconnect_links_token_hash_len" CHECK (octet_length("reconnect_links"."token_hash") = 32),
	CONSTRAINT "reconnect_links_purpose_len" CHECK (length(trim("reconnect_links"."purpose")) between 1 and 200),
	CONSTRAINT "reconnect_links_expiry_after_creation" CHECK ("reconnect_links"."expires_at" > "reconnect_links"."created_at"),
	CONSTRAINT "reconnect_links_retry_parts_together" CHECK (("reconnect_links"."retry_key_ciphertext" is null) = ("reconnect_links"."retry_key_iv" is null) and ("reconnect_links"."retry_key_iv" is null) = ("reconnect_links"."retry_key_tag" is null)
        and ("reconnect_links"."retry_key_tag" is null) = ("reconnect_links"."retry_key_id" is null) and ("reconnect_links"."retry_key_id" is null) = ("reconnect_links"."retry_region" is null)
        and ("reconnect_links"."retry_region" is null) = ("reconnect_links"."retry_api_version" is null) and ("reconnect_links"."retry_api_version" is null) = ("reconnect_links"."retry_expires_at" is null))
);
--> statement-breakpoint
ALTER TABLE "reconnect_links" ADD CONSTRAINT "reconnect_links_clinic_id_clinics_id_fk" FOREIGN KEY ("clinic_id") REFERENCES "public"."clinics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconnect_links" ADD CONSTRAINT "reconnect_links_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "reconnect_links_token_hash_uidx" ON "reconnect_links" USING btree ("token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "reconnect_links_one_live_uidx" ON "reconnect_links" USING btree ("clinic_id") WHERE "reconnect_links"."used_at" is null and "reconnect_links"."revoked_at" is null;--> statement-breakpoint
CREATE INDEX "reconnect_links_clinic_created_idx" ON "reconnect_links" USING btree ("clinic_id","created_at" DESC NULLS LAST);