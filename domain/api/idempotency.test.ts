import { describe, expect, it } from "vitest";
import { IdempotencyKeySchema, requestFingerprint } from "./idempotency.ts";

describe("requestFingerprint", () => {
  const base = { method: "POST", path: "/api/v1/clinics", body: { name: "A", connection: { vendor: "cliniko", apiKey: "k" }, tags: [1, 2] } };

  it("is the same for the same request whatever the order of members", () => {
    const reordered = { method: "post", path: "/api/v1/clinics", body: { tags: [1, 2], connection: { apiKey: "k", vendor: "cliniko" }, name: "A" } };
    expect(requestFingerprint(reordered)).toBe(requestFingerprint(base));
    expect(requestFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("differs for another body, array order, path, query or method", () => {
    const fp = requestFingerprint(base);
    expect(requestFingerprint({ ...base, body: { ...base.body, name: "B" } })).not.toBe(fp);
    expect(requestFingerprint({ ...base, body: { ...base.body, tags: [2, 1] } })).not.toBe(fp);
    expect(requestFingerprint({ ...base, path: "/api/v1/clinics/x/syncs" })).not.toBe(fp);
    expect(requestFingerprint({ ...base, path: "/api/v1/clinics?x=1" })).not.toBe(fp);
    expect(requestFingerprint({ ...base, method: "PUT" })).not.toBe(fp);
  });

  it("tells no body from an empty object and from null", () => {
    const none = requestFingerprint({ ...base, body: undefined });
    expect(requestFingerprint({ ...base, body: {} })).not.toBe(none);
    expect(requestFingerprint({ ...base, body: null })).not.toBe(none);
  });
});

describe("IdempotencyKeySchema", () => {
  it("takes 1–255 printable ASCII characters", () => {
    expect(IdempotencyKeySchema.safeParse("9b2c7e0a-4f1d-4c3e-8a55-1f2e3d4c5b6a").success).toBe(true);
    expect(IdempotencyKeySchema.safeParse("a b ~!").success).toBe(true);
    expect(IdempotencyKeySchema.safeParse("k".repeat(255)).success).toBe(true);
  });

  it.each([
    ["empty", ""],
    ["too long", "k".repeat(256)],
    ["non-ASCII", "clé"],
    ["a control character", "a\tb"],
  ])("refuses one that is %s, with one message", (_label, key) => {
    const r = IdempotencyKeySchema.safeParse(key);
    expect(r.success).toBe(false);
    expect(r.error?.issues).toHaveLength(1);
  });
});
