import { insertConnectionEvents } from "../../db/queries/connections.ts";
import { storeRetryKey } from "../../db/queries/reconnect-links.ts";
import type { ProbeEvidence } from "../health/classifier.ts";
import { buildEscalationPacket, escalationText } from "../health/escalation.ts";
import { playbookFor, TAXONOMY } from "../health/taxonomy.ts";
import type { KeyVerdict } from "../health/verify-key.ts";
import { encryptApiKey } from "../secrets/key-crypto.ts";
import { CLINIC_REFUSAL_TITLES, couldNotCheckMessage, DO_NOT_RECREATE_PATIENTS, NO_PATIENTS_LIKELY_CAUSE, regionLabel, vendorWords } from "./instructions.ts";
import type { ActiveLink } from "./links.ts";
import type { ReconnectDeps, ReconnectSubmission } from "./submit.ts";
import { type FailureCode, VENDOR_LABELS } from "../vocabulary.ts";

/** The reconnect page's refusal outcome: what to tell the person, what support sees, and the one-click region retry. */

/** How long a key that works in another region waits for the one-click retry. */
const RETRY_TTL_MS = 10 * 60_000;

export function retryAad(linkId: string): string {
  // why: binds the sealed retry key to its link; it can never be replayed onto a connection row
  return `reconnect-retry:${linkId}`;
}

/** Everything the page shows about a refused key. Never holds the key or its hint. */
export interface ReconnectRefusal {
  failureCode: FailureCode;
  title: string;
  clinicMessage: string;
  /** A local refusal's specific reason ("the part after the last hyphen…"); null for vendor answers. */
  localReason: string | null;
  /** What the vendor answered, in one line, for the curious and for support. */
  vendorAnswer: string | null;
  /** The exact fix for this code and vendor. */
  steps: readonly string[];
  tellClinic: string;
  /** no_patients_visible: the likely cause in one sentence, and a plea not to re-create patients. */
  likelyCause: string | null;
  notes: string[];
  /** wrong_region: where the key works; the page offers "Use <label>". */
  suggestedRegion: string | null;
  suggestedRegionLabel: string | null;
  /** The key works (no_patients_visible): whose it is and what it sees. */
  verifiedUser: { name: string; role: string | null } | null;
  visiblePatients: number | null;
  /** A mailto: to support with the escalation packet pre-filled. */
  supportHref: string;
  /** Keep the person's choices in the form (never the key). */
  form: { region: string | null; apiVersion: string | null };
}

/** Explains a refused key; a wrong region's key is sealed for the one-click retry. Nothing about the key reaches the page. */
export async function refuse(
  link: ActiveLink,
  verdict: Extract<KeyVerdict, { ok: false }>,
  submission: ReconnectSubmission,
  now: Date,
  deps: ReconnectDeps,
): Promise<ReconnectRefusal> {
  const vendor = link.view.vendor;
  const code = verdict.failureCode;
  const local = code === "key_missing" || code === "key_malformed";
  const evidence: ProbeEvidence = local ? { kind: "local", localMessage: verdict.detail } : (verdict.evidence as unknown as ProbeEvidence);
  const suggested = code === "wrong_region" && verdict.suggestedRegion && verdict.key ? verdict.suggestedRegion : null;

  if (suggested && verdict.key) {
    const sealed = encryptApiKey(deps.keyring, retryAad(link.linkId), verdict.key);
    await storeRetryKey(
      { linkId: link.linkId, sealed, region: suggested, apiVersion: verdict.apiVersion ?? "v3", expiresAt: new Date(now.getTime() + RETRY_TTL_MS) },
      deps.db,
    );
  }
  // why: support sees on the timeline that the clinic tried, and what happened, without the key
  await insertConnectionEvents(
    [
      {
        connectionId: link.connectionId,
        clinicId: link.clinicId,
        at: now,
        kind: "note",
        failureCode: code,
        httpStatus: evidence.httpStatus ?? null,
        vendorMessage: evidence.vendorMessage ?? null,
        actor: "link",
        message: `A key entered through the reconnect link was refused: ${TAXONOMY[code].title} — ${verdict.detail}.`,
        details: { linkId: link.linkId, region: verdict.region, suggestedRegion: verdict.suggestedRegion, notes: verdict.notes },
      },
    ],
    deps.db,
  );

  const playbook = playbookFor(code, vendor);
  const packet = {
    ...buildEscalationPacket({
      organisationName: link.view.clinicName,
      vendor,
      region: verdict.region ?? (submission.intent === "verify" ? (submission.region ?? "") : ""),
      apiVersion: verdict.apiVersion ?? undefined,
      failureCode: code,
      evidence,
      // why: the page is public — the packet holds this attempt only, no stored clinic facts or key hint
      keyHint: null,
      keyUpdatedAt: null,
      firstFailureAt: null,
      lastSuccessAt: null,
      visiblePatients: verdict.verified?.visiblePatients ?? null,
    }),
    // why: this packet is only ever built when the clinic has just re-entered a key
    keyReEnteredSinceFailure: true,
  };
  const subject = `Reconnect help: ${link.view.clinicName} (${VENDOR_LABELS[vendor]}) — ${TAXONOMY[code].title}`;
  const body = `${escalationText(packet)}\n\n(Sent from the reconnect page. Never paste your API key into an email.)`;
  const supportHref = `mailto:${deps.supportEmail}?subject=${encodeURIComponent(subject.replace(/[\r\n]+/g, " "))}&body=${encodeURIComponent(body)}`;

  return {
    failureCode: code,
    // why: clinic-facing words (decision 0027): no "malformed", "rejected" or HTTP codes; a key that
    // could not be checked was not stored, and the page says so
    title: CLINIC_REFUSAL_TITLES[code],
    clinicMessage: TAXONOMY[code].transient ? couldNotCheckMessage(vendor) : TAXONOMY[code].clinicMessage,
    localReason: local ? verdict.detail : null,
    vendorAnswer: local ? null : vendorWords(evidence.vendorMessage),
    steps: playbook.clinicSteps,
    tellClinic: TAXONOMY[code].transient ? couldNotCheckMessage(vendor) : playbook.tellClinic,
    likelyCause: code === "no_patients_visible" ? `${NO_PATIENTS_LIKELY_CAUSE[vendor]} ${DO_NOT_RECREATE_PATIENTS}` : null,
    notes: verdict.notes,
    suggestedRegion: suggested,
    suggestedRegionLabel: suggested ? regionLabel(vendor, suggested) : null,
    verifiedUser: verdict.verified ? { name: verdict.verified.user.name, role: verdict.verified.user.role ?? null } : null,
    visiblePatients: verdict.verified?.visiblePatients ?? null,
    supportHref,
    form: {
      region: vendor === "nookal" ? (verdict.region ?? (submission.intent === "verify" ? (submission.region ?? null) : null)) : null,
      apiVersion: vendor === "nookal" && submission.intent === "verify" ? (submission.apiVersion ?? null) : null,
    },
  };
}
