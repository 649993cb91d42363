import type { ProbeEvidence } from "./classifier.ts";
import { TAXONOMY } from "./taxonomy.ts";
import { formatPatientCount, formatPatientsVisible } from "../patient-count.ts";
import {
  type ConnectionState,
  type EscalationPacket,
  type FailureCode,
  NOOKAL_REGION_LABELS,
  type NookalRegion,
  type PatientScope,
  type SupportFindings,
  VENDOR_LABELS,
  type Vendor,
} from "../vocabulary.ts";

/**
 * The escalation packet: everything a vendor's support desk asks for, in one copyable block, so
 * nobody goes back to the clinic for it (VENDOR_APIS.md "Escalate with"): organisation name,
 * Cliniko or Nookal, the exact error, whether the key was already re-entered, no patients at all
 * vs one missing, and the Nookal region — plus when it started and when it last worked.
 * Built from stored facts only; it never sees the key (only its hint).
 */

export interface EscalationInput {
  organisationName: string;
  vendor: Vendor;
  /** Cliniko shard or Nookal region. */
  region: string;
  apiVersion?: string;
  state?: ConnectionState;
  failureCode: FailureCode | null;
  /** The stored evidence of the current failure (vendor message verbatim). */
  evidence: ProbeEvidence | null;
  keyHint?: string | null;
  keyUpdatedAt: Date | null;
  firstFailureAt: Date | null;
  lastSuccessAt: Date | null;
  /** What the clinic told support, when it said. */
  reportedPatientScope?: "none_visible" | "one_missing";
  /** What support learned (connections.support_findings). */
  supportFindings?: SupportFindings | null;
  visiblePatients?: number | null;
  /** `visiblePatients` is a lower bound: counting stopped at the cap. */
  visiblePatientsAtLeast?: boolean | null;
  /** The region's open vendor incident (docs/decisions/0049), named in the ticket. */
  vendorIncident?: EscalationPacket["vendorIncident"];
}

function isNookalRegion(region: string): region is NookalRegion {
  return region in NOOKAL_REGION_LABELS;
}

/** The vendor's answer in words support can paste into a ticket, verbatim where it exists. */
export function describeVendorError(vendor: Vendor, evidence: ProbeEvidence | null): string {
  if (!evidence) return "No vendor error recorded";
  const label = VENDOR_LABELS[vendor];
  const message = evidence.vendorMessage;
  const code = evidence.vendorCode !== undefined ? ` (error code ${evidence.vendorCode})` : "";
  switch (evidence.kind) {
    case "http":
      return `HTTP ${evidence.httpStatus ?? "?"}${code}: ${message === undefined || message === "" ? "(empty body)" : message}`;
    case "vendor_failure":
      return `${label} answered status "failure"${code}: ${message || "(no message)"}`;
    case "refused":
      return `${label} refused the ${evidence.refusedQuery ?? "requested"} query for this key${code}: ${message || "(no message)"}`;
    case "rate_limited":
      return `HTTP ${evidence.httpStatus ?? 429} rate limited${evidence.retryAfterSeconds !== undefined ? ` (reset in ${evidence.retryAfterSeconds} s)` : ""}${message ? `: ${message}` : ""}`;
    case "network":
      return `Could not reach ${label}${evidence.socketCode ? `: ${evidence.socketCode}` : ""}`;
    case "timeout":
      return `${label} did not answer in time`;
    case "invalid_response":
      return `Unreadable answer from ${label}${message ? `: ${message}` : ""}`;
    case "key_missing":
    case "key_malformed":
    case "local":
      return `Key refused before sending${evidence.localMessage ? `: ${evidence.localMessage}` : message ? `: ${message}` : ""}`;
    case "success":
      return `Key accepted; ${evidence.visiblePatients === undefined ? "? patients visible" : formatPatientsVisible(evidence.visiblePatients, evidence.visiblePatientsAtLeast)}`;
    case "paused":
      return "Paused by support";
  }
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

/** The packet after a new key was checked live and stored (reconnect link, support-confirmed account change). */
export function acceptedKeyPacket(input: {
  organisationName: string;
  vendor: Vendor;
  region: string;
  apiVersion: string;
  state: ConnectionState;
  keyHint: string;
  verified: { visiblePatients: number; visiblePatientsAtLeast?: boolean };
  now: Date;
}): EscalationPacket {
  const { verified, now, region } = input;
  const visiblePatientsAtLeast = verified.visiblePatientsAtLeast === true;
  return buildEscalationPacket({
    organisationName: input.organisationName,
    vendor: input.vendor,
    region,
    apiVersion: input.apiVersion,
    state: input.state,
    failureCode: null,
    evidence: { kind: "success", visiblePatients: verified.visiblePatients, visiblePatientsAtLeast, region },
    keyHint: input.keyHint,
    keyUpdatedAt: now,
    firstFailureAt: null,
    lastSuccessAt: now,
    visiblePatients: verified.visiblePatients,
    visiblePatientsAtLeast,
  });
}

export function buildEscalationPacket(input: EscalationInput): EscalationPacket {
  const { vendor, region, failureCode, evidence } = input;
  const stored = input.visiblePatients ?? null;
  const visiblePatients = stored ?? evidence?.visiblePatients ?? null;
  // why: the flag travels with whichever count is used, never mixed from two sources
  const visiblePatientsAtLeast =
    visiblePatients !== null && (stored !== null ? input.visiblePatientsAtLeast === true : evidence?.visiblePatientsAtLeast === true);
  const patientScope: PatientScope =
    input.reportedPatientScope ??
    (failureCode === "no_patients_visible" || visiblePatients === 0
      ? "none_visible"
      : // why: the live lookup found no match for the patient the clinic misses while others are visible
        input.supportFindings?.patientLookup?.matches === 0 && visiblePatients !== null && visiblePatients > 0
        ? "one_missing"
        : "unknown");
  // why: "was the key already re-entered?" is the first question a vendor asks; compare the key's
  // last save with the start of the failure streak
  const keyReEnteredSinceFailure =
    input.firstFailureAt === null ? null : input.keyUpdatedAt !== null && input.keyUpdatedAt.getTime() >= input.firstFailureAt.getTime();

  return {
    organisationName: input.organisationName,
    vendor,
    vendorLabel: VENDOR_LABELS[vendor],
    region,
    nookalRegion: vendor === "nookal" ? (isNookalRegion(region) ? NOOKAL_REGION_LABELS[region] : region) : null,
    clinikoShard: vendor === "cliniko" ? region : null,
    apiVersion: input.apiVersion ?? null,
    state: input.state ?? null,
    failureCode,
    failureTitle: failureCode ? TAXONOMY[failureCode].title : null,
    exactError: describeVendorError(vendor, evidence),
    request: evidence?.request ?? null,
    keyReEnteredSinceFailure,
    patientScope,
    visiblePatients,
    visiblePatientsAtLeast,
    firstFailureAt: iso(input.firstFailureAt),
    lastSuccessAt: iso(input.lastSuccessAt),
    keyHint: input.keyHint ?? null,
    suggestedAction: failureCode ? TAXONOMY[failureCode].suggestedAction : null,
    ...(input.supportFindings ? { supportFindings: input.supportFindings } : {}),
    ...(input.vendorIncident ? { vendorIncident: input.vendorIncident } : {}),
  };
}

function oneLine(s: string): string {
  // why: a name with a newline could forge lines in a pasted ticket
  return s.replace(/[\r\n\t]+/g, " ").trim();
}

function when(isoString: string | null, none: string, clinicTimeZone?: string): string {
  if (!isoString) return none;
  const utc = `${isoString.slice(0, 16).replace("T", " ")} UTC`;
  if (!clinicTimeZone) return utc;
  // why (issue 11): whoever reads the packet (the vendor's support, the clinic) thinks in the clinic's zone
  try {
    const local = new Intl.DateTimeFormat("en-AU", {
      timeZone: clinicTimeZone,
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
      hour12: false,
      timeZoneName: "short",
    }).format(new Date(isoString));
    return `${utc} (${local} clinic time, ${clinicTimeZone})`;
  } catch {
    return utc;
  }
}

const PATIENT_SCOPE_TEXT: Record<PatientScope, string> = {
  none_visible: "no patients visible at all",
  one_missing: "one patient missing (others visible)",
  unknown: "not known",
};

/** Plain text to paste into an email or a vendor's support form. */
export function escalationText(p: EscalationPacket, options: { clinicTimeZone?: string } = {}): string {
  const lines = [
    `Escalation: ${oneLine(p.organisationName)}`,
    `Vendor: ${p.vendorLabel}${p.apiVersion ? ` (API ${p.apiVersion})` : ""}`,
    p.vendor === "nookal" ? `Nookal region: ${p.nookalRegion} (${p.region})` : `Cliniko shard: ${p.clinikoShard}`,
    `Failure: ${p.failureTitle ? `${p.failureTitle} (${p.failureCode})` : "none recorded"}${p.state ? `, connection ${p.state}` : ""}`,
  ];
  const errorLines = p.exactError.split(/\r?\n/);
  lines.push(`Exact error: ${errorLines[0]}`, ...errorLines.slice(1).map((l) => `  ${l}`));
  if (p.request) lines.push(`Request: ${p.request}`);
  lines.push(
    `Key re-entered since the failure began: ${p.keyReEnteredSinceFailure === null ? "n/a (no failure)" : p.keyReEnteredSinceFailure ? "yes" : "no"}`,
    `Patients: ${PATIENT_SCOPE_TEXT[p.patientScope]}${p.visiblePatients !== null ? ` (${formatPatientCount(p.visiblePatients, p.visiblePatientsAtLeast)} visible at last probe)` : ""}`,
    `First failure: ${when(p.firstFailureAt, "none", options.clinicTimeZone)}`,
    `Last success: ${when(p.lastSuccessAt, "never", options.clinicTimeZone)}`,
  );
  const lookup = p.supportFindings?.patientLookup;
  if (lookup)
    lines.push(
      `Support's live patient lookup: ${lookup.matches === 0 ? "the patient the clinic misses was NOT found" : `${lookup.capped ? "at least " : ""}${lookup.matches} match${lookup.matches === 1 ? "" : "es"} found`} (${when(lookup.at, "?")})`,
    );
  const manual = p.supportFindings?.manualNotes;
  if (manual)
    lines.push(`Clinic is copying notes by hand for the day: yes, since ${when(manual.since, "?")}${manual.note ? ` — ${oneLine(manual.note)}` : ""}`);
  const shared = p.supportFindings?.sharedKey;
  if (shared)
    lines.push(
      `Key shared with another clinic: ${shared.clinics.map((c) => oneLine(c.clinicName)).join(", ")} (found ${when(shared.at, "?")}); one key must serve one clinic`,
    );
  // why (docs/decisions/0049): a ticket filed during a vendor incident says so, so the vendor does not debug one clinic's key
  if (p.vendorIncident) lines.push(`Vendor incident: ${oneLine(p.vendorIncident.summary)} (Relink incident ${p.vendorIncident.id})`);
  if (p.keyHint) lines.push(`Key: ${p.keyHint}`);
  if (p.suggestedAction) lines.push(`Suggested action: ${p.suggestedAction}`);
  return lines.join("\n");
}
