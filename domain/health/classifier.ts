import type { VendorError, VendorErrorKind } from "../vendors/errors.ts";
import { TAXONOMY } from "./taxonomy.ts";
import type { ConnectionState, FailureCode, Vendor } from "../vocabulary.ts";

/**
 * The classifier: one probe outcome → one failure code (or none). Pure: the caller runs the
 * probe, the local key parse and (when advised) the other-region probe, and passes the results in.
 *
 * It answers "what does this evidence mean?". Whether to alarm — confirmation of a first
 * rejection, how long a transient failure has lasted — is decided in decide.ts from history.
 */

export type LocalKeyCheck =
  | {
      status: "ok";
      /** Cliniko: the key names its shard (`…-au2`), so other shards need not be tried on a 401. */
      hasShardSuffix?: boolean;
    }
  | { status: "missing" }
  /** A key is stored but our master keys cannot decrypt it: our configuration, not the clinic. */
  | { status: "unreadable"; keyId?: string | null }
  | { status: "malformed"; message?: string };

export type ProbeOutcome = { ok: true; visiblePatients: number } | { ok: false; error: VendorError };

export interface ConnectionHistory {
  state: ConnectionState;
  lastSuccessAt: Date | null;
  /** A probe or sync has seen at least one patient through this connection before. */
  everHadPatients: boolean;
  /** Flagged by support or setup: this clinic has patients, so zero visible is a failure. */
  expectsPatients: boolean;
  consecutiveFailures: number;
  firstFailureAt: Date | null;
  /** Support paused it deliberately. */
  paused: boolean;
}

/**
 * The key tried against the other shards/regions: the region that accepted it, or null when none
 * did. Leave it undefined when it was not tried.
 */
export type RegionProbeResult = { workingRegion: string } | null;

export interface ClassifyInput {
  vendor: Vendor;
  /** The configured Cliniko shard or Nookal region. */
  region?: string;
  keyCheck: LocalKeyCheck;
  /** Null only when the local key check stopped the probe. */
  outcome: ProbeOutcome | null;
  history: ConnectionHistory;
  regionProbe?: RegionProbeResult;
  now: Date;
}

/** Stable name of the rule that fired: shown with the evidence and used by the tests. */
export type ClassifierRule =
  | "paused"
  | "local_key_missing"
  | "local_key_unreadable"
  | "local_key_malformed"
  | "success"
  | "success_no_patients_expected"
  | "success_no_patients_visible"
  | "client_key_missing"
  | "client_key_malformed"
  | "rate_limited"
  | "network"
  | "timeout"
  | "invalid_response"
  | "invalid_response_maintenance"
  | "invalid_response_key"
  | "http_key_text"
  | "http_401"
  | "http_403"
  | "http_404_permission"
  | "http_404_unknown_endpoint"
  | "http_408"
  | "http_429"
  | "http_5xx"
  | "http_400_key"
  | "http_other"
  | "vendor_failure_rate_limited"
  | "vendor_failure_unavailable"
  | "vendor_failure_permission"
  | "vendor_failure_request"
  | "vendor_failure_key"
  | "vendor_failure_unknown"
  | "vendor_refused_query";

/** What the timeline and alerts show as evidence. Never contains the key. */
export interface ProbeEvidence {
  kind: VendorErrorKind | "local" | "success" | "paused";
  httpStatus?: number;
  /** Verbatim from the vendor. */
  vendorMessage?: string;
  vendorCode?: string;
  request?: string;
  region?: string;
  socketCode?: string;
  retryAfterSeconds?: number;
  visiblePatients?: number;
  /** The count stopped at a cap: at least `visiblePatients` are visible. */
  visiblePatientsAtLeast?: boolean;
  workingRegion?: string;
  localMessage?: string;
  /** The query the vendor refused to this key (Nookal v3 field, e.g. treatmentNotes). */
  refusedQuery?: string;
  /** The sync resource this failure came from (docs/decisions/0033-sync.md); probes re-check a refused one. */
  syncResource?: string;
}

export interface Classification {
  failureCode: FailureCode | null;
  /** From the taxonomy; false for success. */
  transient: boolean;
  rule: ClassifierRule;
  /** One line for support: why this code. */
  reason: string;
  evidence: ProbeEvidence;
  /** wrong_region: where the key works. */
  suggestedRegion: string | null;
  /** rate_limited: when the vendor allows requests again. */
  retryAt: Date | null;
  /**
   * The key was rejected and may belong to another shard/region: try it there (bounded,
   * rate-limit aware) and classify again with `regionProbe` to tell wrong_region from auth_rejected.
   */
  regionProbeAdvised: boolean;
  visiblePatients: number | null;
}

// ---- Nookal failure messages
// why: Nookal answers failures as HTTP 200 `{status:"failure", details:{errorMessage, errorCode}}`
// and publishes no list of messages or codes, so they are read as text. The order matters, and
// the fallback is deliberate: an unrecognised failure is vendor_response_invalid (transient,
// engineering), never auth_rejected. Calling an outage or our own bug "a bad key" sends clinic
// admins to re-create keys for nothing and opens a needs-action alert fleet-wide; an
// unrecognised failure instead degrades, alerts as degraded-too-long after the threshold with the
// message verbatim, and engineering adds the pattern here.
const RATE_LIMIT_TEXT = /rate[ _-]?limit|too many requests|throttl/i;
const UNAVAILABLE_TEXT = /maintenance|temporarily unavailable|service unavailable|try again later|internal (server )?error|overloaded/i;
// Checked before the key rule: "API key is not permitted to read Clinical Notes" names the key
// but is a permission gap, not a rejected key.
const PERMISSION_TEXT = /permission|not permitted|not allowed|forbidden|insufficient|scope|(?:not |un)authori[sz]ed (?:to|for)\b|access (?:to|for) /i;
// "Missing api_key parameter" names the key but means our request was wrong (a client bug would
// otherwise mark every Nookal clinic auth_rejected at once).
const REQUEST_TEXT = /\b(?:missing|required|parameter|unknown function|invalid function|invalid (?:request|argument))\b/i;
const KEY_TEXT =
  /\bapi[ _-]?key\b|\bapikey\b|\bkey\b|invalid[ _]client|invalid[ _]grant|invalid credentials|bad credentials|authenticat|unauthori[sz]ed|not authori[sz]ed/i;

// why: "credentials not found", "integration disabled", "API key has been revoked" are the
// clinic's key problem (a key to re-create or re-enable), whatever the HTTP status or body shape
// they arrive in: never "unreadable response" (engineering) nor a permission gap. Checked before
// the permission rule, because "access for this integration is disabled" is a disabled key.
const KEY_PROBLEM_TEXT =
  /\bcredentials? (?:(?:was|were|is|are) )?(?:not found|not recogni[sz]ed|unknown|invalid|expired|revoked|disabled|deactivated)\b|\bno (?:such |matching |valid )?credentials?\b|\b(?:integration|api[ _-]?key|key|client|account|user|practice)s? (?:(?:has been|have been|is|are|was|were) )?(?:disabled|deactivated|inactive|suspended|revoked|archived|expired|not found|not enabled)\b|\b(?:disabled|deactivated|revoked|archived|inactive) (?:integration|api[ _-]?key|key|account|user)\b/i;

type TextVerdict = { code: FailureCode; rule: ClassifierRule; reason: string };

/** Reads a vendor's failure text. Exported for the table tests and for support tooling. */
export function classifyFailureText(text: string): TextVerdict {
  if (RATE_LIMIT_TEXT.test(text)) return { code: "rate_limited", rule: "vendor_failure_rate_limited", reason: "the vendor says to slow down" };
  if (UNAVAILABLE_TEXT.test(text))
    return { code: "vendor_unavailable", rule: "vendor_failure_unavailable", reason: "the vendor reports maintenance or a server fault" };
  if (KEY_PROBLEM_TEXT.test(text))
    return { code: "auth_rejected", rule: "vendor_failure_key", reason: "the vendor says the key or its integration is not found or disabled" };
  if (PERMISSION_TEXT.test(text))
    return { code: "permission_denied", rule: "vendor_failure_permission", reason: "the vendor says the key is not allowed to read this" };
  if (REQUEST_TEXT.test(text))
    return {
      code: "vendor_response_invalid",
      rule: "vendor_failure_request",
      reason: "the vendor says our request was incomplete: an engineering problem, not the key",
    };
  if (KEY_TEXT.test(text)) return { code: "auth_rejected", rule: "vendor_failure_key", reason: "the vendor rejects the key itself" };
  return {
    code: "vendor_response_invalid",
    rule: "vendor_failure_unknown",
    reason: "the vendor reported a failure we do not recognise; not assumed to be the key",
  };
}

function evidenceOf(error: VendorError): ProbeEvidence {
  const e: ProbeEvidence = { kind: error.kind };
  if (error.status !== undefined) e.httpStatus = error.status;
  if (error.vendorMessage !== undefined) e.vendorMessage = error.vendorMessage;
  if (error.vendorCode !== undefined) e.vendorCode = error.vendorCode;
  if (error.request) e.request = `${error.request.method} ${error.request.path}`;
  if (error.region !== undefined) e.region = error.region;
  if (error.socketCode !== undefined) e.socketCode = error.socketCode;
  if (error.retryAfterSeconds !== undefined) e.retryAfterSeconds = error.retryAfterSeconds;
  if (error.field !== undefined) e.refusedQuery = error.field;
  return e;
}

interface Verdict {
  code: FailureCode | null;
  rule: ClassifierRule;
  reason: string;
}

function classifyError(vendor: Vendor, error: VendorError): Verdict {
  const status = error.status;
  switch (error.kind) {
    case "key_missing":
      return { code: "key_missing", rule: "client_key_missing", reason: "the client found no key to send" };
    case "key_malformed":
      return { code: "key_malformed", rule: "client_key_malformed", reason: "the client could not parse the key" };
    case "rate_limited":
      return { code: "rate_limited", rule: "rate_limited", reason: "throttled beyond the client's wait budget" };
    case "network":
      return { code: "network", rule: "network", reason: "the vendor was not reached (DNS, TLS, refused or reset)" };
    case "timeout":
      return { code: "network", rule: "timeout", reason: "the vendor did not answer in time" };
    case "invalid_response":
      // why: a maintenance page served as 200 HTML fails parsing; it is an outage, not a contract change
      if (UNAVAILABLE_TEXT.test(error.vendorMessage ?? ""))
        return { code: "vendor_unavailable", rule: "invalid_response_maintenance", reason: "the vendor served a maintenance page" };
      if (KEY_PROBLEM_TEXT.test(error.vendorMessage ?? ""))
        return { code: "auth_rejected", rule: "invalid_response_key", reason: "the vendor's answer says the key is not found or disabled" };
      return { code: "vendor_response_invalid", rule: "invalid_response", reason: "the vendor's answer failed validation" };
    case "vendor_failure": {
      const text = [error.vendorMessage, error.vendorCode].filter(Boolean).join(" ");
      return classifyFailureText(text);
    }
    case "refused":
      // why: the vendor answered the rest and withheld this one query: a permission the key lacks,
      // whatever its (unpublished) wording
      return { code: "permission_denied", rule: "vendor_refused_query", reason: `the vendor refused the ${error.field ?? "requested"} query for this key` };
    case "http":
      break;
  }
  // why: a key problem in words (e.g. Nookal's HTML 404 "credentials not found") is the key, not our call
  if (
    status !== undefined &&
    status >= 400 &&
    status < 500 &&
    status !== 401 &&
    status !== 429 &&
    KEY_PROBLEM_TEXT.test(`${error.vendorMessage ?? ""} ${error.vendorCode ?? ""}`)
  )
    return { code: "auth_rejected", rule: "http_key_text", reason: `the vendor says the key is not found or disabled (${status})` };
  if (status === 401)
    // why: Cliniko answers a wrong-shard key with the same 401 as an archived one; region probing decides
    return { code: "auth_rejected", rule: "http_401", reason: "the vendor rejects the key (401)" };
  if (status === 403) return { code: "permission_denied", rule: "http_403", reason: "the key's user or role is refused (403)" };
  if (status === 404) {
    // why: probes only call endpoints that exist; Cliniko shows some role gaps as 404, while
    // Nookal answers an unknown function with an HTML 404 — that is our call, not the key.
    return vendor === "cliniko"
      ? { code: "permission_denied", rule: "http_404_permission", reason: "Cliniko hides this resource from the key's role (404)" }
      : { code: "vendor_response_invalid", rule: "http_404_unknown_endpoint", reason: "Nookal does not know the function we called (404)" };
  }
  if (status === 408) return { code: "vendor_unavailable", rule: "http_408", reason: "the vendor timed out our request (408)" };
  if (status === 429) return { code: "rate_limited", rule: "http_429", reason: "the vendor is throttling (429)" };
  if (status !== undefined && status >= 500 && status <= 599)
    return { code: "vendor_unavailable", rule: "http_5xx", reason: `the vendor has a server fault (${status})` };
  // why: OAuth token endpoints (Nookal v3) may answer a bad Basic key with 400 invalid_client
  if (status === 400 && KEY_TEXT.test(`${error.vendorMessage ?? ""} ${error.vendorCode ?? ""}`) && !REQUEST_TEXT.test(error.vendorMessage ?? ""))
    return { code: "auth_rejected", rule: "http_400_key", reason: "the vendor's token endpoint rejects the key" };
  return {
    code: "vendor_response_invalid",
    rule: "http_other",
    reason: `the vendor refused our request (${status ?? "no status"}): an engineering problem, not the key`,
  };
}

function result(
  code: FailureCode | null,
  rule: ClassifierRule,
  reason: string,
  evidence: ProbeEvidence,
  extra: Partial<Pick<Classification, "suggestedRegion" | "retryAt" | "regionProbeAdvised" | "visiblePatients">> = {},
): Classification {
  return {
    failureCode: code,
    transient: code === null ? false : TAXONOMY[code].transient,
    rule,
    reason,
    evidence,
    suggestedRegion: extra.suggestedRegion ?? null,
    retryAt: extra.retryAt ?? null,
    regionProbeAdvised: extra.regionProbeAdvised ?? false,
    visiblePatients: extra.visiblePatients ?? null,
  };
}

export function classifyProbe(input: ClassifyInput): Classification {
  const { vendor, keyCheck, outcome, history, now } = input;

  // why: a paused connection is reported as paused whatever a stray probe saw
  if (history.paused) return result("integration_paused", "paused", "support paused this connection", { kind: "paused" });

  if (keyCheck.status === "missing") return result("key_missing", "local_key_missing", "no key is stored", { kind: "local" });
  if (keyCheck.status === "unreadable") {
    const evidence: ProbeEvidence = {
      kind: "local",
      localMessage: `the configured master keys cannot decrypt the stored key (sealed under "${keyCheck.keyId ?? "?"}")`,
    };
    return result("key_unreadable", "local_key_unreadable", "our master keys cannot decrypt the stored key", evidence);
  }
  if (keyCheck.status === "malformed") {
    const evidence: ProbeEvidence = { kind: "local" };
    if (keyCheck.message) evidence.localMessage = keyCheck.message;
    return result("key_malformed", "local_key_malformed", "the stored key cannot be parsed", evidence);
  }
  if (outcome === null) throw new TypeError("classifyProbe: a key that passed the local check needs a probe outcome");

  if (outcome.ok) {
    const evidence: ProbeEvidence = { kind: "success", visiblePatients: outcome.visiblePatients };
    if (input.region !== undefined) evidence.region = input.region;
    const extra = { visiblePatients: outcome.visiblePatients };
    if (outcome.visiblePatients > 0) return result(null, "success", "the key works and sees patients", evidence, extra);
    if (history.everHadPatients || history.expectsPatients)
      return result(
        "no_patients_visible",
        "success_no_patients_visible",
        history.everHadPatients
          ? "the key works but sees no patients, where it used to see some"
          : "the key works but sees no patients, and this clinic has patients",
        evidence,
        extra,
      );
    // why: a brand-new clinic with no patients yet is healthy, not broken
    return result(null, "success_no_patients_expected", "the key works; no patients yet and none expected", evidence, extra);
  }

  const error = outcome.error;
  const verdict = classifyError(vendor, error);
  const evidence = evidenceOf(error);
  if (evidence.region === undefined && input.region !== undefined) evidence.region = input.region;

  if (verdict.code === "rate_limited") {
    const retryAt = error.retryAfterSeconds !== undefined ? new Date(now.getTime() + error.retryAfterSeconds * 1000) : null;
    return result(verdict.code, verdict.rule, verdict.reason, evidence, { retryAt });
  }

  if (verdict.code === "auth_rejected") {
    const configured = input.region ?? error.region;
    const working = input.regionProbe?.workingRegion;
    // why: a region that "works" but is the one we already use is not a wrong-region finding
    if (working !== undefined && working !== configured) {
      evidence.workingRegion = working;
      return result("wrong_region", verdict.rule, `the key is rejected in ${configured ?? "the configured region"} but accepted in ${working}`, evidence, {
        suggestedRegion: working,
      });
    }
    // why: a Cliniko key with a shard suffix already names its shard; other shards would reject it too
    const suffixed = vendor === "cliniko" && keyCheck.hasShardSuffix === true;
    return result(verdict.code, verdict.rule, verdict.reason, evidence, {
      regionProbeAdvised: input.regionProbe === undefined && !suffixed,
    });
  }

  return result(verdict.code, verdict.rule, verdict.reason, evidence);
}
