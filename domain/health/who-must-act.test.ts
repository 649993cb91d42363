import { describe, expect, it } from "vitest";
import { failingSinceBand } from "../vocabulary.ts";
import { whoMustAct } from "./taxonomy.ts";

describe("who must act, from the taxonomy's audience", () => {
  it("red for the clinic, amber for the vendor, grey for a pause, blue for us, nothing when healthy", () => {
    expect(whoMustAct("action_required", "auth_rejected")).toBe("clinic");
    expect(whoMustAct("degraded", "vendor_unavailable")).toBe("vendor");
    expect(whoMustAct("degraded", "rate_limited")).toBe("vendor");
    expect(whoMustAct("degraded", "network")).toBe("vendor");
    expect(whoMustAct("paused", "integration_paused")).toBe("paused");
    expect(whoMustAct("paused", null)).toBe("paused");
    expect(whoMustAct("action_required", "wrong_region")).toBe("us");
    expect(whoMustAct("healthy", null)).toBeNull();
  });
});

describe("failing-since bands (the same edges as the SQL filter)", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  const ago = (h: number) => new Date(now - h * 3_600_000);
  it("today under 24 h, since yesterday under 48 h, over 7 days from 168 h, else days", () => {
    expect(failingSinceBand(null, now)).toBeNull();
    expect(failingSinceBand(ago(23.9), now)).toBe("today");
    expect(failingSinceBand(ago(24), now)).toBe("yesterday");
    expect(failingSinceBand(ago(47.9), now)).toBe("yesterday");
    expect(failingSinceBand(ago(48), now)).toBe("days");
    expect(failingSinceBand(ago(167.9), now)).toBe("days");
    expect(failingSinceBand(ago(168), now)).toBe("week");
  });
});
