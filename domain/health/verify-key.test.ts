import { describe, expect, it } from "vitest";
import { cleanPastedKey, guessNookalApiVersion } from "./verify-key.ts";

describe("cleanPastedKey", () => {
  it.each([
    ["  MS0xMjM0NTY3ODkw-au2\n", "MS0xMjM0NTY3ODkw-au2", 1],
    ['"MS0xMjM0NTY3ODkw-au2"', "MS0xMjM0NTY3ODkw-au2", 1],
    ["“MS0xMjM0NTY3ODkw-au2”", "MS0xMjM0NTY3ODkw-au2", 1],
    ["Basic MS0xMjM0NTY3ODkw", "MS0xMjM0NTY3ODkw", 1],
    ["Authorization: Basic MS0xMjM0NTY3ODkw", "MS0xMjM0NTY3ODkw", 1],
    ["MS0xMjM0\nNTY3ODkw-au2", "MS0xMjM0NTY3ODkw-au2", 1],
    [" 'MS0xMjM0 NTY3ODkw' ", "MS0xMjM0NTY3ODkw", 3],
    ["MS0xMjM0NTY3ODkw-au2", "MS0xMjM0NTY3ODkw-au2", 0],
  ])("cleans %j", (raw, expected, noteCount) => {
    const cleaned = cleanPastedKey(raw);
    expect(cleaned.key).toBe(expected);
    expect(cleaned.notes).toHaveLength(noteCount);
    for (const note of cleaned.notes) expect(note).not.toContain("MS0x");
  });
});

describe("guessNookalApiVersion", () => {
  it("tells a GUID-shaped v2 api_key from a base64 v3 Basic Key", () => {
    expect(guessNookalApiVersion("0A1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D")).toBe("v2");
    expect(guessNookalApiVersion("bmtfMTIzNDU2Nzg5MGFiY2RlZjphYmNkZWY=")).toBe("v3");
  });
});
