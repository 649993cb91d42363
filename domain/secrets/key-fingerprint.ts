import { createHmac, hkdfSync } from "node:crypto";
import { SHARD_PATTERN } from "../vendors/cliniko-key.ts";
import type { Vendor } from "../vocabulary.ts";
import type { Keyring } from "./key-crypto.ts";

/**
 * A keyed fingerprint of an API key (docs/decisions/0026): HMAC-SHA256 under a key derived (HKDF)
 * from a master key of the keyring, so "this key already serves another clinic" can be found by an
 * index lookup without the plain key and without an unkeyed hash anyone could test guesses against.
 *
 * Format `v1:<master key id>:<base64url mac>`. A fingerprint is tied to the master key that made
 * it: after a rotation the stored ones are recomputed lazily (next probe) or by keys:rotate, and
 * lookups try the fingerprint under every master key still in the ring.
 */

const INFO = "relink/api-key-fingerprint/v1";
const derived = new WeakMap<Buffer, Buffer>();

function macKey(master: Buffer): Buffer {
  let k = derived.get(master);
  if (!k) derived.set(master, (k = Buffer.from(hkdfSync("sha256", master, Buffer.alloc(0), INFO, 32))));
  return k;
}

/** The key as the vendor sees the account: a Cliniko key with or without its shard ending is the same key. */
function canonical(vendor: Vendor, key: string): string {
  const k = key.trim();
  if (vendor === "cliniko") {
    const hyphen = k.lastIndexOf("-");
    if (hyphen !== -1 && SHARD_PATTERN.test(k.slice(hyphen + 1))) return `cliniko:${k.slice(0, hyphen)}`;
    return `cliniko:${k}`;
  }
  return `nookal:${k}`;
}

function fingerprintWith(master: { id: string; key: Buffer }, vendor: Vendor, key: string): string {
  const mac = createHmac("sha256", macKey(master.key)).update(canonical(vendor, key)).digest("base64url");
  return `v1:${master.id}:${mac}`;
}

/** The fingerprint to store (under the current master key). */
export function keyFingerprint(keyring: Keyring, vendor: Vendor, key: string): string {
  return fingerprintWith(keyring.current, vendor, key);
}

/** Every fingerprint this key may be stored under (current and previous master keys), for lookups. */
export function keyFingerprintCandidates(keyring: Keyring, vendor: Vendor, key: string): string[] {
  return [keyring.current, ...(keyring.previous ?? [])].map((m) => fingerprintWith(m, vendor, key));
}

/** True when a stored fingerprint was made under another master key than the current one. */
export function fingerprintIsStale(keyring: Keyring, stored: string | null): boolean {
  return stored === null || !stored.startsWith(`v1:${keyring.current.id}:`);
}
