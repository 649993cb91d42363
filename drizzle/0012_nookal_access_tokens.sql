CREATE TABLE "nookal_access_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"token_ciphertext" "bytea" NOT NULL,
	"token_iv" "bytea" NOT NULL,
	"token_tag" "bytea" NOT NULL,
	"token_key_id" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
