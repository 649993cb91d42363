import { describe, expect, it } from "vitest";
import { durationBetween } from "../duration.ts";
import { FAILURE_CODES } from "../vocabulary.ts";
import {
  countsTowardIncident,
  DEFAULT_INCIDENT_SETTINGS as S,
  incidentSummary,
  openingThreshold,
  shouldOpen,
  shouldResolve,
  thinningSlot,
  updateDue,
} from "./rules.ts";

describe("what counts toward a vendor incident", () => {
  it("counts only the vendor's side failing: 5xx and maintenance pages, the network, unreadable answers", () => {
    const counted = FAILURE_CODES.filter((c) => countsTowardIncident(c));
    expect(counted.sort()).toEqual(["network", "vendor_response_invalid", "vendor_unavailable"]);
  });

  it("never counts a key, role or patient problem, a rate limit, our own unreadable key, a pause or success", () => {
    for (const code of [
      "auth_rejected",
      "key_missing",
      "key_malformed",
      "wrong_region",
      "permission_denied",
      "no_patients_visible",
      "rate_limited",
      "key_unreadable",
      "integration_paused",
    ] as const)
      expect(countsTowardIncident(code)).toBe(false);
    expect(countsTowardIncident(null)).toBe(false);
  });
});

describe("thresholds", () => {
  it("needs both the share and the floor: one small shard's single clinic is not an incident", () => {
    expect(openingThreshold(500, S)).toBe(150);
    expect(openingThreshold(10, S)).toBe(5);
    expect(openingThreshold(1, S)).toBe(5);
    expect(shouldOpen(1, 1, S)).toBe(false);
    expect(shouldOpen(149, 500, S)).toBe(false);
    expect(shouldOpen(150, 500, S)).toBe(true);
    // why: a region of unknown size (0) still needs the floor
    expect(shouldOpen(4, 0, S)).toBe(false);
    expect(shouldOpen(5, 0, S)).toBe(true);
  });

  it("rounds the share up, so 30% of 17 connections is 6, not 5.1", () => {
    expect(openingThreshold(17, { ...S, minClinics: 1 })).toBe(6);
  });

  it("resolves under half the opening threshold: the gap keeps a flapping clinic from reopening it", () => {
    expect(shouldResolve(75, 500, S)).toBe(false);
    expect(shouldResolve(74, 500, S)).toBe(true);
    expect(shouldResolve(3, 10, S)).toBe(false);
    expect(shouldResolve(2, 10, S)).toBe(true);
    // between the two thresholds an open incident stays open and a closed one stays closed
    expect(shouldOpen(100, 500, S) || shouldResolve(100, 500, S)).toBe(false);
  });
});

describe("updates to support", () => {
  const openedAt = new Date("2026-12-01T09:00:00Z");
  const incident = { lastNoticeAt: openedAt, lastNoticeAffected: 150 };
  it("are due only when the count moved and the throttle has passed", () => {
    expect(updateDue(incident, 400, new Date("2026-12-01T09:14:59Z"), S)).toBe(false);
    expect(updateDue(incident, 400, new Date("2026-12-01T09:15:00Z"), S)).toBe(true);
    expect(updateDue(incident, 150, new Date("2026-12-01T10:00:00Z"), S)).toBe(false);
  });
});

describe("words", () => {
  it("says who is failing, out of how many, since when, and that a key will not help", () => {
    const i = { vendor: "cliniko" as const, region: "au1", openedAt: new Date("2026-12-01T09:14:30Z") };
    expect(incidentSummary(i, 412, 430)).toBe("Cliniko au1 is failing for 412 of 430 clinics since 09:14 UTC; a new key will not help.");
    // why: a stale fleet size never reads "failing for 12 of 10"
    expect(incidentSummary({ ...i, vendor: "nookal", region: "au" }, 12, 10, "10:00")).toBe(
      "Nookal au is failing for 12 of 12 clinics since 10:00; a new key will not help.",
    );
  });

  it("gives durations in minutes, then hours and minutes, then days", () => {
    const from = new Date("2026-12-01T09:00:00Z");
    expect(durationBetween(from, new Date("2026-12-01T09:40:45Z"))).toBe("41 min");
    expect(durationBetween(from, new Date("2026-12-01T11:05:00Z"))).toBe("2 h 5 min");
    expect(durationBetween(from, new Date("2026-12-04T09:00:00Z"))).toBe("3 days");
  });
});

describe("thinned probing", () => {
  it("walks through every slot in turn, one per probe interval", () => {
    const base = Date.UTC(2026, 11, 1, 9, 0);
    const slots = [0, 1, 2, 3, 4].map((k) => thinningSlot(new Date(base + k * 5 * 60_000), 5, S));
    expect(new Set(slots.slice(0, 4)).size).toBe(4);
    expect(slots[4]).toBe(slots[0]);
  });
});
