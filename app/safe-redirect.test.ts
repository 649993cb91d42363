import { describe, expect, it } from "vitest";
import { safeRedirect } from "./session.server.ts";

describe("safeRedirect (issue 10, Security 4)", () => {
  it.each([
    "//evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/.//evil.example",
    "/./\\evil.example",
    "///evil.example",
    "\\\\evil.example",
    "evil.example",
    "",
    null,
    undefined,
  ])("%j falls back", (input) => {
    expect(safeRedirect(input)).toBe("/clinics");
  });

  it.each([
    ["/%2F%2Fevil.example", "/%2F%2Fevil.example"],
    ["/%5C%5Cevil.example", "/%5C%5Cevil.example"],
    ["/%09/evil.example", "/%09/evil.example"],
  ])("keeps encoded %j as a path on this site", (input, output) => {
    expect(safeRedirect(input)).toBe(output);
  });

  it.each([
    ["/clinics", "/clinics"],
    ["/alerts?state=open#top", "/alerts?state=open#top"],
    ["/clinics/../users", "/users"],
  ])("keeps the same-site path %j", (input, output) => {
    expect(safeRedirect(input)).toBe(output);
  });

  it("uses the given fallback", () => {
    expect(safeRedirect("//evil.example", "/")).toBe("/");
  });
});
