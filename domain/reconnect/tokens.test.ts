import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateToken, hashToken, reconnectPath, TOKEN_PATTERN } from "./tokens.ts";

describe("reconnect tokens", () => {
  it("are 256 random bits in base64url, different every time", () => {
    const tokens = new Set(Array.from({ length: 200 }, generateToken));
    expect(tokens.size).toBe(200);
    for (const t of tokens) {
      expect(t).toMatch(TOKEN_PATTERN);
      expect(Buffer.from(t, "base64url")).toHaveLength(32);
    }
  });

  it("are stored as their SHA-256, and any string hashes without throwing", () => {
    const t = generateToken();
    expect(hashToken(t).equals(createHash("sha256").update(t).digest())).toBe(true);
    expect(hashToken("")).toHaveLength(32);
    expect(hashToken("x".repeat(10_000))).toHaveLength(32);
    expect(reconnectPath(t)).toBe(`/reconnect/${t}`);
  });
});
