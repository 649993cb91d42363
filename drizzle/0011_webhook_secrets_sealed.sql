ALTER TABLE "webhook_endpoints" DROP CONSTRAINT "webhook_endpoints_secret_length";--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ALTER COLUMN "secret" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "secret_ciphertext" "bytea";--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "secret_iv" "bytea";--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "secret_tag" "bytea";--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "secret_key_id" text;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_secret_parts_together" CHECK (("webhook_endpoints"."secret_ciphertext" is null) = ("webhook_endpoints"."secret_iv" is null) and ("webhook_endpoints"."secret_iv" is null) = ("webhook_endpoints"."secret_tag" is null) and ("webhook_endpoints"."secret_tag" is null) = ("webhook_endpoints"."secret_key_id" is null));--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_one_secret" CHECK (("webhook_endpoints"."secret" is null) <> ("webhook_endpoints"."secret_ciphertext" is null));--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_secret_length" CHECK ("webhook_endpoints"."secret" is null or length("webhook_endpoints"."secret") >= 32);