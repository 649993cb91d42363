import { createHash } from "node:crypto";

/**
 * Deterministic vendor-shaped keys. The same label always gives the same key, so the demo fleet
 * Relink seeds and the simulator's default world agree without sharing state.
 */
function digest(label: string): Buffer {
  return createHash("sha256").update(`relink-simulator:${label}`).digest();
}

/** A Cliniko-looking key: base64 of `1-<user digits>-<secret>`, plus `-<shard>` when given. */
export function clinikoKey(label: string, shard?: string): string {
  const d = digest(label);
  const userDigits = (d.readBigUInt64BE(0) % 10n ** 18n).toString().padStart(18, "1");
  const secret = d.subarray(8, 32).toString("base64url").replace(/[-_]/g, "x");
  const body = Buffer.from(`1-${userDigits}-${secret}`).toString("base64").replace(/=+$/, "");
  return shard ? `${body}-${shard}` : body;
}

/** A Nookal "API v3 Basic Key": base64 of `client_id:client_secret`. */
export function nookalV3Key(label: string): string {
  const d = digest(label);
  return Buffer.from(`nk_${d.subarray(0, 8).toString("hex")}:${d.subarray(8, 32).toString("hex")}`).toString("base64");
}

/** A Nookal v2 `api_key`: GUID-shaped. */
export function nookalV2Key(label: string): string {
  const h = digest(label).toString("hex").toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
