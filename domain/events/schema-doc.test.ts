import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "./catalog.ts";
import { withEventSchemas } from "./schema-doc.ts";

describe("docs/events.md", () => {
  const doc = readFileSync(new URL("../../docs/events.md", import.meta.url), "utf8");

  it("carries the JSON Schemas the catalog validates with (run `npm run docs:events` when this fails)", () => {
    expect(withEventSchemas(doc)).toBe(doc);
  });

  it("documents every event type, with when it fires", () => {
    for (const type of EVENT_TYPES) {
      expect(doc).toContain(`### \`${type}\``);
      expect(doc).toContain(`| \`${type}\` |`);
    }
  });
});
