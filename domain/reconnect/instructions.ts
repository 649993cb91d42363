import { CLINIKO_CREATE_KEY_STEPS, CLINIKO_NO_API_KEYS_SECTION, NOOKAL_CREATE_KEY_STEPS } from "../health/taxonomy.ts";
import { formatPatientsVisible } from "../patient-count.ts";
import { type FailureCode, NOOKAL_REGION_LABELS, NOOKAL_REGIONS, type NookalRegion, type Vendor, VENDOR_LABELS } from "../vocabulary.ts";

/**
 * What the reconnect page tells a clinic admin, per vendor. The steps are the taxonomy's own
 * (quoted from the vendors' help pages), so the page, the playbooks and the emails never disagree.
 */

export interface RegionOption {
  value: NookalRegion;
  label: string;
  /** The address the clinic signs in at: the easiest way to tell the region. */
  webAddress: string;
}

export const NOOKAL_REGION_OPTIONS: readonly RegionOption[] = NOOKAL_REGIONS.map((value) => ({
  value,
  label: NOOKAL_REGION_LABELS[value],
  webAddress: { au: "app.nookal.com.au", eu: "app.nookal.co.uk", us: "app.nookal.com" }[value],
}));

export interface VendorGuide {
  vendor: Vendor;
  vendorLabel: string;
  steps: readonly string[];
  /** Things people get stuck on, shown beside the steps. */
  tips: readonly string[];
  keyHint: string;
  /** What the connection reads, said as the vendor's own onboarding guides say it (after the product name). */
  readOnly: string;
  /** How the clinic revokes the access at any time, in the vendor's own screens. */
  revoke: string;
}

export const GUIDES: Record<Vendor, VendorGuide> = {
  cliniko: {
    vendor: "cliniko",
    vendorLabel: VENDOR_LABELS.cliniko,
    steps: CLINIKO_CREATE_KEY_STEPS,
    tips: [CLINIKO_NO_API_KEYS_SECTION, "Closed the key before copying it? That is fine: archive it (My Info → Manage API keys → Archive) and create another."],
    keyHint: "Paste the whole key, including any ending such as -au2.",
    readOnly: "only reads your Cliniko data (patients and appointments); it never creates, changes or deletes anything in Cliniko.",
    revoke: "you can revoke this access at any time in Cliniko: My Info → Manage API keys → Archive. The connection stops at once.",
  },
  nookal: {
    vendor: "nookal",
    vendorLabel: VENDOR_LABELS.nookal,
    steps: NOOKAL_CREATE_KEY_STEPS,
    tips: [
      "Only a Nookal user who can open Setup → Integrations can create keys. If you cannot see it, ask the practice owner.",
      "Nookal has two kinds of key: an API v3 Basic Key (Setup → Integrations → API Keys) and a Space API Key. Either works here; paste the one you created.",
    ],
    keyHint: "Paste the whole key exactly as Nookal shows it.",
    readOnly: "only reads your Nookal data (patients and appointments); it never creates, changes or deletes anything in Nookal.",
    revoke:
      "you can revoke this access at any time in Nookal: Setup → Integrations → API Keys, then disable or delete the key (an API v3 Basic Key or a Space API Key alike). The connection stops at once.",
  },
};

/** Why a working key sees no patients, per vendor, in one sentence for the clinic. */
export const NO_PATIENTS_LIKELY_CAUSE: Record<Vendor, string> = {
  cliniko: "the key was probably created in a different Cliniko account (for example a trial or second account) than the one your patients are in.",
  nookal: "the key is probably limited to a different location than the one your patients are in.",
};

export const DO_NOT_RECREATE_PATIENTS = "Please do not re-create any patients: they are all still there, the key just cannot see them.";

export const BUSY_CLINIC_NOTE = "Busy clinic? Reconnecting loses no data. If today is hectic, copy today's notes in by hand and come back to this link later.";

export function regionLabel(vendor: Vendor, region: string): string {
  if (vendor === "nookal" && region in NOOKAL_REGION_LABELS) return NOOKAL_REGION_LABELS[region as NookalRegion];
  return region;
}

/** The words under the submit button while the vendor is asked. */
export function checkingMessage(vendor: Vendor): string {
  return `Checking your key with ${VENDOR_LABELS[vendor]}…`;
}

/** The success page's one line: "Connected as Jess Walker (administrator); at least 2,000 patients visible." */
export function connectedLine(c: { userName: string; userRole: string | null; visiblePatients: number; visiblePatientsAtLeast?: boolean }): string {
  const who = `${c.userName}${c.userRole ? ` (${c.userRole})` : ""}`;
  // why: a confirmation cookie set before the flag existed has none; it was an exact count then
  return `Connected as ${who}; ${formatPatientsVisible(c.visiblePatients, c.visiblePatientsAtLeast)}.`;
}

/**
 * The reconnect page's headline for a refused key, in the clinic's words: no "malformed",
 * "rejected" or HTTP codes (decision 0027). Follows "Not connected: …".
 */
export const CLINIC_REFUSAL_TITLES: Record<FailureCode, string> = {
  key_missing: "there is no key in the box yet",
  key_malformed: "this doesn't look like a whole API key",
  auth_rejected: "the key isn't accepted",
  wrong_region: "the key belongs to another region",
  permission_denied: "the key's user can't read everything needed",
  no_patients_visible: "no patients can be seen with this key",
  rate_limited: "we could not check the key just now",
  vendor_unavailable: "we could not check the key just now",
  network: "we could not check the key just now",
  vendor_response_invalid: "we could not check the key just now",
  key_unreadable: "we could not check the key just now",
  integration_paused: "this connection is paused",
};

/**
 * What the page says when the vendor could not be asked: truthfully, that nothing was saved.
 * why: the taxonomy's "your key is fine, we reconnect automatically" is about a STORED key; here
 * the new key was never checked and is not kept, so the clinic must try again (decision 0027).
 */
export function couldNotCheckMessage(vendor: Vendor): string {
  return `${VENDOR_LABELS[vendor]} did not answer just now, so your key could not be checked, and it has not been saved. Please try again in a few minutes with the same key; this link still works.`;
}

/** The vendor's own words for the curious, without status codes or jargon; null when it said nothing useful. */
export function vendorWords(message: string | null | undefined): string | null {
  const m = (message ?? "").trim();
  return m.length > 0 && m.length <= 200 ? m : null;
}
