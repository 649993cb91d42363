CREATE TABLE "api_idempotency_keys" (
	"token_id" uuid NOT NULL,
	"key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" integer,
	"answer_ciphertext" "bytea",
	"answer_iv" "bytea",
	"answer_tag" "bytea",
	"answer_key_id" text,
	CONSTRAINT "api_idempotency_keys_token_id_key_pk" PRIMARY KEY("token_id","key"),
	CONSTRAINT "api_idempotency_keys_key_length" CHECK (length("api_idempotency_keys"."key") between 1 and 255),
	CONSTRAINT "api_idempotency_keys_answer_together" CHECK (("api_idempotency_keys"."status" is null) = ("api_idempotency_keys"."answer_ciphertext" is null) and ("api_idempotency_keys"."answer_ciphertext" is null) = ("api_idempotency_keys"."answer_iv" is null) and ("api_idempotency_keys"."answer_iv" is null) = ("api_idempotency_keys"."answer_tag" is null) and ("api_idempotency_keys"."answer_tag" is null) = ("api_idempotency_keys"."answer_key_id" is null))
);
--> statement-breakpoint
ALTER TABLE "api_idempotency_keys" ADD CONSTRAINT "api_idempotency_keys_token_id_api_tokens_id_fk" FOREIGN KEY ("token_id") REFERENCES "public"."api_tokens"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_idempotency_keys_created_idx" ON "api_idempotency_keys" USING btree ("created_at");