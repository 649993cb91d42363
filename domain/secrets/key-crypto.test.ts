import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  KeyCryptoError,
  decryptApiKey,
  encryptApiKey,
  generateMasterKey,
  needsRotation,
  parseKeyring,
  parseMasterKey,
  reencryptApiKey,
  type EncryptedApiKey,
  type Keyring,
} from "./key-crypto.ts";

const K1 = generateMasterKey();
const K2 = generateMasterKey();
const ROW_A = "7b0c1f3e-2d4a-4c55-9a1e-000000000001";
const ROW_B = "7b0c1f3e-2d4a-4c55-9a1e-000000000002";
const API_KEY = "MS0xNjYwMDAwMDAwMDAwMDAwMTIzLVNlY3JldFNlY3JldFNlY3JldA-au2";

const ring1: Keyring = parseKeyring({ currentId: "k1", currentKey: K1 });
const ring2: Keyring = parseKeyring({ currentId: "k2", currentKey: K2, previous: `k1:${K1}` });

/** Runs fn, expects a KeyCryptoError, and checks no secret leaked into it. */
function expectCryptoError(fn: () => unknown, code: KeyCryptoError["code"], secrets: string[] = [API_KEY, K1, K2]): KeyCryptoError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(KeyCryptoError);
  const err = caught as KeyCryptoError;
  expect(err.code).toBe(code);
  const visible = `${err.message} ${err.stack ?? ""} ${JSON.stringify(err)} ${String(err)}`;
  for (const s of secrets) {
    expect(visible).not.toContain(s);
    expect(visible).not.toContain(s.slice(0, 12));
  }
  return err;
}

function flipFirstBit(b: Buffer): Buffer {
  const copy = Buffer.from(b);
  copy[0] = copy[0]! ^ 1;
  return copy;
}

describe("parseMasterKey", () => {
  it("accepts 32 random bytes in base64, with surrounding whitespace from a file", () => {
    expect(parseMasterKey(K1)).toHaveLength(32);
    expect(parseMasterKey(`${K1}\n`).equals(Buffer.from(K1, "base64"))).toBe(true);
  });

  it.each([
    ["too short", Buffer.alloc(16, 7).toString("base64")],
    ["too long", randomBytes(48).toString("base64")],
    ["not base64", "this is not base64 at all!!"],
    ["empty", ""],
    ["all zero placeholder", Buffer.alloc(32).toString("base64")],
    ["stray characters inside", `${K1.slice(0, 10)}*${K1.slice(10)}`],
  ])("rejects a key that is %s without echoing it", (_label, value) => {
    expectCryptoError(() => parseMasterKey(value), "invalid_master_key", value.length > 12 ? [value] : []);
  });
});

describe("parseKeyring", () => {
  it("parses previous keys from an id:base64 list", () => {
    const r = parseKeyring({ currentId: "k3", currentKey: generateMasterKey(), previous: ` k2:${K2} , k1:${K1},` });
    expect(r.previous?.map((k) => k.id)).toEqual(["k2", "k1"]);
  });

  it("accepts previous keys as a list and omits an empty one", () => {
    expect(parseKeyring({ currentId: "k2", currentKey: K2, previous: [{ id: "k1", key: K1 }] }).previous?.[0]?.id).toBe("k1");
    expect(parseKeyring({ currentId: "k2", currentKey: K2, previous: "" }).previous).toBeUndefined();
  });

  it("rejects duplicate ids, one key under two ids, bad ids and bad entries", () => {
    expectCryptoError(() => parseKeyring({ currentId: "k1", currentKey: K1, previous: `k1:${K2}` }), "invalid_keyring");
    expectCryptoError(() => parseKeyring({ currentId: "k2", currentKey: K1, previous: `k1:${K1}` }), "invalid_keyring");
    expectCryptoError(() => parseKeyring({ currentId: "K 1", currentKey: K1 }), "invalid_keyring");
    expectCryptoError(() => parseKeyring({ currentId: "k2", currentKey: K2, previous: K1 }), "invalid_keyring");
    const err = expectCryptoError(() => parseKeyring({ currentId: "k2", currentKey: K2, previous: "k1:short" }), "invalid_master_key");
    expect(err.message).toContain('"k1"');
  });
});

describe("encryptApiKey / decryptApiKey", () => {
  it("round-trips, with a fresh 96-bit IV and 128-bit tag each time", () => {
    const a = encryptApiKey(ring1, ROW_A, API_KEY);
    const b = encryptApiKey(ring1, ROW_A, API_KEY);
    expect(a.keyId).toBe("k1");
    expect(a.iv).toHaveLength(12);
    expect(a.tag).toHaveLength(16);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
    expect(a.ciphertext.toString("utf8")).not.toContain(API_KEY.slice(0, 8));
    expect(decryptApiKey(ring1, ROW_A, a)).toBe(API_KEY);
    expect(decryptApiKey(ring1, ROW_A, b)).toBe(API_KEY);
  });

  it("round-trips non-ASCII text", () => {
    expect(decryptApiKey(ring1, ROW_A, encryptApiKey(ring1, ROW_A, "clé-ü-🔑"))).toBe("clé-ü-🔑");
  });

  it("fails when the ciphertext is copied to another connection's row", () => {
    const sealed = encryptApiKey(ring1, ROW_A, API_KEY);
    const err = expectCryptoError(() => decryptApiKey(ring1, ROW_B, sealed), "decrypt_failed");
    expect(err.message).toContain(ROW_B);
  });

  it.each([
    ["ciphertext", (p: EncryptedApiKey) => ({ ...p, ciphertext: flipFirstBit(p.ciphertext) })],
    ["tag", (p: EncryptedApiKey) => ({ ...p, tag: flipFirstBit(p.tag) })],
    ["iv", (p: EncryptedApiKey) => ({ ...p, iv: flipFirstBit(p.iv) })],
    ["truncated ciphertext", (p: EncryptedApiKey) => ({ ...p, ciphertext: p.ciphertext.subarray(1) })],
  ])("fails on a tampered %s", (_label, tamper) => {
    const sealed = encryptApiKey(ring1, ROW_A, API_KEY);
    expectCryptoError(() => decryptApiKey(ring1, ROW_A, tamper(sealed)), "decrypt_failed");
  });

  it("rejects parts of the wrong size before trying", () => {
    const sealed = encryptApiKey(ring1, ROW_A, API_KEY);
    expectCryptoError(() => decryptApiKey(ring1, ROW_A, { ...sealed, tag: sealed.tag.subarray(0, 8) }), "invalid_parts");
    expectCryptoError(() => decryptApiKey(ring1, ROW_A, { ...sealed, iv: Buffer.alloc(16) }), "invalid_parts");
  });

  it("names an unknown key id without revealing anything", () => {
    const sealed = encryptApiKey(ring2, ROW_A, API_KEY);
    const err = expectCryptoError(() => decryptApiKey(ring1, ROW_A, sealed), "unknown_key_id");
    expect(err.message).toContain('"k2"');
  });

  it("fails when a different key is configured under the same id", () => {
    const sealed = encryptApiKey(ring1, ROW_A, API_KEY);
    const impostor = parseKeyring({ currentId: "k1", currentKey: K2 });
    expectCryptoError(() => decryptApiKey(impostor, ROW_A, sealed), "decrypt_failed");
  });

  it("refuses an empty key or connection id", () => {
    expectCryptoError(() => encryptApiKey(ring1, ROW_A, ""), "invalid_input");
    expectCryptoError(() => encryptApiKey(ring1, "", API_KEY), "invalid_input");
    expectCryptoError(() => decryptApiKey(ring1, "", encryptApiKey(ring1, ROW_A, API_KEY)), "invalid_input");
  });
});

describe("rotation", () => {
  it("decrypts with a previous key and re-encrypts under the current id", () => {
    const old = encryptApiKey(ring1, ROW_A, API_KEY);
    expect(needsRotation(ring2, old.keyId)).toBe(true);
    expect(decryptApiKey(ring2, ROW_A, old)).toBe(API_KEY);

    const rotated = reencryptApiKey(ring2, ROW_A, old);
    expect(rotated.keyId).toBe("k2");
    expect(needsRotation(ring2, rotated.keyId)).toBe(false);
    expect(decryptApiKey(ring2, ROW_A, rotated)).toBe(API_KEY);
    // once every row is rotated the old key can go
    expect(decryptApiKey(parseKeyring({ currentId: "k2", currentKey: K2 }), ROW_A, rotated)).toBe(API_KEY);
  });

  it("leaves current ciphertexts alone", () => {
    const current = encryptApiKey(ring2, ROW_A, API_KEY);
    expect(reencryptApiKey(ring2, ROW_A, current)).toBe(current);
  });

  it("keeps the row binding through rotation", () => {
    const old = encryptApiKey(ring1, ROW_A, API_KEY);
    expectCryptoError(() => reencryptApiKey(ring2, ROW_B, old), "decrypt_failed");
  });
});
