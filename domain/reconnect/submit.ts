import { insertConnectionEvents, updateConnection } from "../../db/queries/connections.ts";
import { createHash } from "node:crypto";
import type { Db } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { hitRateLimit } from "../../db/queries/rate-limits.ts";
import {
  clearRetryKey,
  getRetryKey,
  lockConnection,
  lockLink,
  markLinkUsed,
  storeRetryKey,
} from "../../db/queries/reconnect-links.ts";
import type { NewConnectionEvent } from "../../db/schema/index.ts";
import { applyAlertWork, type AlertWorkDeps } from "../alerts/apply.ts";
import { sealApiKey, type Keyring } from "../connections/key-storage.ts";
import type { ProbeEvidence } from "../health/classifier.ts";
import { buildEscalationPacket, describeVendorError, escalationText } from "../health/escalation.ts";
import type { VendorAccess } from "../health/probe.ts";
import { assertTransition } from "../health/states.ts";
import { playbookFor, TAXONOMY } from "../health/taxonomy.ts";
import { verifyCandidateKey, type KeyVerdict } from "../health/verify-key.ts";
import { decryptApiKey, encryptApiKey, KeyCryptoError } from "../secrets/key-crypto.ts";
import { formatPatientsVisible } from "../patient-count.ts";
import { DO_NOT_RECREATE_PATIENTS, NO_PATIENTS_LIKELY_CAUSE, regionLabel } from "./instructions.ts";
import { findActiveLink, type ActiveLink, type ReconnectLinkView } from "./links.ts";
import { type FailureCode, HEALTH_ALERT_KINDS, type NookalRegion, type Vendor, VENDOR_LABELS } from "../vocabulary.ts";

/** Attempts allowed per link and per client address in one window (issue 6: 10 per 15 minutes). */
export const DEFAULT_ATTEMPT_LIMIT = { attempts: 10, windowSeconds: 15 * 60 };
/** How long a key that works in another region waits for the one-click retry. */
export const RETRY_TTL_MS = 10 * 60_000;

export interface ReconnectDeps {
  db: Db;
  vendors: VendorAccess;
  keyring: Keyring;
  /** Resolves open alerts and queues the "recovered" notification on the success transaction. */
  alerts: AlertWorkDeps;
  limits?: { attempts: number; windowSeconds: number };
  /** Where "contact support" mails go. */
  supportEmail: string;
  now?: () => Date;
}

export type ReconnectSubmission =
  | { intent: "verify"; rawKey: string; region?: NookalRegion; apiVersion?: "v2" | "v3" }
  /** The one-click "Use <region>": the key and the region come from the server, never the form. */
  | { intent: "use_suggested_region" };

export type PublicLink = Extract<ReconnectLinkView, { status: "active" }>;

/** What the success page says, in plain words. Holds nothing about the key. */
export interface ReconnectConfirmation {
  clinicName: string;
  vendor: Vendor;
  vendorLabel: string;
  userName: string;
  userRole: string | null;
  visiblePatients: number;
  /** The count stopped at a cap: at least `visiblePatients` are visible. */
  visiblePatientsAtLeast: boolean;
  regionLabel: string;
  notes: string[];
  /** Support paused the connection: the key is stored, but syncing waits until they resume it. */
  heldByPause: boolean;
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

export type ReconnectOutcome =
  | { kind: "unavailable" }
  | { kind: "rate_limited"; link: PublicLink; retryAfterSeconds: number }
  | { kind: "retry_expired"; link: PublicLink }
  | { kind: "refused"; link: PublicLink; refusal: ReconnectRefusal }
  | { kind: "connected"; confirmation: ReconnectConfirmation };

function addressBucket(address: string): string {
  // why: rate-limit rows outlive the request; keep client addresses out of them
  return `reconnect:addr:${createHash("sha256").update(address).digest("base64url").slice(0, 22)}`;
}

function retryAad(linkId: string): string {
  // why: binds the sealed retry key to its link; it can never be replayed onto a connection row
  return `reconnect-retry:${linkId}`;
}

/** A VendorAccess that asks one Cliniko shard, for a key without a shard ending found to work there. */
function pinnedToShard(vendors: VendorAccess, shard: string): VendorAccess {
  return { verify: (target) => vendors.verify({ ...target, region: shard }), findWorkingRegion: (target) => vendors.findWorkingRegion(target) };
}

/**
 * One submission through a reconnect link: count it against the link and the client address,
 * verify the key live, and either connect the clinic (one transaction) or explain the refusal.
 * The key is never returned, logged or stored in plaintext.
 */
export async function submitReconnectKey(
  { token, submission, clientAddress }: { token: string; submission: ReconnectSubmission; clientAddress: string },
  deps: ReconnectDeps,
): Promise<ReconnectOutcome> {
  const now = deps.now?.() ?? new Date();
  const limits = deps.limits ?? DEFAULT_ATTEMPT_LIMIT;
  // why: counted before the token is even looked up, so probing tokens by POST is limited too
  const byAddress = await hitRateLimit({ bucket: addressBucket(clientAddress), limit: limits.attempts, windowSeconds: limits.windowSeconds, now }, deps.db);
  const link = await findActiveLink({ token, now }, deps.db);
  if (!link) return { kind: "unavailable" };
  const byLink = await hitRateLimit({ bucket: `reconnect:link:${link.linkId}`, limit: limits.attempts, windowSeconds: limits.windowSeconds, now }, deps.db);
  if (!byAddress.allowed || !byLink.allowed) {
    return { kind: "rate_limited", link: link.view, retryAfterSeconds: Math.max(byAddress.retryAfterSeconds, byLink.retryAfterSeconds) };
  }

  const vendor = link.view.vendor;
  let verdict: KeyVerdict;
  if (submission.intent === "use_suggested_region") {
    const retry = await getRetryKey({ linkId: link.linkId }, deps.db);
    await clearRetryKey({ linkId: link.linkId }, deps.db);
    if (!retry || retry.expiresAt.getTime() <= now.getTime()) return { kind: "retry_expired", link: link.view };
    let key: string;
    try {
      key = decryptApiKey(deps.keyring, retryAad(link.linkId), { ciphertext: retry.ciphertext, iv: retry.iv, tag: retry.tag, keyId: retry.keyId });
    } catch (err) {
      // why: a master-key rotation in the ten minutes between the two clicks; ask for the paste again
      if (err instanceof KeyCryptoError) return { kind: "retry_expired", link: link.view };
      throw err;
    }
    verdict =
      vendor === "cliniko"
        ? await verifyCandidateKey({ vendor, rawKey: key }, pinnedToShard(deps.vendors, retry.region))
        : await verifyCandidateKey({ vendor, rawKey: key, region: retry.region, apiVersion: retry.apiVersion as "v2" | "v3" }, deps.vendors);
  } else {
    await clearRetryKey({ linkId: link.linkId }, deps.db);
    verdict = await verifyCandidateKey(
      { vendor, rawKey: submission.rawKey, region: vendor === "nookal" ? submission.region : undefined, apiVersion: vendor === "nookal" ? submission.apiVersion : undefined },
      deps.vendors,
    );
  }

  if (verdict.ok) {
    const confirmation = await connect(link, verdict, now, deps);
    return confirmation ? { kind: "connected", confirmation } : { kind: "unavailable" };
  }
  return { kind: "refused", link: link.view, refusal: await refuse(link, verdict, submission, now, deps) };
}

/** The success path, in one transaction. Null when the link was used or revoked meanwhile. */
async function connect(link: ActiveLink, verdict: Extract<KeyVerdict, { ok: true }>, now: Date, deps: ReconnectDeps): Promise<ReconnectConfirmation | null> {
  const { verified } = verdict;
  // why: a pinned Cliniko retry verifies on another shard than the key's default; the client reports where
  const region = verified.region || verdict.region;
  const vendor = link.view.vendor;
  return deps.db.transaction(async (tx) => {
    const row = await lockLink({ linkId: link.linkId }, tx);
    // why: two tabs submitting at once — the second finds the link used and changes nothing
    if (!row || row.usedAt || row.revokedAt || row.expiresAt.getTime() <= now.getTime()) return null;
    const conn = await lockConnection({ connectionId: link.connectionId }, tx);
    if (!conn) return null;
    // why: a pause is support's deliberate decision; a key from the clinic is stored, not a resume
    const nextState = conn.state === "paused" ? "paused" : "healthy";
    assertTransition(conn.state, nextState);

    const sealed = sealApiKey(deps.keyring, conn.id, { vendor, key: verdict.key, region }, now);
    const hadFailure =
      conn.consecutiveFailures > 0 ||
      (conn.failureCode !== null && conn.failureCode !== "integration_paused") ||
      conn.state === "degraded" ||
      conn.state === "action_required" ||
      conn.state === "reconnect_pending";
    // why: a paused connection is not back in service, so nobody is told it recovered
    const recovered = hadFailure && conn.state !== "setup_pending" && nextState !== "paused";
    const stateChanged = conn.state !== nextState;

    await updateConnection(
      {
        connectionId: conn.id,
        patch: {
          ...sealed,
          region,
          apiVersion: verdict.apiVersion,
          state: nextState,
          ...(stateChanged ? { stateChangedAt: now } : {}),
          failureCode: nextState === "paused" ? conn.failureCode : null,
          failureEvidence: null,
          suggestedRegion: null,
          consecutiveFailures: 0,
          firstFailureAt: null,
          lastSuccessAt: now,
          lastProbeAt: now,
          visiblePatientCount: verified.visiblePatients,
          visiblePatientsAtLeast: verified.visiblePatientsAtLeast === true,
          vendorUserName: verified.user.name,
          vendorUserRole: verified.user.role ?? null,
          everHadPatients: verified.visiblePatients > 0,
        },
      },
      tx,
    );

    const who = `${verified.user.name}${verified.user.role ? ` (${verified.user.role})` : ""}`;
    const events: NewConnectionEvent[] = [
      {
        connectionId: conn.id,
        clinicId: conn.clinicId,
        at: now,
        kind: "key_replaced",
        fromState: conn.state,
        toState: nextState,
        actor: "link",
        message: `New key entered through the reconnect link: ${sealed.keyHint}, connected as ${who}.`,
        details: { linkId: link.linkId, keyHint: sealed.keyHint, region, apiVersion: verdict.apiVersion },
      },
    ];
    if (region !== conn.region) {
      events.push({
        connectionId: conn.id,
        clinicId: conn.clinicId,
        at: now,
        kind: "region_changed",
        actor: "link",
        message: `Region changed from ${conn.region} to ${region} with the new key.`,
        details: { from: conn.region, to: region },
      });
    }
    if (stateChanged) {
      events.push({
        connectionId: conn.id,
        clinicId: conn.clinicId,
        at: now,
        kind: recovered ? "recovered" : "state_changed",
        fromState: conn.state,
        toState: "healthy",
        failureCode: null,
        actor: "link",
        message: `${recovered ? `Recovered${conn.failureCode ? ` from "${TAXONOMY[conn.failureCode].title}"` : ""}` : "Connected"} through the reconnect link: ${formatPatientsVisible(verified.visiblePatients, verified.visiblePatientsAtLeast)}.`,
        details: { linkId: link.linkId, visiblePatients: verified.visiblePatients, visiblePatientsAtLeast: verified.visiblePatientsAtLeast === true },
      });
    }
    await insertConnectionEvents(events, tx);
    await markLinkUsed({ linkId: link.linkId, now }, tx);
    await recordAudit(
      {
        actorLabel: "reconnect link",
        action: "connection.key_replaced",
        clinicId: conn.clinicId,
        details: {
          linkId: link.linkId,
          via: "reconnect_link",
          keyHint: sealed.keyHint,
          region,
          apiVersion: verdict.apiVersion,
          fromState: conn.state,
          toState: nextState,
          vendorUser: who,
          visiblePatients: verified.visiblePatients,
          visiblePatientsAtLeast: verified.visiblePatientsAtLeast === true,
        },
      },
      tx,
    );
    const packet = buildEscalationPacket({
      organisationName: link.view.clinicName,
      vendor,
      region,
      apiVersion: verdict.apiVersion,
      state: nextState,
      failureCode: null,
      evidence: { kind: "success", visiblePatients: verified.visiblePatients, visiblePatientsAtLeast: verified.visiblePatientsAtLeast === true, region },
      keyHint: sealed.keyHint,
      keyUpdatedAt: now,
      firstFailureAt: null,
      lastSuccessAt: now,
      visiblePatients: verified.visiblePatients,
      visiblePatientsAtLeast: verified.visiblePatientsAtLeast === true,
    });
    await applyAlertWork({ connectionId: conn.id, clinicId: conn.clinicId, open: [], resolve: [...HEALTH_ALERT_KINDS], recovered, packet, now }, tx, deps.alerts);

    return {
      clinicName: link.view.clinicName,
      vendor,
      vendorLabel: VENDOR_LABELS[vendor],
      userName: verified.user.name,
      userRole: verified.user.role ?? null,
      visiblePatients: verified.visiblePatients,
      visiblePatientsAtLeast: verified.visiblePatientsAtLeast === true,
      regionLabel: regionLabel(vendor, region),
      heldByPause: nextState === "paused",
      notes: verdict.notes,
    };
  });
}

async function refuse(
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
    title: TAXONOMY[code].title,
    clinicMessage: TAXONOMY[code].clinicMessage,
    localReason: local ? verdict.detail : null,
    vendorAnswer: local ? null : describeVendorError(vendor, evidence),
    steps: playbook.clinicSteps,
    tellClinic: playbook.tellClinic,
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
