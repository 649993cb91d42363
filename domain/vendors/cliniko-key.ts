/**
 * Cliniko keys name their shard after the last hyphen: `MxJrZXki…-au2` → au2; no suffix → au1.
 * Anything after a hyphen that is not a shard (`^[a-z]{2}\d{1,2}$`) makes the key malformed.
 */
export const KNOWN_CLINIKO_SHARDS = ["au1", "au2", "au3", "au4", "ca1", "uk1", "uk2", "uk3", "eu1", "us1"] as const;
export const DEFAULT_CLINIKO_SHARD = "au1";
const SHARD_PATTERN = /^[a-z]{2}\d{1,2}$/;
// why: Cliniko keys are base64-ish tokens; anything else (spaces, quotes, colons) is a paste error
const BODY_PATTERN = /^[A-Za-z0-9+/=_]+$/;
const MIN_BODY_LENGTH = 20;

export type ClinikoKeyParse =
  | { ok: true; key: string; shard: string; hasSuffix: boolean }
  | { ok: false; reason: "empty" | "bad_suffix" | "bad_characters" | "too_short"; message: string };

export function parseClinikoKey(raw: string): ClinikoKeyParse {
  const key = raw;
  if (key.length === 0) return { ok: false, reason: "empty", message: "The key is empty." };
  const hyphen = key.lastIndexOf("-");
  const body = hyphen === -1 ? key : key.slice(0, hyphen);
  const suffix = hyphen === -1 ? undefined : key.slice(hyphen + 1);
  if (suffix !== undefined && !SHARD_PATTERN.test(suffix)) {
    return {
      ok: false,
      reason: "bad_suffix",
      message: `The part after the last hyphen ("${suffix.slice(0, 8)}") is not a Cliniko region such as au1 or uk2.`,
    };
  }
  if (!BODY_PATTERN.test(body)) {
    return { ok: false, reason: "bad_characters", message: "The key contains characters a Cliniko key never has (spaces, quotes or punctuation)." };
  }
  if (body.length < MIN_BODY_LENGTH) {
    return { ok: false, reason: "too_short", message: "The key is too short: it looks cut off. Copy the whole key again." };
  }
  return { ok: true, key, shard: suffix ?? DEFAULT_CLINIKO_SHARD, hasSuffix: suffix !== undefined };
}

/** Only the last 4 characters and the shard are ever shown. */
export function clinikoKeyHint(key: string, shard: string): string {
  const hyphen = key.lastIndexOf("-");
  const body = hyphen === -1 ? key : key.slice(0, hyphen);
  return `…${body.slice(-4)} (${shard})`;
}
