import { describe, expect, it } from "vitest";
import { formatPatientCount, formatPatientsVisible } from "./patient-count.ts";

describe("formatPatientCount", () => {
  it("says 'at least' for a count that stopped at the cap, and the plain number otherwise", () => {
    expect(formatPatientCount(2000, true)).toBe("at least 2,000");
    expect(formatPatientCount(2000, false)).toBe("2,000");
    expect(formatPatientCount(2000)).toBe("2,000");
    expect(formatPatientCount(0, false)).toBe("0");
  });

  it("shows an unknown count as a dash, capped or not", () => {
    expect(formatPatientCount(null, false)).toBe("—");
    expect(formatPatientCount(undefined, true)).toBe("—");
  });
});

describe("formatPatientsVisible", () => {
  it("reads as a phrase with the right plural", () => {
    expect(formatPatientsVisible(2000, true)).toBe("at least 2,000 patients visible");
    expect(formatPatientsVisible(1, false)).toBe("1 patient visible");
    expect(formatPatientsVisible(0, false)).toBe("0 patients visible");
    expect(formatPatientsVisible(1340, false)).toBe("1,340 patients visible");
  });
});
