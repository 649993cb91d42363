import { describe, expect, it } from "vitest";
import { CLINIKO_CREATE_KEY_STEPS, NOOKAL_CREATE_KEY_STEPS, TAXONOMY, failureInfo, isTransient, playbookFor } from "./taxonomy.ts";
import { FAILURE_CODES, type FailureCode, isFailureCode, VENDORS } from "../vocabulary.ts";

const KEY_CODES: FailureCode[] = ["key_missing", "key_malformed", "auth_rejected"];
const TRANSIENT: FailureCode[] = ["rate_limited", "vendor_unavailable", "network", "vendor_response_invalid", "key_unreadable"];

describe("failure taxonomy", () => {
  it.each(FAILURE_CODES)("%s is complete for both vendors", (code) => {
    const info = failureInfo(code);
    expect(info.code).toBe(code);
    for (const field of [info.title, info.clinicMessage, info.supportMessage, info.suggestedAction]) expect(field.trim()).not.toBe("");
    for (const vendor of VENDORS) {
      const p = playbookFor(code, vendor);
      expect(p.supportSteps.length).toBeGreaterThan(0);
      expect(p.tellClinic.trim()).not.toBe("");
    }
  });

  it("has exactly the codes in FAILURE_CODES", () => {
    expect(Object.keys(TAXONOMY).sort()).toEqual([...FAILURE_CODES].sort());
  });

  it("marks only rate limits, outages, network, unreadable answers and our own unreadable keys as transient", () => {
    expect(FAILURE_CODES.filter(isTransient).sort()).toEqual([...TRANSIENT].sort());
  });

  it("asks for confirmation only for vendor rejections", () => {
    expect(FAILURE_CODES.filter((c) => TAXONOMY[c].confirmBeforeAlarm).sort()).toEqual(["auth_rejected", "permission_denied"]);
  });

  it("never tells a clinic to make a new key for a transient failure", () => {
    for (const code of TRANSIENT)
      for (const vendor of VENDORS) {
        const p = playbookFor(code, vendor);
        expect(p.clinicSteps).toEqual([]);
        expect(p.tellClinic).not.toMatch(/create (a )?new key/i);
      }
  });

  it.each(KEY_CODES)("%s walks the clinic through the vendor's own key screens", (code) => {
    const cliniko = playbookFor(code, "cliniko");
    const nookal = playbookFor(code, "nookal");
    for (const step of CLINIKO_CREATE_KEY_STEPS) expect(cliniko.clinicSteps).toContain(step);
    for (const step of NOOKAL_CREATE_KEY_STEPS) expect(nookal.clinicSteps).toContain(step);
    expect(cliniko.clinicSteps.join(" ")).toMatch(/My Info/);
    expect(nookal.clinicSteps.join(" ")).toMatch(/Setup → Integrations → API Keys/);
  });

  it("carries the vendors' help-page facts", () => {
    expect(CLINIKO_CREATE_KEY_STEPS.join(" ")).toMatch(/only once/);
    expect(CLINIKO_CREATE_KEY_STEPS.join(" ")).toMatch(/suffix|ending/);
    expect(playbookFor("auth_rejected", "cliniko").clinicSteps.join(" ")).toMatch(/Cliniko admin or the practice owner/);
    const nookal = NOOKAL_CREATE_KEY_STEPS.join(" ");
    for (const fact of [/location/, /Clinical Notes/, /Status to Enabled/, /region/]) expect(nookal).toMatch(fact);
  });

  it("tells support to check key and region first and never to re-create patients", () => {
    for (const vendor of VENDORS) {
      const p = playbookFor("no_patients_visible", vendor);
      expect(p.supportSteps[0]).toMatch(/key and region first/);
      expect(p.tellClinic).toMatch(/do not re-create patients/i);
    }
  });

  it("tells a busy clinic it can reconnect later without losing data", () => {
    expect(playbookFor("auth_rejected", "cliniko").tellClinic).toMatch(/copy notes by hand/);
    expect(playbookFor("vendor_unavailable", "nookal").tellClinic).toMatch(/loses no data/);
  });

  it("wrong region needs no new key", () => {
    for (const vendor of VENDORS) expect(playbookFor("wrong_region", vendor).tellClinic).toMatch(/key is fine/);
    expect(TAXONOMY.wrong_region.suggestedAction).toMatch(/one click/);
  });

  it("recognises codes", () => {
    expect(isFailureCode("network")).toBe(true);
    expect(isFailureCode("nope")).toBe(false);
    expect(isFailureCode(undefined)).toBe(false);
  });
});
