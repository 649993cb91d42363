import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { z } from "zod";

/**
 * API keys at rest: AES-256-GCM with a random 96-bit IV, a 128-bit auth tag, the id of the master
 * key that sealed it (for rotation), and the connection id as associated data — so a ciphertext
 * copied into another connection's row fails to decrypt instead of silently probing with the
 * wrong clinic's key.
 *
 * Errors never carry the plaintext, the master key or the ciphertext: they end up in logs.
 */

const ALGORITHM = "aes-256-gcm";
const IV_BYTES = 12; // why: 96 bits is GCM's native nonce size; other sizes are hashed into one
const TAG_BYTES = 16;
const KEY_BYTES = 32;
// why: versioned, domain-separated AAD so the same master key can never be confused with
// another use of it, and the format can change without ambiguity.
const AAD_PREFIX = "relink/api-key/v1/connection:";

interface MasterKey {
  id: string;
  key: Buffer;
}

export interface Keyring {
  /** Encrypts everything new; decrypts what it sealed. */
  current: MasterKey;
  /** Still decrypt; everything under them should be re-encrypted under `current`. */
  previous?: readonly MasterKey[];
}

export interface EncryptedApiKey {
  ciphertext: Buffer;
  iv: Buffer;
  tag: Buffer;
  keyId: string;
}

export type KeyCryptoErrorCode = "invalid_master_key" | "invalid_keyring" | "invalid_input" | "unknown_key_id" | "invalid_parts" | "decrypt_failed";

export class KeyCryptoError extends Error {
  readonly code: KeyCryptoErrorCode;
  constructor(code: KeyCryptoErrorCode, message: string) {
    super(message);
    this.name = "KeyCryptoError";
    this.code = code;
  }
}

const MasterKeyIdSchema = z.string().regex(/^[a-z0-9-]{1,32}$/, "must be 1-32 of a-z, 0-9, -");

const Base64KeySchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, "must be base64")
  .transform((s) => ({ text: s, bytes: Buffer.from(s, "base64") }))
  // why: Buffer.from ignores stray characters and padding; require the canonical form of 32 bytes
  .refine((v) => v.bytes.length === KEY_BYTES && v.bytes.toString("base64") === v.text, {
    message: "must be exactly 32 bytes in base64 (openssl rand -base64 32)",
  })
  .refine((v) => !v.bytes.every((b) => b === v.bytes[0]), {
    message: "looks like a placeholder (all bytes equal); generate a random key",
  })
  .transform((v) => v.bytes);

/** Parses a base64 master key (32 bytes). The message never repeats the value. */
export function parseMasterKey(base64: string): Buffer {
  const result = Base64KeySchema.safeParse(base64);
  if (!result.success) {
    throw new KeyCryptoError("invalid_master_key", `Invalid master key: ${result.error.issues[0]?.message ?? "unreadable"}`);
  }
  return result.data;
}

/** A fresh random master key in base64, e.g. for the development key written to the data folder. */
export function generateMasterKey(): string {
  return randomBytes(KEY_BYTES).toString("base64");
}

export interface KeyringConfig {
  /** Id of the current master key (MASTER_KEY_ID). */
  currentId: string;
  /** The current master key in base64 (MASTER_KEY). */
  currentKey: string;
  /**
   * Retired keys that still decrypt: either a list, or a comma-separated `id:base64` string
   * (one environment variable), e.g. `k1:AAAA…=,k0:BBBB…=`.
   */
  previous?: string | readonly { id: string; key: string }[];
}

function parsePreviousList(previous: KeyringConfig["previous"]): { id: string; key: string }[] {
  if (previous === undefined) return [];
  if (typeof previous !== "string") return [...previous];
  return previous
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry, index) => {
      const colon = entry.indexOf(":");
      if (colon <= 0) throw new KeyCryptoError("invalid_keyring", `Previous master key #${index + 1} must be written id:base64`);
      return { id: entry.slice(0, colon), key: entry.slice(colon + 1) };
    });
}

function parseNamedKey(id: string, key: string, label: string): MasterKey {
  const idResult = MasterKeyIdSchema.safeParse(id);
  if (!idResult.success) throw new KeyCryptoError("invalid_keyring", `${label} id: ${idResult.error.issues[0]?.message}`);
  try {
    return { id, key: parseMasterKey(key) };
  } catch (e) {
    if (e instanceof KeyCryptoError) throw new KeyCryptoError("invalid_master_key", `${label} "${id}": ${e.message}`);
    throw e;
  }
}

/** Builds a keyring from configuration, failing fast with every problem named (never a key). */
export function parseKeyring(config: KeyringConfig): Keyring {
  const current = parseNamedKey(config.currentId, config.currentKey, "Current master key");
  const previous = parsePreviousList(config.previous).map((p, i) => parseNamedKey(p.id, p.key, `Previous master key #${i + 1}`));
  const ids = [current.id, ...previous.map((p) => p.id)];
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate !== undefined) throw new KeyCryptoError("invalid_keyring", `Master key id "${duplicate}" is used twice`);
  // why: the same key under two ids would make "needs rotation" lie about what protects the data
  const all = [current, ...previous];
  for (let i = 0; i < all.length; i++)
    for (let j = i + 1; j < all.length; j++)
      if (all[i]!.key.equals(all[j]!.key)) throw new KeyCryptoError("invalid_keyring", `Master keys "${all[i]!.id}" and "${all[j]!.id}" are the same key`);
  return previous.length > 0 ? { current, previous } : { current };
}

function aad(connectionId: string): Buffer {
  return Buffer.from(AAD_PREFIX + connectionId, "utf8");
}

function requireConnectionId(connectionId: string): void {
  if (typeof connectionId !== "string" || connectionId.length === 0) {
    throw new KeyCryptoError("invalid_input", "A connection id is required to bind the key to its row");
  }
}

function findKey(keyring: Keyring, keyId: string): MasterKey | undefined {
  if (keyring.current.id === keyId) return keyring.current;
  return keyring.previous?.find((k) => k.id === keyId);
}

export function encryptApiKey(keyring: Keyring, connectionId: string, plaintext: string): EncryptedApiKey {
  requireConnectionId(connectionId);
  // why: "no key" is stored as NULL parts (key_missing), never as an encrypted empty string
  if (typeof plaintext !== "string" || plaintext.length === 0) {
    throw new KeyCryptoError("invalid_input", "Refusing to encrypt an empty API key");
  }
  return seal(keyring, aad(connectionId), plaintext);
}

function seal(keyring: Keyring, associated: Buffer, plaintext: string): EncryptedApiKey {
  const { id, key } = keyring.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associated);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return { ciphertext, iv, tag: cipher.getAuthTag(), keyId: id };
}

// why: each kind of secret gets its own AAD domain, so a ciphertext of one kind (a vendor access
// token) can never be opened as another (an API key), even for a row id that happens to match
const BOUND_PURPOSE = /^[a-z0-9-]{1,40}$/;
function boundAad(purpose: string, rowId: string): Buffer {
  if (!BOUND_PURPOSE.test(purpose)) throw new KeyCryptoError("invalid_input", "A secret's purpose must be 1-40 of a-z, 0-9, -");
  if (typeof rowId !== "string" || rowId.length === 0) throw new KeyCryptoError("invalid_input", "A row id is required to bind the secret to its row");
  return Buffer.from(`relink/${purpose}/v1/row:${rowId}`, "utf8");
}

/**
 * Seals a secret other than an API key (e.g. a shared vendor access token) under the current
 * master key, bound to its purpose and row like API keys are bound to their connection.
 */
export function encryptBoundSecret(keyring: Keyring, purpose: string, rowId: string, plaintext: string): EncryptedApiKey {
  if (typeof plaintext !== "string" || plaintext.length === 0) throw new KeyCryptoError("invalid_input", "Refusing to encrypt an empty secret");
  return seal(keyring, boundAad(purpose, rowId), plaintext);
}

export function decryptBoundSecret(keyring: Keyring, purpose: string, rowId: string, parts: EncryptedApiKey): string {
  return open(keyring, boundAad(purpose, rowId), parts, `${purpose} ${rowId.slice(0, 12)}`);
}

export function decryptApiKey(keyring: Keyring, connectionId: string, parts: EncryptedApiKey): string {
  requireConnectionId(connectionId);
  return open(keyring, aad(connectionId), parts, `connection ${connectionId}`);
}

function open(keyring: Keyring, associated: Buffer, parts: EncryptedApiKey, what: string): string {
  const label = what.startsWith("connection ") ? `API key for ${what}` : `secret for ${what}`;
  const master = findKey(keyring, parts.keyId);
  if (!master) {
    throw new KeyCryptoError(
      "unknown_key_id",
      `${label.charAt(0).toUpperCase()}${label.slice(1)} was sealed with master key "${String(parts.keyId).slice(0, 32)}", which is not configured`,
    );
  }
  const wellFormed =
    Buffer.isBuffer(parts.ciphertext) &&
    Buffer.isBuffer(parts.iv) &&
    parts.iv.length === IV_BYTES &&
    Buffer.isBuffer(parts.tag) &&
    parts.tag.length === TAG_BYTES;
  if (!wellFormed) {
    throw new KeyCryptoError("invalid_parts", `Encrypted ${label} is incomplete (IV or tag has the wrong size)`);
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, master.key, parts.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associated);
    decipher.setAuthTag(parts.tag);
    return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]).toString("utf8");
  } catch {
    // why: GCM cannot tell tampering from a row swap from a reused key id; say all three, reveal nothing
    throw new KeyCryptoError(
      "decrypt_failed",
      `Encrypted ${label} failed authentication: it was altered, copied from another ${what.startsWith("connection ") ? "connection" : "row"}, or master key "${master.id}" is not the key that sealed it`,
    );
  }
}

/** True when the key was sealed by a retired master key and should be re-encrypted. */
export function needsRotation(keyring: Keyring, keyId: string): boolean {
  return keyId !== keyring.current.id;
}

/**
 * Decrypts with whichever configured key sealed it and seals again under the current key.
 * Returns the parts unchanged when they are already current (nothing to write).
 */
export function reencryptApiKey(keyring: Keyring, connectionId: string, parts: EncryptedApiKey): EncryptedApiKey {
  if (!needsRotation(keyring, parts.keyId)) return parts;
  return encryptApiKey(keyring, connectionId, decryptApiKey(keyring, connectionId, parts));
}

/** A webhook signing secret sealed like an API key, bound to its endpoint row. */
export function encryptWebhookSecret(keyring: Keyring, endpointId: string, secret: string): EncryptedApiKey {
  return encryptBoundSecret(keyring, "webhook-secret", endpointId, secret);
}

export function decryptWebhookSecret(keyring: Keyring, endpointId: string, parts: EncryptedApiKey): string {
  return decryptBoundSecret(keyring, "webhook-secret", endpointId, parts);
}

export function reencryptWebhookSecret(keyring: Keyring, endpointId: string, parts: EncryptedApiKey): EncryptedApiKey {
  if (!needsRotation(keyring, parts.keyId)) return parts;
  return encryptWebhookSecret(keyring, endpointId, decryptWebhookSecret(keyring, endpointId, parts));
}
