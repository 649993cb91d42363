/**
 * The failure taxonomy: the one source of truth for failure codes, read by the UI, the API,
 * alerts and playbooks. Add a code here and the type system shows every place that must handle it.
 */
export const FAILURE_CODES = [
  "key_missing",
  "key_malformed",
  "auth_rejected",
  "wrong_region",
  "permission_denied",
  "no_patients_visible",
  "rate_limited",
  "vendor_unavailable",
  "network",
  "vendor_response_invalid",
  "integration_paused",
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

export type Actor = "clinic_admin" | "support" | "support_or_admin" | "nobody" | "ops" | "engineering";

export interface FailureInfo {
  code: FailureCode;
  title: string;
  whoActs: Actor;
  /** Transient failures never move a connection to action_required on their own. */
  transient: boolean;
  clinicMessage: string;
  supportMessage: string;
}

export const TAXONOMY: Record<FailureCode, FailureInfo> = {
  key_missing: {
    code: "key_missing",
    title: "No API key",
    whoActs: "clinic_admin",
    transient: false,
    clinicMessage: "No API key has been entered for your practice-management system yet.",
    supportMessage: "No key is stored for this connection. Send the clinic a reconnect link.",
  },
  key_malformed: {
    code: "key_malformed",
    title: "Key is malformed",
    whoActs: "clinic_admin",
    transient: false,
    clinicMessage: "The API key could not be read: it looks incomplete or has extra characters. Copy the whole key again.",
    supportMessage: "The stored key cannot be parsed (bad shard suffix, truncated or stray characters). Ask for the key again.",
  },
  auth_rejected: {
    code: "auth_rejected",
    title: "Key rejected",
    whoActs: "clinic_admin",
    transient: false,
    clinicMessage: "Your practice-management system no longer accepts this API key. It may have been archived, disabled or belong to a deactivated user.",
    supportMessage: "The vendor rejects the key (wrong, archived, disabled or user deactivated). The clinic must create a new key.",
  },
  wrong_region: {
    code: "wrong_region",
    title: "Wrong region",
    whoActs: "support_or_admin",
    transient: false,
    clinicMessage: "Your API key works, but in a different region than the one selected.",
    supportMessage: "The key is valid in another shard or region than configured. Apply the suggested region.",
  },
  permission_denied: {
    code: "permission_denied",
    title: "Permission denied",
    whoActs: "clinic_admin",
    transient: false,
    clinicMessage: "The API key works but its user or role is not allowed to read everything we need.",
    supportMessage: "The key's user or role lacks a permission (Cliniko role, Nookal access ticks such as Clinical Notes).",
  },
  no_patients_visible: {
    code: "no_patients_visible",
    title: "No patients visible",
    whoActs: "support",
    transient: false,
    clinicMessage: "The API key works, but no patients can be seen through it. It may be scoped to the wrong location or account.",
    supportMessage: "The key is accepted but sees zero patients where the clinic has patients: wrong location, business or account.",
  },
  rate_limited: {
    code: "rate_limited",
    title: "Rate limited",
    whoActs: "nobody",
    transient: true,
    clinicMessage: "Your practice-management system asked us to slow down. Nothing to do: we retry automatically.",
    supportMessage: "The vendor is throttling requests (429). Relink backs off until the reset time.",
  },
  vendor_unavailable: {
    code: "vendor_unavailable",
    title: "Vendor unavailable",
    whoActs: "nobody",
    transient: true,
    clinicMessage: "Your practice-management system is having an outage. Your key is fine; we will reconnect automatically.",
    supportMessage: "The vendor answers with server errors or maintenance. Not a key problem: wait and inform.",
  },
  network: {
    code: "network",
    title: "Network error",
    whoActs: "ops",
    transient: true,
    clinicMessage: "We could not reach your practice-management system. Your key is fine; we keep retrying.",
    supportMessage: "DNS, TLS, timeout or connection refused on the way to the vendor. Not a key problem.",
  },
  vendor_response_invalid: {
    code: "vendor_response_invalid",
    title: "Unreadable vendor response",
    whoActs: "engineering",
    transient: true,
    clinicMessage: "Your practice-management system answered in a way we did not expect. Our engineers have been told.",
    supportMessage: "The vendor's answer failed validation. Escalate to engineering with the evidence.",
  },
  integration_paused: {
    code: "integration_paused",
    title: "Paused by support",
    whoActs: "support",
    transient: false,
    clinicMessage: "This connection has been paused by support.",
    supportMessage: "Paused deliberately by support. Resume it when ready.",
  },
};

export function failureInfo(code: FailureCode): FailureInfo {
  return TAXONOMY[code];
}
