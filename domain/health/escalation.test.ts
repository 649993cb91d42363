import { describe, expect, it } from "vitest";
import { buildEscalationPacket, describeVendorError, escalationText, type EscalationInput } from "./escalation.ts";

const FIRST_FAILURE = new Date("2025-03-10T08:55:00Z");
const LAST_SUCCESS = new Date("2025-03-10T08:50:00Z");

const cliniko: EscalationInput = {
  organisationName: "Harbour Physio",
  vendor: "cliniko",
  region: "au2",
  apiVersion: "v1",
  state: "action_required",
  failureCode: "auth_rejected",
  evidence: { kind: "http", httpStatus: 401, vendorMessage: "HTTP Basic: Access denied.", request: "GET /v1/patients?per_page=1", region: "au2" },
  keyHint: "…x9Qa (au2)",
  keyUpdatedAt: new Date("2024-11-02T10:00:00Z"),
  firstFailureAt: FIRST_FAILURE,
  lastSuccessAt: LAST_SUCCESS,
};

const nookal: EscalationInput = {
  organisationName: "Bayside Chiro",
  vendor: "nookal",
  region: "au",
  apiVersion: "v3",
  failureCode: "no_patients_visible",
  evidence: { kind: "success", visiblePatients: 0, region: "au" },
  keyUpdatedAt: new Date("2025-03-10T09:10:00Z"),
  firstFailureAt: FIRST_FAILURE,
  lastSuccessAt: LAST_SUCCESS,
};

describe("buildEscalationPacket", () => {
  it("carries everything a Cliniko escalation needs", () => {
    expect(buildEscalationPacket(cliniko)).toEqual({
      organisationName: "Harbour Physio",
      vendor: "cliniko",
      vendorLabel: "Cliniko",
      region: "au2",
      nookalRegion: null,
      clinikoShard: "au2",
      apiVersion: "v1",
      state: "action_required",
      failureCode: "auth_rejected",
      failureTitle: "Key rejected",
      exactError: "HTTP 401: HTTP Basic: Access denied.",
      request: "GET /v1/patients?per_page=1",
      keyReEnteredSinceFailure: false,
      patientScope: "unknown",
      visiblePatients: null,
      visiblePatientsAtLeast: false,
      firstFailureAt: "2025-03-10T08:55:00.000Z",
      lastSuccessAt: "2025-03-10T08:50:00.000Z",
      keyHint: "…x9Qa (au2)",
      suggestedAction: "Send a reconnect link so the clinic can create and paste a new key.",
    });
  });

  it("names the Nookal region, a re-entered key and no patients at all", () => {
    const p = buildEscalationPacket(nookal);
    expect(p).toMatchObject({
      nookalRegion: "AU/NZ",
      clinikoShard: null,
      keyReEnteredSinceFailure: true,
      patientScope: "none_visible",
      visiblePatients: 0,
      exactError: "Key accepted; 0 patients visible",
    });
  });

  it("prefers what the clinic reported: one patient missing", () => {
    expect(buildEscalationPacket({ ...nookal, reportedPatientScope: "one_missing" }).patientScope).toBe("one_missing");
  });

  it("says n/a for re-entry when nothing is failing, and handles a key never stored", () => {
    expect(buildEscalationPacket({ ...cliniko, failureCode: null, evidence: null, firstFailureAt: null }).keyReEnteredSinceFailure).toBeNull();
    expect(buildEscalationPacket({ ...cliniko, keyUpdatedAt: null }).keyReEnteredSinceFailure).toBe(false);
  });

  it("carries 'at least' with a capped count, from the stored count or from the evidence", () => {
    const healthy = { ...nookal, failureCode: null, state: "healthy" as const, firstFailureAt: null };
    expect(buildEscalationPacket({ ...healthy, visiblePatients: 2000, visiblePatientsAtLeast: true })).toMatchObject({
      visiblePatients: 2000,
      visiblePatientsAtLeast: true,
    });
    expect(buildEscalationPacket({ ...healthy, visiblePatients: 1340, visiblePatientsAtLeast: false }).visiblePatientsAtLeast).toBe(false);
    const evidence = { kind: "success" as const, visiblePatients: 2000, visiblePatientsAtLeast: true, region: "au" };
    expect(buildEscalationPacket({ ...healthy, evidence })).toMatchObject({
      visiblePatients: 2000,
      visiblePatientsAtLeast: true,
      exactError: "Key accepted; at least 2,000 patients visible",
    });
    // why: a stored exact count wins, and its own flag with it (not the evidence's)
    expect(buildEscalationPacket({ ...healthy, evidence, visiblePatients: 1900 })).toMatchObject({ visiblePatients: 1900, visiblePatientsAtLeast: false });
  });

  it("keeps an unknown Nookal region as given", () => {
    expect(buildEscalationPacket({ ...nookal, region: "nz" }).nookalRegion).toBe("nz");
  });
});

describe("describeVendorError", () => {
  it.each([
    [{ kind: "http", httpStatus: 403, vendorMessage: "" }, "HTTP 403: (empty body)"],
    [
      { kind: "vendor_failure", httpStatus: 200, vendorMessage: "Invalid API Key", vendorCode: "401" },
      'Nookal answered status "failure" (error code 401): Invalid API Key',
    ],
    [{ kind: "rate_limited", httpStatus: 429, retryAfterSeconds: 30 }, "HTTP 429 rate limited (reset in 30 s)"],
    [{ kind: "network", socketCode: "ENOTFOUND" }, "Could not reach Nookal: ENOTFOUND"],
    [{ kind: "timeout" }, "Nookal did not answer in time"],
    [{ kind: "invalid_response", vendorMessage: "<html>" }, "Unreadable answer from Nookal: <html>"],
    [{ kind: "local", localMessage: "The key is too short" }, "Key refused before sending: The key is too short"],
    [{ kind: "paused" }, "Paused by support"],
  ] as const)("%j → %s", (evidence, text) => {
    expect(describeVendorError("nookal", evidence)).toBe(text);
  });

  it("says so when nothing was recorded", () => {
    expect(describeVendorError("cliniko", null)).toBe("No vendor error recorded");
  });
});

describe("escalationText", () => {
  it("is a copyable plain-text block for Cliniko", () => {
    expect(escalationText(buildEscalationPacket(cliniko))).toBe(
      [
        "Escalation: Harbour Physio",
        "Vendor: Cliniko (API v1)",
        "Cliniko shard: au2",
        "Failure: Key rejected (auth_rejected), connection action_required",
        "Exact error: HTTP 401: HTTP Basic: Access denied.",
        "Request: GET /v1/patients?per_page=1",
        "Key re-entered since the failure began: no",
        "Patients: not known",
        "First failure: 2025-03-10 08:55 UTC",
        "Last success: 2025-03-10 08:50 UTC",
        "Key: …x9Qa (au2)",
        "Suggested action: Send a reconnect link so the clinic can create and paste a new key.",
      ].join("\n"),
    );
  });

  it("names the Nookal region and the patient scope", () => {
    const text = escalationText(buildEscalationPacket(nookal));
    expect(text).toContain("Nookal region: AU/NZ (au)");
    expect(text).toContain("Patients: no patients visible at all (0 visible at last probe)");
    expect(text).toContain("Key re-entered since the failure began: yes");
  });

  it("says 'at least' for a capped count, and reads packets stored before the flag existed", () => {
    const packet = buildEscalationPacket({ ...nookal, failureCode: null, evidence: null, visiblePatients: 2000, visiblePatientsAtLeast: true });
    expect(escalationText(packet)).toContain("(at least 2,000 visible at last probe)");
    const { visiblePatientsAtLeast: _dropped, ...older } = packet;
    expect(escalationText(older)).toContain("(2,000 visible at last probe)");
  });

  it("keeps a multi-line vendor message verbatim but indented, and a name on one line", () => {
    const text = escalationText(
      buildEscalationPacket({
        ...cliniko,
        organisationName: "Evil\nFirst failure: never",
        evidence: { kind: "http", httpStatus: 500, vendorMessage: "line one\nline two" },
      }),
    );
    expect(text).toContain("Escalation: Evil First failure: never\n");
    expect(text).toContain("Exact error: HTTP 500: line one\n  line two");
    expect(text.match(/^First failure:/gm)).toHaveLength(1);
  });

  it("says never when the connection never worked", () => {
    expect(escalationText(buildEscalationPacket({ ...cliniko, lastSuccessAt: null }))).toContain("Last success: never");
  });
});
