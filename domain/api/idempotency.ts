import { createHash } from "node:crypto";
import { z } from "zod";
import type { DbOrTx } from "../../db/client.ts";
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from "../../db/queries/api-idempotency.ts";
import { decryptBoundSecret, encryptBoundSecret, type Keyring } from "../secrets/key-crypto.ts";

/**
 * `Idempotency-Key` on JSON API POSTs, with Stripe's semantics
 * (docs/decisions/0047-api-tokens-limits-idempotency.md): the first request's answer is kept 24
 * hours under (token, key) with the request's fingerprint; a retry with the same key and the same
 * request gets that answer again without running anything, a different request with the same key
 * is refused, and a retry while the first is still running is told so.
 */

/** 1–255 printable ASCII characters (a UUID is the usual choice). */
export const IdempotencyKeySchema = z
  .string()
  .min(1, "Idempotency-Key is empty; send 1–255 printable characters, e.g. a UUID.")
  .max(255, "Idempotency-Key is longer than 255 characters.")
  .regex(/^[\x20-\x7e]*$/, "Idempotency-Key may hold printable ASCII characters only.");

/** The answer a retry gets back: status, the handler's headers (Location, Cache-Control…), body text. */
export interface StoredAnswer {
  status: number;
  headers: [string, string][];
  body: string;
}

/** JSON with object members sorted, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** SHA-256 of method, path (with query) and the canonical body: what "the same request" means. */
export function requestFingerprint({ method, path, body }: { method: string; path: string; body: unknown }): string {
  return createHash("sha256")
    .update(`${method.toUpperCase()}\n${path}\n${body === undefined ? "" : canonicalJson(body)}`, "utf8")
    .digest("hex");
}

// why: answers may carry a reconnect URL; sealed like API keys, bound to their (token, key) row
const PURPOSE = "api-idempotency";
const rowIdOf = (tokenId: string, key: string) => `${tokenId}/${key}`;

export type IdempotencyOutcome = { kind: "run" } | { kind: "replay"; answer: StoredAnswer } | { kind: "reused" } | { kind: "in_flight" };

/** Claims the key for this request, or says why it is not this request's to run. */
export async function beginIdempotent(
  { tokenId, key, fingerprint, keyring, now }: { tokenId: string; key: string; fingerprint: string; keyring: Keyring; now?: Date },
  db: DbOrTx,
): Promise<IdempotencyOutcome> {
  const claim = await claimIdempotencyKey({ tokenId, key, fingerprint, ...(now ? { now } : {}) }, db);
  if (claim.claimed) return { kind: "run" };
  if (claim.fingerprint !== fingerprint) return { kind: "reused" };
  if (!claim.answer) return { kind: "in_flight" };
  const { answerCiphertext: ciphertext, answerIv: iv, answerTag: tag, answerKeyId: keyId } = claim.answer;
  const text = decryptBoundSecret(keyring, PURPOSE, rowIdOf(tokenId, key), { ciphertext, iv, tag, keyId });
  return { kind: "replay", answer: JSON.parse(text) as StoredAnswer };
}

/** Keeps the first answer for retries. */
export async function finishIdempotent(
  { tokenId, key, answer, keyring }: { tokenId: string; key: string; answer: StoredAnswer; keyring: Keyring },
  db: DbOrTx,
): Promise<void> {
  const sealed = encryptBoundSecret(keyring, PURPOSE, rowIdOf(tokenId, key), JSON.stringify(answer));
  await completeIdempotencyKey(
    {
      tokenId,
      key,
      answer: { status: answer.status, answerCiphertext: sealed.ciphertext, answerIv: sealed.iv, answerTag: sealed.tag, answerKeyId: sealed.keyId },
    },
    db,
  );
}

/** Gives the key back after a failure on our side, so the client's retry runs. */
export async function abandonIdempotent({ tokenId, key }: { tokenId: string; key: string }, db: DbOrTx): Promise<void> {
  await releaseIdempotencyKey({ tokenId, key }, db);
}
