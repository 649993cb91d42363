import type { FailureCode, Vendor } from "../vocabulary.ts";

/**
 * The failure taxonomy: the one source of truth for failure codes, read by the UI, the API,
 * alerts, emails and playbooks. Add a code here and the type system shows every place that must
 * handle it (every `Record<FailureCode, …>` below stops compiling until it is filled in).
 */
type Actor = "clinic_admin" | "support" | "support_or_admin" | "nobody" | "ops" | "engineering";

/** What support does and says for one failure code with one vendor. */
export interface Playbook {
  /** Ordered steps for the support agent working the ticket. */
  supportSteps: readonly string[];
  /**
   * Ordered steps the clinic admin performs in the vendor's own screens (read out or pasted
   * into an email). Empty when the clinic has nothing to do.
   */
  clinicSteps: readonly string[];
  /** One or two sentences support can send the clinic as is: plain words, no jargon. */
  tellClinic: string;
}

export interface FailureInfo {
  code: FailureCode;
  title: string;
  whoActs: Actor;
  /** Transient failures never move a connection to action_required on their own. */
  transient: boolean;
  /**
   * why: a single vendor rejection after a healthy history can be a vendor-side blip (deploys have
   * answered 401/403 for a minute); these codes are confirmed by a second probe before alarming.
   */
  confirmBeforeAlarm: boolean;
  clinicMessage: string;
  supportMessage: string;
  /** Short imperative for support: the first thing to do. */
  suggestedAction: string;
  /** Cliniko and Nookal variants; identical where the vendors do not differ. */
  playbooks: Record<Vendor, Playbook>;
}

// ---- Vendor steps quoted from the vendors' own help pages (VENDOR_APIS.md "What support tells clinics")

/** Creating a Cliniko API key, as Cliniko's help describes it. */
export const CLINIKO_CREATE_KEY_STEPS: readonly string[] = [
  "In Cliniko, open My Info (bottom-left) → API keys.",
  'Turn on "Allow yourself to create and use API keys", press Update user and confirm your password.',
  "Open Manage API keys → + Add an API key, give it a name you will recognise later (for example the name of the software you are connecting) and press Create.",
  "Copy the key straight away: Cliniko shows it only once. If it is lost, create a new one.",
  "Paste the whole key, including any ending such as -au2 (that ending names your Cliniko region).",
];

/** why: without the permission Cliniko hides the section entirely, which clinics read as "broken". */
export const CLINIKO_NO_API_KEYS_SECTION =
  'No "API keys" section under My Info means your role cannot create keys: ask a Cliniko admin or the practice owner to create the key (or to allow it for you).';

const CLINIKO_ARCHIVE_KEY_STEP = "To revoke an old key: My Info → Manage API keys → Archive.";

/** Creating a Nookal API key, as Nookal's help describes it. */
export const NOOKAL_CREATE_KEY_STEPS: readonly string[] = [
  "In Nookal, open Setup → Integrations → API Keys → + Add API Key.",
  "Name it (for example after the software you are connecting) and choose your clinic location (tick every location whose patients you need).",
  "Enable Clinical Notes access.",
  "Set Status to Enabled, press Save and copy the key.",
  "When you paste the key, pick the region that matches your Nookal account (AU/NZ, EU/UK or US).",
];

const RECONNECT_LOSES_NO_DATA = "Reconnecting loses no data. If today is busy, you can copy notes by hand for the day and reconnect later.";
const DO_NOT_RECREATE_PATIENTS = "Please do not re-create patients: they are all still there, the key just cannot see them.";

function same(p: Playbook): Record<Vendor, Playbook> {
  return { cliniko: p, nookal: p };
}

export const TAXONOMY: Record<FailureCode, FailureInfo> = {
  key_missing: {
    code: "key_missing",
    title: "No API key",
    whoActs: "clinic_admin",
    transient: false,
    confirmBeforeAlarm: false,
    clinicMessage: "No API key has been entered for your practice-management system yet.",
    supportMessage: "No key is stored for this connection. Send the clinic a reconnect link.",
    suggestedAction: "Send the clinic a reconnect link.",
    playbooks: {
      cliniko: {
        supportSteps: [
          "Send the clinic a reconnect link.",
          "Point them to the Cliniko key steps below; the person creating the key needs the API keys permission.",
        ],
        clinicSteps: [...CLINIKO_CREATE_KEY_STEPS, CLINIKO_NO_API_KEYS_SECTION],
        tellClinic: "We don't have a Cliniko API key for your practice yet. Please create one in Cliniko and paste it into the link we sent.",
      },
      nookal: {
        supportSteps: ["Send the clinic a reconnect link.", "Point them to the Nookal key steps below, including the region."],
        clinicSteps: NOOKAL_CREATE_KEY_STEPS,
        tellClinic: "We don't have a Nookal API key for your practice yet. Please create one in Nookal and paste it into the link we sent.",
      },
    },
  },
  key_malformed: {
    code: "key_malformed",
    title: "Key is malformed",
    whoActs: "clinic_admin",
    transient: false,
    confirmBeforeAlarm: false,
    clinicMessage: "The API key could not be read: it looks incomplete or has extra characters. Copy the whole key again.",
    supportMessage: "The stored key cannot be parsed (bad shard suffix, truncated or stray characters). Ask for the key again.",
    suggestedAction: "Ask the clinic to paste the whole key again through a reconnect link.",
    playbooks: {
      cliniko: {
        supportSteps: [
          "Send the clinic a reconnect link.",
          "Tell them to paste the whole key in one go, including the ending after the last hyphen (e.g. -au2), with no spaces or quotes.",
          "Cliniko shows a key only once: if they no longer have it, they create a new one.",
        ],
        clinicSteps: CLINIKO_CREATE_KEY_STEPS,
        tellClinic:
          "The Cliniko key we received looks cut off or has extra characters. Please paste the whole key again, including its ending such as -au2. If you no longer have it, create a new one — it takes a minute.",
      },
      nookal: {
        supportSteps: [
          "Send the clinic a reconnect link.",
          "Tell them to copy the key again from Setup → Integrations → API Keys and paste it with no spaces or quotes.",
        ],
        clinicSteps: NOOKAL_CREATE_KEY_STEPS,
        tellClinic:
          "The Nookal key we received looks cut off or has extra characters. Please copy it again from Setup → Integrations → API Keys and paste the whole key.",
      },
    },
  },
  auth_rejected: {
    code: "auth_rejected",
    title: "Key rejected",
    whoActs: "clinic_admin",
    transient: false,
    confirmBeforeAlarm: true,
    clinicMessage: "Your practice-management system no longer accepts this API key. It may have been archived, disabled or belong to a deactivated user.",
    supportMessage: "The vendor rejects the key (wrong, archived, disabled or user deactivated). The clinic must create a new key.",
    suggestedAction: "Send a reconnect link so the clinic can create and paste a new key.",
    playbooks: {
      cliniko: {
        supportSteps: [
          "Check the key hint and shard: a key pasted without its -xx ending is tried on au1 only.",
          "Send the clinic a reconnect link.",
          "Ask whether the key was archived or its user deactivated; either way a new key from an active user fixes it.",
        ],
        clinicSteps: [...CLINIKO_CREATE_KEY_STEPS, CLINIKO_NO_API_KEYS_SECTION, CLINIKO_ARCHIVE_KEY_STEP],
        tellClinic: `Cliniko no longer accepts the API key we have — usually because it was archived or the person who created it left. Please create a new key and paste it into the link we sent. ${RECONNECT_LOSES_NO_DATA}`,
      },
      nookal: {
        supportSteps: [
          "Confirm the region: a key from another Nookal region is rejected the same way.",
          "Send the clinic a reconnect link.",
          "Ask them to check the key's Status is Enabled in Setup → Integrations → API Keys, or create a new key.",
        ],
        clinicSteps: [
          "In Nookal, open Setup → Integrations → API Keys and check the key's Status is Enabled.",
          "If it was deleted or you are unsure, create a new one:",
          ...NOOKAL_CREATE_KEY_STEPS,
        ],
        tellClinic: `Nookal no longer accepts the API key we have — usually because it was disabled or deleted. Please check it is Enabled, or create a new key, and paste it into the link we sent. ${RECONNECT_LOSES_NO_DATA}`,
      },
    },
  },
  wrong_region: {
    code: "wrong_region",
    title: "Wrong region",
    whoActs: "support_or_admin",
    transient: false,
    confirmBeforeAlarm: false,
    // why: "the one selected" was untrue for a Cliniko key with no ending (nobody selected anything)
    clinicMessage: "Your API key works, but in a different region than the one we tried.",
    supportMessage: "The key is valid in another shard or region than configured. Apply the suggested region.",
    suggestedAction: "Apply the suggested region (one click); the key does not need to be re-entered.",
    playbooks: {
      cliniko: {
        supportSteps: [
          "Apply the suggested shard with one click and re-probe.",
          "Nothing to ask of the clinic: the key itself is fine.",
          "For the future: a key pasted with its -xx ending carries its shard, so ask clinics to paste the whole key.",
        ],
        clinicSteps: [],
        // why: support reads this out before the fix is applied; it must not claim a correction nobody has made yet
        tellClinic:
          "Your Cliniko key is fine — it belongs to a different Cliniko region than we had on file. We are switching the connection to that region; nothing for you to do, and we will email you when it works again.",
      },
      nookal: {
        supportSteps: ["Apply the suggested region with one click and re-probe.", "Nothing to ask of the clinic: the key itself is fine."],
        clinicSteps: ["Next time you paste a Nookal key, pick the region that matches your Nookal account (AU/NZ, EU/UK or US)."],
        tellClinic:
          "Your Nookal key is fine — it belongs to a different Nookal region than the one selected. We are switching the connection to that region; nothing for you to do, and we will email you when it works again.",
      },
    },
  },
  permission_denied: {
    code: "permission_denied",
    title: "Permission denied",
    whoActs: "clinic_admin",
    transient: false,
    confirmBeforeAlarm: true,
    clinicMessage: "The API key works but its user or role is not allowed to read everything we need.",
    supportMessage: "The key's user or role lacks a permission (Cliniko role, Nookal access ticks such as Clinical Notes).",
    suggestedAction: "Ask the clinic admin to grant the missing access (or create the key as a user who has it).",
    playbooks: {
      cliniko: {
        supportSteps: [
          "Check which request was refused in the evidence (path and status).",
          "Ask the clinic to have a Cliniko admin or the practice owner create the key, or give the key's user a role that can see patients and appointments.",
          "Re-probe once they confirm.",
        ],
        clinicSteps: [
          "The key was created by a user whose Cliniko role cannot see everything we need.",
          "Ask a Cliniko admin or the practice owner to create the key instead:",
          ...CLINIKO_CREATE_KEY_STEPS,
          CLINIKO_NO_API_KEYS_SECTION,
        ],
        tellClinic:
          "Cliniko accepts your key, but the user who created it is not allowed to see everything we need. Please ask a Cliniko admin or the practice owner to create the key and paste it into the link we sent.",
      },
      nookal: {
        supportSteps: [
          "Check which request was refused in the evidence.",
          "Ask the clinic to open the key in Setup → Integrations → API Keys and tick the missing access (Clinical Notes) and locations.",
          "Re-probe once they confirm; the key does not need to be re-entered if it is the same key.",
        ],
        clinicSteps: [
          "In Nookal, open Setup → Integrations → API Keys and edit the key.",
          "Enable Clinical Notes access and tick your clinic location(s).",
          "Check Status is Enabled and press Save.",
        ],
        tellClinic:
          "Nookal accepts your key, but it is not allowed to read everything we need. In Setup → Integrations → API Keys, please enable Clinical Notes access and tick your location, then save.",
      },
    },
  },
  no_patients_visible: {
    code: "no_patients_visible",
    title: "No patients visible",
    whoActs: "support",
    transient: false,
    confirmBeforeAlarm: false,
    clinicMessage: "The API key works, but no patients can be seen through it. It may be scoped to the wrong location or account.",
    supportMessage: "The key is accepted but sees zero patients where the clinic has patients: wrong location, business or account.",
    suggestedAction: "Check the key and region first; do not let the clinic re-create patients.",
    playbooks: {
      cliniko: {
        supportSteps: [
          "Check the key and region first: the key's shard and the Cliniko account it belongs to.",
          "Ask whether the key was created in the clinic's usual Cliniko account (not a test or second account).",
          "Tell the clinic not to re-create patients.",
          "If one patient is missing rather than all, escalate with that distinction.",
        ],
        clinicSteps: ["Make sure you are signed in to your practice's usual Cliniko account, then create the key there:", ...CLINIKO_CREATE_KEY_STEPS],
        tellClinic: `The key connects, but we cannot see any patients through it — it was probably created in a different Cliniko account. ${DO_NOT_RECREATE_PATIENTS}`,
      },
      nookal: {
        supportSteps: [
          "Check the key and region first: the key's locations and the selected Nookal region.",
          "Ask the clinic to tick the right location(s) on the key in Setup → Integrations → API Keys.",
          "Tell the clinic not to re-create patients.",
          "If one patient is missing rather than all, escalate with that distinction.",
        ],
        clinicSteps: [
          "In Nookal, open Setup → Integrations → API Keys and edit the key.",
          "Tick the clinic location(s) whose patients you see day to day and press Save.",
          "Check the region you picked when pasting the key matches your Nookal account (AU/NZ, EU/UK or US).",
        ],
        tellClinic: `The key connects, but we cannot see any patients through it — it is probably set to a different location. ${DO_NOT_RECREATE_PATIENTS}`,
      },
    },
  },
  rate_limited: {
    code: "rate_limited",
    title: "Rate limited",
    whoActs: "nobody",
    transient: true,
    confirmBeforeAlarm: false,
    clinicMessage: "Your practice-management system asked us to slow down. Nothing to do: we retry automatically.",
    supportMessage: "The vendor is throttling requests (429). Relink backs off until the reset time.",
    suggestedAction: "Do nothing; Relink backs off until the vendor's reset time.",
    playbooks: {
      cliniko: {
        supportSteps: [
          "Do nothing: Relink waits for X-RateLimit-Reset.",
          "If it persists, ask whether another integration uses the same Cliniko user (keys of one user probably share the 200 requests/minute budget).",
        ],
        clinicSteps: [],
        tellClinic: "Cliniko asked us to slow down for a moment. Nothing to do on your side; we retry automatically.",
      },
      nookal: {
        supportSteps: ["Do nothing: Relink backs off and retries.", "If it persists, escalate to engineering with the evidence."],
        clinicSteps: [],
        tellClinic: "Nookal asked us to slow down for a moment. Nothing to do on your side; we retry automatically.",
      },
    },
  },
  vendor_unavailable: {
    code: "vendor_unavailable",
    title: "Vendor unavailable",
    whoActs: "nobody",
    transient: true,
    confirmBeforeAlarm: false,
    clinicMessage: "Your practice-management system is having an outage. Your key is fine; we will reconnect automatically.",
    supportMessage: "The vendor answers with server errors or maintenance. Not a key problem: wait and inform.",
    suggestedAction: "Wait and inform the clinic; do not ask for a new key.",
    playbooks: same({
      supportSteps: [
        "Do not ask for a new key: this is the vendor's outage, not the key.",
        "Check whether other clinics on the same vendor and region are degraded too.",
        "Inform the clinic; Relink reconnects by itself when the vendor is back.",
      ],
      clinicSteps: [],
      tellClinic: `Your practice-management system is having an outage right now. Your key is fine and nothing is lost; we reconnect automatically. ${RECONNECT_LOSES_NO_DATA}`,
    }),
  },
  network: {
    code: "network",
    title: "Network error",
    whoActs: "ops",
    transient: true,
    confirmBeforeAlarm: false,
    clinicMessage: "We could not reach your practice-management system. Your key is fine; we keep retrying.",
    supportMessage: "DNS, TLS, timeout or connection refused on the way to the vendor. Not a key problem.",
    suggestedAction: "Do not ask for a new key; tell ops if many connections show it.",
    playbooks: same({
      supportSteps: [
        "Do not ask for a new key: the vendor was not reached at all.",
        "If many connections show network errors at once, tell ops (DNS, TLS or outbound network).",
      ],
      clinicSteps: [],
      tellClinic: "We could not reach your practice-management system for a moment. Your key is fine; we keep retrying.",
    }),
  },
  vendor_response_invalid: {
    code: "vendor_response_invalid",
    title: "Unreadable vendor response",
    whoActs: "engineering",
    // why: the vendor answered something we cannot read — our problem or theirs, never the
    // clinic's — so it degrades and alerts after the threshold instead of demanding clinic action.
    transient: true,
    confirmBeforeAlarm: false,
    clinicMessage: "Your practice-management system answered in a way we did not expect. Our engineers have been told.",
    supportMessage: "The vendor's answer failed validation. Escalate to engineering with the evidence.",
    suggestedAction: "Escalate to engineering with the evidence; do not ask for a new key.",
    playbooks: same({
      supportSteps: [
        "Escalate to engineering with the escalation packet (it carries the vendor's answer verbatim).",
        "Do not ask the clinic for a new key unless engineering says the message concerns the key.",
      ],
      clinicSteps: [],
      tellClinic: "Your practice-management system answered in a way we did not expect. Our engineers are on it; nothing to do on your side for now.",
    }),
  },
  key_unreadable: {
    code: "key_unreadable",
    title: "Stored key unreadable (our fault)",
    whoActs: "engineering",
    // why: our master key cannot open the stored ciphertext: nothing the clinic did or can do, so
    // it is handled like an outage (never action_required) and decide() opens no alert for it —
    // no clinic or fleet-wide email for our own configuration mistake (docs/decisions/0023)
    transient: true,
    confirmBeforeAlarm: false,
    clinicMessage: "We are having a technical problem on our side. Your key is fine; nothing to do.",
    supportMessage:
      "Relink's configured master keys cannot decrypt this connection's stored key (MASTER_KEY / MASTER_KEYS_PREVIOUS is wrong or missing). Engineering must fix the configuration; do not ask the clinic for a new key.",
    suggestedAction: "Escalate to engineering: the master key configuration is wrong. Do not contact the clinic.",
    playbooks: same({
      supportSteps: [
        "Do not ask the clinic for a new key: the key is fine, our configuration cannot read it.",
        "Escalate to engineering: check MASTER_KEY, MASTER_KEY_ID and MASTER_KEYS_PREVIOUS against the key id in the escalation packet.",
      ],
      clinicSteps: [],
      tellClinic: "We are having a technical problem on our side. Your key is fine and there is nothing to do on your side.",
    }),
  },
  integration_paused: {
    code: "integration_paused",
    title: "Paused by support",
    whoActs: "support",
    transient: false,
    confirmBeforeAlarm: false,
    clinicMessage: "This connection has been paused by support.",
    supportMessage: "Paused deliberately by support. Resume it when ready.",
    suggestedAction: "Resume the connection when the reason for pausing is gone.",
    playbooks: same({
      supportSteps: ["Check the timeline for who paused it and why.", "Resume when ready; Relink re-probes on resume."],
      clinicSteps: [],
      tellClinic: "We have paused the connection to your practice-management system for now; we will let you know when it is back on.",
    }),
  },
};

export function failureInfo(code: FailureCode): FailureInfo {
  return TAXONOMY[code];
}

export function playbookFor(code: FailureCode, vendor: Vendor): Playbook {
  return TAXONOMY[code].playbooks[vendor];
}

export function isTransient(code: FailureCode): boolean {
  return TAXONOMY[code].transient;
}

/**
 * Who must act on a connection now, derived from the taxonomy's audience (whoActs) — what the
 * console colours by (docs/decisions/0028-broken-now.md): red when the clinic must act, amber while
 * we wait on the vendor (outage, throttling, network), grey for a deliberate pause, blue when
 * support or engineering acts. Null when nothing is failing.
 */
export type WhoMustAct = "clinic" | "vendor" | "us" | "paused";

export const WHO_MUST_ACT_LABELS: Record<WhoMustAct, string> = {
  clinic: "The clinic must act",
  vendor: "Waiting on the vendor",
  us: "Support acts",
  paused: "Paused on purpose",
};

const AUDIENCE: Record<FailureInfo["whoActs"], WhoMustAct> = {
  clinic_admin: "clinic",
  nobody: "vendor",
  ops: "vendor",
  support: "us",
  support_or_admin: "us",
  engineering: "us",
};

export function whoMustAct(state: string | null, code: FailureCode | null): WhoMustAct | null {
  if (state === "paused" || code === "integration_paused") return "paused";
  if (!code) return null;
  return AUDIENCE[TAXONOMY[code].whoActs];
}
