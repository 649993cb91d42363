import { describe, expect, it } from "vitest";
import { VendorError, type VendorErrorInit } from "../vendors/errors.ts";
import {
  classifyFailureText,
  classifyProbe,
  type ClassifierRule,
  type ClassifyInput,
  type ConnectionHistory,
  type LocalKeyCheck,
  type ProbeOutcome,
  type RegionProbeResult,
} from "./classifier.ts";
import type { FailureCode, Vendor } from "../vocabulary.ts";

const NOW = new Date("2025-03-10T09:00:00Z");
const HISTORY: ConnectionHistory = {
  state: "healthy",
  lastSuccessAt: new Date("2025-03-10T08:55:00Z"),
  everHadPatients: true,
  expectsPatients: true,
  consecutiveFailures: 0,
  firstFailureAt: null,
  paused: false,
};

function err(vendor: Vendor, init: Omit<VendorErrorInit, "vendor" | "message"> & { message?: string }): ProbeOutcome {
  return { ok: false, error: new VendorError({ vendor, message: init.message ?? "probe failed", ...init }) };
}
const ok = (visiblePatients: number): ProbeOutcome => ({ ok: true, visiblePatients });
const http = (vendor: Vendor, status: number, vendorMessage?: string) =>
  err(vendor, { kind: "http", status, vendorMessage, request: { method: "GET", path: "/patients?per_page=1" } });
const nookalFailure = (vendorMessage: string, vendorCode?: string) => err("nookal", { kind: "vendor_failure", status: 200, vendorMessage, vendorCode });

interface Row {
  name: string;
  vendor?: Vendor;
  keyCheck?: LocalKeyCheck;
  outcome: ProbeOutcome | null;
  history?: Partial<ConnectionHistory>;
  regionProbe?: RegionProbeResult;
  region?: string;
  code: FailureCode | null;
  rule: ClassifierRule;
  regionProbeAdvised?: boolean;
  suggestedRegion?: string;
}

// Every row of the classifier, in the order the rules are checked.
const ROWS: Row[] = [
  // local facts first
  { name: "paused wins over everything", outcome: http("cliniko", 401), history: { paused: true }, code: "integration_paused", rule: "paused" },
  { name: "paused with no key", keyCheck: { status: "missing" }, outcome: null, history: { paused: true }, code: "integration_paused", rule: "paused" },
  { name: "no key stored", keyCheck: { status: "missing" }, outcome: null, code: "key_missing", rule: "local_key_missing" },
  {
    name: "key fails the local parse",
    keyCheck: { status: "malformed", message: "bad suffix" },
    outcome: null,
    code: "key_malformed",
    rule: "local_key_malformed",
  },
  { name: "client refused: no key", outcome: err("nookal", { kind: "key_missing" }), code: "key_missing", rule: "client_key_missing" },
  { name: "client refused: malformed", outcome: err("cliniko", { kind: "key_malformed" }), code: "key_malformed", rule: "client_key_malformed" },

  // success
  { name: "success with patients", outcome: ok(1234), code: null, rule: "success" },
  {
    name: "zero patients where there were some",
    outcome: ok(0),
    history: { everHadPatients: true, expectsPatients: false },
    code: "no_patients_visible",
    rule: "success_no_patients_visible",
  },
  {
    name: "zero patients where patients are expected",
    outcome: ok(0),
    history: { everHadPatients: false, expectsPatients: true },
    code: "no_patients_visible",
    rule: "success_no_patients_visible",
  },
  {
    name: "zero patients at a brand-new clinic",
    outcome: ok(0),
    history: { everHadPatients: false, expectsPatients: false },
    code: null,
    rule: "success_no_patients_expected",
  },
  { name: "Nookal key scoped to the wrong location", vendor: "nookal", outcome: ok(0), code: "no_patients_visible", rule: "success_no_patients_visible" },

  // Cliniko HTTP
  {
    name: "Cliniko 401, key without suffix, not yet tried elsewhere",
    outcome: http("cliniko", 401, "HTTP Basic: Access denied."),
    keyCheck: { status: "ok", hasShardSuffix: false },
    code: "auth_rejected",
    rule: "http_401",
    regionProbeAdvised: true,
  },
  {
    name: "Cliniko 401, key with suffix: its shard is known",
    outcome: http("cliniko", 401),
    keyCheck: { status: "ok", hasShardSuffix: true },
    code: "auth_rejected",
    rule: "http_401",
    regionProbeAdvised: false,
  },
  {
    name: "Cliniko 401, no other shard accepts it",
    outcome: http("cliniko", 401),
    regionProbe: null,
    code: "auth_rejected",
    rule: "http_401",
    regionProbeAdvised: false,
  },
  {
    name: "Cliniko 401, another shard accepts it",
    outcome: http("cliniko", 401),
    region: "au1",
    regionProbe: { workingRegion: "uk2" },
    code: "wrong_region",
    rule: "http_401",
    suggestedRegion: "uk2",
  },
  {
    name: "Cliniko 401, 'working' region is the configured one",
    outcome: http("cliniko", 401),
    region: "au1",
    regionProbe: { workingRegion: "au1" },
    code: "auth_rejected",
    rule: "http_401",
    regionProbeAdvised: false,
  },
  { name: "Cliniko 403", outcome: http("cliniko", 403, ""), code: "permission_denied", rule: "http_403" },
  { name: "Cliniko 404 on a resource the role cannot see", outcome: http("cliniko", 404), code: "permission_denied", rule: "http_404_permission" },
  { name: "Cliniko 408", outcome: http("cliniko", 408), code: "vendor_unavailable", rule: "http_408" },
  { name: "Cliniko 429 as HTTP", outcome: http("cliniko", 429), code: "rate_limited", rule: "http_429" },
  {
    name: "Cliniko 429 beyond the wait budget",
    outcome: err("cliniko", { kind: "rate_limited", status: 429, retryAfterSeconds: 42 }),
    code: "rate_limited",
    rule: "rate_limited",
  },
  { name: "Cliniko 500", outcome: http("cliniko", 500), code: "vendor_unavailable", rule: "http_5xx" },
  { name: "Cliniko 502", outcome: http("cliniko", 502), code: "vendor_unavailable", rule: "http_5xx" },
  { name: "Cliniko 503 maintenance", outcome: http("cliniko", 503, "Down for maintenance"), code: "vendor_unavailable", rule: "http_5xx" },
  { name: "Cliniko 422", outcome: http("cliniko", 422, '{"message":"Validation Failed"}'), code: "vendor_response_invalid", rule: "http_other" },
  { name: "Cliniko 400", outcome: http("cliniko", 400, "Bad request"), code: "vendor_response_invalid", rule: "http_other" },
  { name: "redirect surfaced as an error", outcome: http("cliniko", 302), code: "vendor_response_invalid", rule: "http_other" },

  // transport
  { name: "connection refused", outcome: err("cliniko", { kind: "network", socketCode: "ECONNREFUSED" }), code: "network", rule: "network" },
  { name: "DNS failure", outcome: err("nookal", { kind: "network", socketCode: "ENOTFOUND" }), code: "network", rule: "network" },
  { name: "timeout", outcome: err("cliniko", { kind: "timeout" }), code: "network", rule: "timeout" },
  {
    name: "answer fails validation",
    outcome: err("cliniko", { kind: "invalid_response", vendorMessage: "<html>oops" }),
    code: "vendor_response_invalid",
    rule: "invalid_response",
  },
  {
    name: "maintenance page served as 200",
    outcome: err("cliniko", { kind: "invalid_response", vendorMessage: "<h1>Scheduled maintenance</h1>" }),
    code: "vendor_unavailable",
    rule: "invalid_response_maintenance",
  },

  // Nookal HTTP
  {
    name: "Nookal v3 token 401",
    vendor: "nookal",
    outcome: http("nookal", 401),
    region: "au",
    code: "auth_rejected",
    rule: "http_401",
    regionProbeAdvised: true,
  },
  {
    name: "Nookal v3 token 401, key works in EU",
    vendor: "nookal",
    outcome: http("nookal", 401),
    region: "au",
    regionProbe: { workingRegion: "eu" },
    code: "wrong_region",
    rule: "http_401",
    suggestedRegion: "eu",
  },
  {
    name: "Nookal v3 token 400 invalid_client",
    vendor: "nookal",
    outcome: err("nookal", { kind: "http", status: 400, vendorMessage: '{"error":"invalid_client"}' }),
    code: "auth_rejected",
    rule: "http_400_key",
    regionProbeAdvised: true,
  },
  {
    name: "Nookal 400 missing parameter",
    vendor: "nookal",
    outcome: http("nookal", 400, "Missing required parameter api_key"),
    code: "vendor_response_invalid",
    rule: "http_other",
  },
  {
    name: "Nookal unknown function (HTML 404)",
    vendor: "nookal",
    outcome: http("nookal", 404, "<html>Not Found</html>"),
    code: "vendor_response_invalid",
    rule: "http_404_unknown_endpoint",
  },
  { name: "Nookal 503", vendor: "nookal", outcome: http("nookal", 503), code: "vendor_unavailable", rule: "http_5xx" },

  // Nookal status: failure (HTTP 200)
  {
    name: "Nookal invalid API key",
    vendor: "nookal",
    outcome: nookalFailure("Invalid API Key"),
    code: "auth_rejected",
    rule: "vendor_failure_key",
    regionProbeAdvised: true,
  },
  {
    name: "Nookal invalid key, found in US",
    vendor: "nookal",
    outcome: nookalFailure("Invalid API Key"),
    region: "au",
    regionProbe: { workingRegion: "us" },
    code: "wrong_region",
    rule: "vendor_failure_key",
    suggestedRegion: "us",
  },
  {
    name: "Nookal disabled key",
    vendor: "nookal",
    outcome: nookalFailure("This API key has been disabled"),
    code: "auth_rejected",
    rule: "vendor_failure_key",
    regionProbeAdvised: true,
  },
  {
    name: "Nookal unauthenticated",
    vendor: "nookal",
    outcome: nookalFailure("Unauthenticated"),
    code: "auth_rejected",
    rule: "vendor_failure_key",
    regionProbeAdvised: true,
  },
  {
    name: "Nookal key lacks Clinical Notes",
    vendor: "nookal",
    outcome: nookalFailure("API key does not have permission to access Clinical Notes"),
    code: "permission_denied",
    rule: "vendor_failure_permission",
  },
  {
    name: "Nookal not authorised to read",
    vendor: "nookal",
    outcome: nookalFailure("You are not authorised to access treatment notes"),
    code: "permission_denied",
    rule: "vendor_failure_permission",
  },
  {
    name: "Nookal GraphQL FORBIDDEN",
    vendor: "nookal",
    outcome: nookalFailure("Request denied", "FORBIDDEN"),
    code: "permission_denied",
    rule: "vendor_failure_permission",
  },
  {
    name: "Nookal says too many requests",
    vendor: "nookal",
    outcome: nookalFailure("Too many requests"),
    code: "rate_limited",
    rule: "vendor_failure_rate_limited",
  },
  {
    name: "Nookal maintenance",
    vendor: "nookal",
    outcome: nookalFailure("System under maintenance, please try again later"),
    code: "vendor_unavailable",
    rule: "vendor_failure_unavailable",
  },
  {
    name: "Nookal says our request lacked a parameter",
    vendor: "nookal",
    outcome: nookalFailure("Missing api_key parameter"),
    code: "vendor_response_invalid",
    rule: "vendor_failure_request",
  },
  {
    name: "Nookal unknown failure",
    vendor: "nookal",
    outcome: nookalFailure("Something went wrong (E1042)", "1042"),
    code: "vendor_response_invalid",
    rule: "vendor_failure_unknown",
  },
  {
    name: "Nookal bare 'Access denied' is not assumed to be the key",
    vendor: "nookal",
    outcome: nookalFailure("Access denied"),
    code: "vendor_response_invalid",
    rule: "vendor_failure_unknown",
  },
  {
    name: "Nookal failure with no message",
    vendor: "nookal",
    outcome: err("nookal", { kind: "vendor_failure", status: 200 }),
    code: "vendor_response_invalid",
    rule: "vendor_failure_unknown",
  },
  {
    name: "Nookal v3 refused query, whatever its wording",
    vendor: "nookal",
    outcome: err("nookal", { kind: "refused", status: 200, field: "treatmentNotes", vendorMessage: "Access denied." }),
    code: "permission_denied",
    rule: "vendor_refused_query",
  },
  {
    name: "Nookal v2 missing variable (captured live shape)",
    vendor: "nookal",
    outcome: err("nookal", { kind: "vendor_failure", status: 200, vendorMessage: "Missing variable: api_key", vendorCode: "L000_1" }),
    code: "vendor_response_invalid",
    rule: "vendor_failure_request",
  },
];

describe("classifyProbe", () => {
  it.each(ROWS)("$name → $code", (row) => {
    const input: ClassifyInput = {
      vendor: row.vendor ?? "cliniko",
      keyCheck: row.keyCheck ?? { status: "ok" },
      outcome: row.outcome,
      history: { ...HISTORY, ...row.history },
      now: NOW,
    };
    if (row.region !== undefined) input.region = row.region;
    if ("regionProbe" in row) input.regionProbe = row.regionProbe;
    const c = classifyProbe(input);
    expect(c.failureCode).toBe(row.code);
    expect(c.rule).toBe(row.rule);
    expect(c.regionProbeAdvised).toBe(row.regionProbeAdvised ?? false);
    expect(c.suggestedRegion).toBe(row.suggestedRegion ?? null);
    expect(c.reason.length).toBeGreaterThan(5);
  });

  it("marks only rate limits, outages, network and unreadable answers transient", () => {
    for (const row of ROWS) {
      const c = classifyProbe({
        vendor: row.vendor ?? "cliniko",
        keyCheck: row.keyCheck ?? { status: "ok" },
        outcome: row.outcome,
        history: { ...HISTORY, ...row.history },
        now: NOW,
      });
      const transient = c.failureCode !== null && ["rate_limited", "vendor_unavailable", "network", "vendor_response_invalid"].includes(c.failureCode);
      expect(c.transient).toBe(transient);
    }
  });

  it("never reports an outage as a bad key", () => {
    const outages: ProbeOutcome[] = [
      http("cliniko", 500),
      http("cliniko", 503),
      err("cliniko", { kind: "timeout" }),
      err("nookal", { kind: "network" }),
      http("cliniko", 429),
    ];
    for (const outcome of outages) {
      const c = classifyProbe({ vendor: "cliniko", keyCheck: { status: "ok" }, outcome, history: HISTORY, now: NOW });
      expect(c.failureCode).not.toBe("auth_rejected");
      expect(c.transient).toBe(true);
    }
  });

  it("keeps the vendor's evidence verbatim, and never the key", () => {
    const outcome = err("cliniko", {
      kind: "http",
      status: 401,
      vendorMessage: "HTTP Basic: Access denied.",
      request: { method: "GET", path: "/v1/patients?per_page=1" },
      region: "au2",
    });
    const c = classifyProbe({ vendor: "cliniko", keyCheck: { status: "ok" }, outcome, history: HISTORY, now: NOW });
    expect(c.evidence).toEqual({
      kind: "http",
      httpStatus: 401,
      vendorMessage: "HTTP Basic: Access denied.",
      request: "GET /v1/patients?per_page=1",
      region: "au2",
    });
  });

  it("names the working region in the evidence", () => {
    const c = classifyProbe({
      vendor: "cliniko",
      region: "au1",
      keyCheck: { status: "ok" },
      outcome: http("cliniko", 401),
      history: HISTORY,
      regionProbe: { workingRegion: "ca1" },
      now: NOW,
    });
    expect(c.evidence.workingRegion).toBe("ca1");
    expect(c.evidence.region).toBe("au1");
    expect(c.reason).toContain("ca1");
  });

  it("turns a 429 reset into a retry time", () => {
    const c = classifyProbe({
      vendor: "cliniko",
      keyCheck: { status: "ok" },
      outcome: err("cliniko", { kind: "rate_limited", status: 429, retryAfterSeconds: 30 }),
      history: HISTORY,
      now: NOW,
    });
    expect(c.retryAt).toEqual(new Date("2025-03-10T09:00:30Z"));
    expect(c.evidence.retryAfterSeconds).toBe(30);
    const noReset = classifyProbe({ vendor: "cliniko", keyCheck: { status: "ok" }, outcome: http("cliniko", 429), history: HISTORY, now: NOW });
    expect(noReset.retryAt).toBeNull();
  });

  it("reports the visible patient count on success", () => {
    const c = classifyProbe({ vendor: "nookal", region: "au", keyCheck: { status: "ok" }, outcome: ok(0), history: HISTORY, now: NOW });
    expect(c.visiblePatients).toBe(0);
    expect(c.evidence).toEqual({ kind: "success", visiblePatients: 0, region: "au" });
  });

  it("keeps the local parse message as evidence", () => {
    const c = classifyProbe({
      vendor: "cliniko",
      keyCheck: { status: "malformed", message: 'The part after the last hyphen ("zz") is not a region' },
      outcome: null,
      history: HISTORY,
      now: NOW,
    });
    expect(c.evidence).toEqual({ kind: "local", localMessage: 'The part after the last hyphen ("zz") is not a region' });
  });

  it("treats a passed key check without an outcome as a caller bug", () => {
    expect(() => classifyProbe({ vendor: "cliniko", keyCheck: { status: "ok" }, outcome: null, history: HISTORY, now: NOW })).toThrow(TypeError);
  });
});

describe("vendor texts that mean the key, whatever the answer's shape", () => {
  const input = (outcome: ProbeOutcome): ClassifyInput => ({ vendor: "nookal", region: "au", keyCheck: { status: "ok" }, outcome, history: HISTORY, now: NOW });
  it.each([
    ["an HTML 404 saying credentials not found", err("nookal", { kind: "http", status: 404, vendorMessage: "Credentials not found" }), "http_key_text"],
    ["a 403 saying the integration is disabled", err("nookal", { kind: "http", status: 403, vendorMessage: "Integration disabled" }), "http_key_text"],
    [
      "an unparsable body saying integration disabled",
      err("nookal", { kind: "invalid_response", vendorMessage: "integration disabled" }),
      "invalid_response_key",
    ],
    ["a failure status saying credentials not found", nookalFailure("Credentials not found"), "vendor_failure_key"],
  ] as const)("%s is a key problem for the clinic", (_name, outcome, rule) => {
    const c = classifyProbe(input(outcome));
    expect(c.failureCode).toBe("auth_rejected");
    expect(c.rule).toBe(rule);
  });
  it("still reads a plain Nookal 404 as our own call", () => {
    expect(classifyProbe(input(err("nookal", { kind: "http", status: 404, vendorMessage: "Not Found" }))).failureCode).toBe("vendor_response_invalid");
  });
});

describe("classifyFailureText", () => {
  it.each([
    ["Invalid API Key", "auth_rejected"],
    ["api_key is invalid", "auth_rejected"],
    ["Key not found", "auth_rejected"],
    ["The key has been deactivated", "auth_rejected"],
    ["Authentication failed", "auth_rejected"],
    ["Unauthorized", "auth_rejected"],
    ["Not authorised for this location", "permission_denied"],
    ["Insufficient access rights", "permission_denied"],
    ["Access to Clinical Notes is not enabled for this key", "permission_denied"],
    ["Rate limit exceeded", "rate_limited"],
    ["Internal server error", "vendor_unavailable"],
    ["Service temporarily unavailable", "vendor_unavailable"],
    ["Invalid function", "vendor_response_invalid"],
    ["API key required", "vendor_response_invalid"],
    ["", "vendor_response_invalid"],
    ["Date out of range", "vendor_response_invalid"],
    // the clinic's key problem in the vendor's words, never "unreadable response" (decision 0027)
    ["Credentials not found", "auth_rejected"],
    ["credentials were not recognised", "auth_rejected"],
    ["Integration disabled", "auth_rejected"],
    ["This integration has been disabled", "auth_rejected"],
    ["Access for this integration is disabled", "auth_rejected"],
    ["API key revoked", "auth_rejected"],
    ["No valid credentials supplied", "auth_rejected"],
    ["Missing credentials parameter", "vendor_response_invalid"],
    ["Patient not found", "vendor_response_invalid"],
  ] as const)("%j → %s", (text, code) => {
    expect(classifyFailureText(text).code).toBe(code);
  });
});
