import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseKeyring } from "./key-crypto.ts";
import { fingerprintIsStale, keyFingerprint, keyFingerprintCandidates } from "./key-fingerprint.ts";

const ringA = parseKeyring({ currentKey: randomBytes(32).toString("base64"), currentId: "a" });
const ringB = parseKeyring({ currentKey: randomBytes(32).toString("base64"), currentId: "b" });
const KEY = "MS0xNjYwMDAwMDAwMDAwMDAwMTIzLWFiY2RlZmdoaWprbG1ub3A";

describe("keyFingerprint", () => {
  it("is keyed: another master key gives another fingerprint, and it is not a plain hash of the key", () => {
    const a = keyFingerprint(ringA, "cliniko", KEY);
    expect(a).toMatch(/^v1:a:[A-Za-z0-9_-]{43}$/);
    expect(keyFingerprint(ringB, "cliniko", KEY)).not.toBe(a.replace("v1:a:", "v1:b:"));
    expect(a).not.toContain(createHash("sha256").update(KEY).digest("base64url"));
    expect(a).not.toContain(KEY.slice(-8));
  });

  it("treats a Cliniko key with and without its shard ending as the same key", () => {
    expect(keyFingerprint(ringA, "cliniko", `${KEY}-au2`)).toBe(keyFingerprint(ringA, "cliniko", KEY));
    expect(keyFingerprint(ringA, "cliniko", `${KEY}x`)).not.toBe(keyFingerprint(ringA, "cliniko", KEY));
  });

  it("looks a key up under every master key still in the ring", () => {
    const rotated = parseKeyring({ currentKey: randomBytes(32).toString("base64"), currentId: "c", previous: `a:${ringA.current.key.toString("base64")}` });
    const old = keyFingerprint(ringA, "nookal", KEY);
    expect(keyFingerprintCandidates(rotated, "nookal", KEY)).toContain(old);
    expect(fingerprintIsStale(rotated, old)).toBe(true);
    expect(fingerprintIsStale(rotated, keyFingerprint(rotated, "nookal", KEY))).toBe(false);
    expect(fingerprintIsStale(rotated, null)).toBe(true);
  });
});
