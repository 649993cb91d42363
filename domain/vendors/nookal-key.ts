import { notAKeyMessage } from "./not-a-key.ts";
/**
 * A Nookal key as pasted: an "API v3 Basic Key" (base64) or a v2 api_key (GUID-like). Nookal
 * publishes no format, so only what no key can contain is refused. Never throws; messages never
 * quote the key.
 */
export type NookalKeyParse = { ok: true; key: string } | { ok: false; reason: "empty" | "bad_characters" | "too_short"; message: string };

const KEY_PATTERN = /^[A-Za-z0-9+/=_\-.:]+$/;
const MIN_LENGTH = 16;

export function parseNookalKey(raw: string): NookalKeyParse {
  const key = typeof raw === "string" ? raw : "";
  if (key.trim().length === 0) return { ok: false, reason: "empty", message: "The key is empty." };
  const notAKey = notAKeyMessage(key, "Nookal");
  if (notAKey) return { ok: false, reason: "bad_characters", message: notAKey };
  if (/\s/.test(key)) return { ok: false, reason: "bad_characters", message: "The key contains spaces or line breaks. Copy it again without them." };
  if (!KEY_PATTERN.test(key))
    return { ok: false, reason: "bad_characters", message: "The key contains characters a Nookal key never has (quotes or punctuation)." };
  if (key.length < MIN_LENGTH) return { ok: false, reason: "too_short", message: "The key is too short: it looks cut off. Copy the whole key again." };
  return { ok: true, key };
}

/** Only the last 4 characters and the region are ever shown. */
export function nookalKeyHint(key: string, region: string): string {
  return `…${key.replace(/=+$/, "").slice(-4)} (${region})`;
}
