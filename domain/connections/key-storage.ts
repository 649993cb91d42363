import { clinikoKeyHint } from "../vendors/cliniko-key.ts";
import { nookalKeyHint } from "../vendors/nookal-key.ts";
import { decryptApiKey, encryptApiKey, parseKeyring, type Keyring } from "../secrets/key-crypto.ts";
import type { Vendor } from "../vocabulary.ts";

export type { Keyring };

export function keyringFromConfig(currentKey: string, currentId: string, previous?: string): Keyring {
  return parseKeyring({ currentKey, currentId, previous });
}

/** Only ever displayed: the last 4 characters and the region. */
function keyHint(vendor: Vendor, key: string, region: string): string {
  if (vendor === "cliniko") return clinikoKeyHint(key, region);
  return nookalKeyHint(key, region.toUpperCase());
}

/**
 * The same hint naming another region: the hint shows the region the key is used in, so it must
 * follow "apply the suggested region" and a shard corrected from the key's suffix.
 */
export function rehintRegion(vendor: Vendor, hint: string | null, region: string): string | null {
  if (!hint) return hint;
  const shown = vendor === "cliniko" ? region : region.toUpperCase();
  return /\([^)]*\)$/.test(hint) ? hint.replace(/\([^)]*\)$/, `(${shown})`) : `${hint} (${shown})`;
}

export interface SealedKeyColumns {
  keyCiphertext: Buffer;
  keyIv: Buffer;
  keyTag: Buffer;
  keyId: string;
  keyHint: string;
  keyUpdatedAt: Date;
}

/** The connection columns that store a key: encrypted, bound to the connection row, with its hint. */
export function sealApiKey(keyring: Keyring, connectionId: string, input: { vendor: Vendor; key: string; region: string }, now = new Date()): SealedKeyColumns {
  const parts = encryptApiKey(keyring, connectionId, input.key);
  return {
    keyCiphertext: parts.ciphertext,
    keyIv: parts.iv,
    keyTag: parts.tag,
    keyId: parts.keyId,
    keyHint: keyHint(input.vendor, input.key, input.region),
    keyUpdatedAt: now,
  };
}

/** The plaintext key of a connection row, or null when none is stored. Throws KeyCryptoError if tampered. */
export function openApiKey(
  keyring: Keyring,
  row: { id: string; keyCiphertext: Buffer | null; keyIv: Buffer | null; keyTag: Buffer | null; keyId: string | null },
): string | null {
  if (!row.keyCiphertext || !row.keyIv || !row.keyTag || !row.keyId) return null;
  return decryptApiKey(keyring, row.id, { ciphertext: row.keyCiphertext, iv: row.keyIv, tag: row.keyTag, keyId: row.keyId });
}
