import { notAKeyMessage } from "./not-a-key.ts";

/**
 * Cliniko keys name their shard after the last hyphen: `MxJrZXki…-au2` → au2; no suffix → au1.
 * Anything after a hyphen that is not a shard (`^[a-z]{2}\d{1,2}$`) makes the key malformed.
 */
export const KNOWN_CLINIKO_SHARDS = ["au1", "au2", "au3", "au4", "ca1", "uk1", "uk2", "uk3", "eu1", "us1"] as const;
export const DEFAULT_CLINIKO_SHARD = "au1";
export const SHARD_PATTERN = /^[a-z]{2}\d{1,2}$/;
// why: Cliniko keys are base64-ish tokens; anything else (spaces, quotes, colons) is a paste error
const BODY_PATTERN = /^[A-Za-z0-9+/=_]+$/;
const MIN_BODY_LENGTH = 20;

export type ClinikoKeyParse =
  | { ok: true; key: string; shard: string; hasSuffix: boolean; knownShard: boolean }
  | { ok: false; reason: "empty" | "bad_suffix" | "bad_characters" | "too_short"; message: string };

/**
 * Never throws, and its messages never quote the key: they are shown to clinic admins and stored
 * as evidence.
 */
export function parseClinikoKey(raw: string): ClinikoKeyParse {
  const key = typeof raw === "string" ? raw : "";
  if (key.trim().length === 0) return { ok: false, reason: "empty", message: "The key is empty." };
  const notAKey = notAKeyMessage(key, "Cliniko");
  if (notAKey) return { ok: false, reason: "bad_characters", message: notAKey };
  // why: checked before the suffix, or a trailing space or newline would read as a bad region
  if (/\s/.test(key)) {
    return { ok: false, reason: "bad_characters", message: "The key contains spaces or line breaks. Copy it again without them." };
  }
  const hyphen = key.lastIndexOf("-");
  const body = hyphen === -1 ? key : key.slice(0, hyphen);
  const suffix = hyphen === -1 ? undefined : key.slice(hyphen + 1);
  // why: "…-au" or "…-u" is an ending cut off while copying, not a wrong region
  if (suffix !== undefined && /^[a-z]{1,2}$/.test(suffix)) {
    return {
      ok: false,
      reason: "bad_suffix",
      message: "The key's ending looks cut off (it should end like -au2). Copy the whole key again, including its ending.",
    };
  }
  if (suffix !== undefined && !SHARD_PATTERN.test(suffix)) {
    return {
      ok: false,
      reason: "bad_suffix",
      message: "The part after the last hyphen is not a Cliniko region such as au1 or uk2. Copy the whole key again, including its ending.",
    };
  }
  if (!BODY_PATTERN.test(body)) {
    return { ok: false, reason: "bad_characters", message: "The key contains characters a Cliniko key never has (quotes or punctuation)." };
  }
  if (body.length < MIN_BODY_LENGTH) {
    return { ok: false, reason: "too_short", message: "The key is too short: it looks cut off. Copy the whole key again." };
  }
  const shard = suffix ?? DEFAULT_CLINIKO_SHARD;
  return { ok: true, key, shard, hasSuffix: suffix !== undefined, knownShard: (KNOWN_CLINIKO_SHARDS as readonly string[]).includes(shard) };
}

/** Only the last 4 characters and the shard are ever shown. */
export function clinikoKeyHint(key: string, shard: string): string {
  const hyphen = key.lastIndexOf("-");
  const body = hyphen === -1 ? key : key.slice(0, hyphen);
  return `…${body.slice(-4)} (${shard})`;
}
