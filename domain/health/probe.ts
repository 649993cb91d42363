import type { Db, DbOrTx } from "../../db/client.ts";
import { applyConnectionUpdate, getConnectionForProbe, touchProbedConnection, type ConnectionPatch, type ProbeTick } from "../../db/queries/connections.ts";
import { applyAlertWork, type AlertWorkDeps } from "../alerts/apply.ts";
import type { ProbeJobQueue } from "../jobs.ts";
import { openApiKey, rehintRegion, type Keyring } from "../connections/key-storage.ts";
import { KeyCryptoError } from "../secrets/key-crypto.ts";
import { parseClinikoKey } from "../vendors/cliniko-key.ts";
import type { VerifyOptions } from "../vendors/client.ts";
import { isVendorError } from "../vendors/errors.ts";
import type { ConnectionTarget, VerifyResult } from "../vendors/types.ts";
import { classifyProbe, type Classification, type LocalKeyCheck, type ProbeEvidence, type ProbeOutcome, type RegionProbeResult } from "./classifier.ts";
import { decide, type Decision, type DecideSettings } from "./decide.ts";
import { verifiedFacts } from "./accept-key.ts";
import { buildEscalationPacket } from "./escalation.ts";
import { identityOf, refreshedIdentity, sameIdentity } from "../connections/identity.ts";
import { fingerprintIsStale, keyFingerprint } from "../secrets/key-fingerprint.ts";
import type { VendorError } from "../vendors/errors.ts";
import { SYNC_RESOURCE_LABELS, SYNC_RESOURCES, type SyncResource, type Vendor } from "../vocabulary.ts";
import { flagSharedKey } from "../connections/shared-key.ts";
import type { MetricsRecorder } from "../metrics.ts";
import { brokenSince, connectionChangeEvents } from "../events/connection.ts";
import { recordEvents, type NewEvent } from "../events/record.ts";
import { countTransientFlip, incidentDepsOf, type TransientFlip } from "../incidents/lifecycle.ts";
import { countsTowardIncident } from "../incidents/rules.ts";

/** How the probe reaches a vendor; the worker passes the real clients, which talk HTTP. */
export interface VendorAccess {
  verify(target: ConnectionTarget, opts?: VerifyOptions): Promise<VerifyResult>;
  /** Tries the key in the other shards/regions; the first that accepts it, or null. */
  findWorkingRegion(target: ConnectionTarget): Promise<string | null>;
  /**
   * Reads one page of a resource sync was refused (docs/decisions/0033-sync.md): the probe re-checks
   * it, so a connection made permission_denied by sync is not flipped back to healthy every hour.
   */
  readOnePage(target: ConnectionTarget, resource: SyncResource): Promise<void>;
}

export interface ProbeContext {
  db: Db;
  keyring: Keyring;
  vendors: VendorAccess;
  /**
   * Opens, counts and resolves alerts with their notifications. Required: a probe is a probe
   * wherever it runs (worker, "Probe now", apply region, resume), so every path alerts alike.
   */
  alerts: AlertWorkDeps;
  /** Where the confirmation re-probe of a first rejection goes (enqueued with the probe's write). */
  probes: ProbeJobQueue;
  settings?: DecideSettings;
  now?: () => Date;
  /** Probe outcomes and durations for the operator's metrics; none = not recorded. */
  metrics?: Pick<MetricsRecorder, "probe">;
}

/** Seconds before a first rejection after a healthy history is probed again to confirm it. */
const CONFIRM_AFTER_SECONDS = 20;

export interface ProbeRequest {
  connectionId: string;
  probeId: string;
  reason: "schedule" | "manual" | "confirm" | "setup" | "sync" | "canary";
  requestedBy?: string;
  /**
   * Sync's evidence (reason "sync"): the vendor's failure while syncing `resource`, classified and
   * decided exactly like a probe's own — a 401 during sync is the same evidence as during a probe.
   */
  observed?: { error: VendorError; resource: SyncResource | null };
}

export interface ProbeReport {
  /** conflict: the connection changed (state or key) while probing, so this result was dropped. */
  outcome: "skipped" | "healthy" | "failed" | "conflict";
  failureCode: string | null;
  state: string | null;
  /** Re-probe soon to confirm a first rejection. */
  confirm: boolean;
  ms: number;
  verify?: VerifyResult;
}

type ProbeRead = NonNullable<Awaited<ReturnType<typeof getConnectionForProbe>>>;
type StoredConnection = ProbeRead["connection"];
type ConnectionEventWrite = NonNullable<Parameters<typeof applyConnectionUpdate>[0]["event"]>;

/** The key as the probe will use it: opened only for this call, checked locally, and where to send it. */
interface OpenedKey {
  keyCheck: LocalKeyCheck;
  /** The stored region, or the shard the Cliniko key's suffix names. */
  region: string;
  /** Null when there is nothing to ask the vendor with. */
  target: ConnectionTarget | null;
}

/** What the vendor said about the key: null when it was not asked (no usable key, or paused). */
interface VendorAnswer {
  outcome: ProbeOutcome | null;
  verified?: VerifyResult;
  /** The sync resource whose failure this is (sync's evidence, or the probe's re-check of it). */
  refusedResource?: SyncResource;
}

/** The sync resource a permission_denied came from, when it did (stored in the failure evidence). */
function refusedSyncResource(c: StoredConnection): SyncResource | null {
  if (c.failureCode !== "permission_denied") return null;
  const r = (c.failureEvidence as ProbeEvidence | null)?.syncResource;
  return typeof r === "string" && (SYNC_RESOURCES as readonly string[]).includes(r) ? (r as SyncResource) : null;
}

/** A failure of one sync resource names it: "cannot read invoices", and the evidence keeps which (the probe re-checks it). */
function namedResource(classification: Classification, resource: SyncResource | undefined): Classification {
  if (!resource || classification.failureCode === null) return classification;
  const evidence = { ...classification.evidence, syncResource: resource };
  if (classification.failureCode !== "permission_denied") return { ...classification, evidence };
  const status = classification.evidence.httpStatus ? ` (${classification.evidence.httpStatus})` : "";
  return { ...classification, evidence, reason: `the key's role cannot read ${SYNC_RESOURCE_LABELS[resource].toLowerCase()}${status}` };
}

/**
 * Probes one connection and applies the outcome — the one function every probe path uses:
 * decrypts its key only for the call, asks the vendor, classifies the outcome, decides the next
 * state and writes it (a timeline row only when something changed) with its alerts, their
 * delivery jobs and any confirmation re-probe, in one transaction.
 *
 * The write is conditional on what was read (docs/decisions/0023): the state, the key version
 * (key_updated_at) and the probe id, so a probe of an OLD key that finishes after a new key was
 * accepted is dropped, and a retried job with the same id never counts its failure twice.
 */
export async function probeConnection(ctx: ProbeContext, req: ProbeRequest): Promise<ProbeReport> {
  const started = performance.now();
  const { vendor, result } = await probeOnce(ctx, req, started);
  // why: a connection that is gone or archived has no vendor to count under; it is no probe
  if (vendor) ctx.metrics?.probe({ vendor, outcome: result.outcome, failureCode: result.failureCode, seconds: (performance.now() - started) / 1000 });
  return result;
}

async function probeOnce(ctx: ProbeContext, req: ProbeRequest, started: number): Promise<{ vendor: Vendor | null; result: ProbeReport }> {
  const out = (vendor: Vendor | null, result: ProbeReport) => ({ vendor, result });
  const elapsed = () => Math.round(performance.now() - started);
  // read
  const row = await getConnectionForProbe({ connectionId: req.connectionId }, ctx.db);
  if (!row || row.clinicArchivedAt) return out(null, { outcome: "skipped", failureCode: null, state: null, confirm: false, ms: elapsed() });
  const c = row.connection;
  // why: a job retried after its result was written (the worker died before completing it) is already applied
  if (c.lastProbeId === req.probeId) return out(c.vendor, { outcome: "skipped", failureCode: c.failureCode, state: c.state, confirm: false, ms: elapsed() });
  // key
  const opened = openStoredKey(ctx.keyring, c);
  // classify
  const answer: VendorAnswer = req.observed
    ? { outcome: { ok: false, error: req.observed.error }, ...(req.observed.resource ? { refusedResource: req.observed.resource } : {}) }
    : await askVendor(ctx.vendors, c, opened);
  const now = ctx.now?.() ?? new Date();
  const classification = namedResource(await classify(ctx.vendors, c, opened, answer, now), answer.refusedResource);
  // decide
  const decision = decideFor(c, classification, now, ctx.settings, req.probeId);
  // write
  const identity = identityPatch(ctx.keyring, c, opened, answer.verified);
  // why: the timeline keeps only changes; the clinic page's probe strip wants every probe (written with
  // the result) — sync's evidence is not a probe, so it draws no tick
  const tick: ProbeTick | undefined = req.observed
    ? undefined
    : {
        ok: decision.failureCode === null,
        failureCode: decision.failureCode,
        state: decision.nextState,
        httpStatus: classification.evidence.httpStatus ?? null,
        ms: elapsed(),
      };
  const written = await writeProbeResult(ctx, req, row, {
    region: opened.region,
    verified: answer.verified,
    decision,
    now,
    identity,
    tick,
    seen: classification,
  });
  // why only here: a fingerprint just learned (backfill, rotation) is the one moment a key shared with an older clinic can show
  if (written && identity.keyFingerprint && opened.target)
    await flagSharedKey({ connectionId: c.id, clinicId: c.clinicId, clinicName: row.clinicName, vendor: c.vendor, key: opened.target.key, now }, ctx);
  return out(c.vendor, {
    outcome: !written ? "conflict" : decision.failureCode ? "failed" : "healthy",
    failureCode: decision.failureCode,
    state: decision.nextState,
    confirm: written && decision.needsConfirmation,
    ms: elapsed(),
    ...(answer.verified ? { verify: answer.verified } : {}),
  });
}

/** Key: decrypt the stored key and check it locally (a Cliniko key's suffix corrects the stored shard). */
function openStoredKey(keyring: Keyring, c: StoredConnection): OpenedKey {
  let key: string | null = null;
  let keyCheck: LocalKeyCheck;
  let region = c.region;
  try {
    key = openApiKey(keyring, c);
    keyCheck = key === null ? { status: "missing" } : { status: "ok" };
  } catch (err) {
    if (!(err instanceof KeyCryptoError)) throw err;
    // why: our master keys cannot open the stored key: our fault, never the clinic's (key_unreadable)
    keyCheck = { status: "unreadable", keyId: c.keyId };
  }
  if (key !== null && c.vendor === "cliniko") {
    const parsed = parseClinikoKey(key);
    if (!parsed.ok) keyCheck = { status: "malformed", message: parsed.message };
    else {
      keyCheck = { status: "ok", hasShardSuffix: parsed.hasSuffix };
      // why: the suffix names the shard; a stored shard that disagrees is corrected from the key
      if (parsed.hasSuffix && parsed.shard !== region) region = parsed.shard;
    }
  }
  const target: ConnectionTarget | null = key !== null && keyCheck.status === "ok" ? { vendor: c.vendor, key, region, apiVersion: c.apiVersion } : null;
  return { keyCheck, region, target };
}

/** Classify, first half: one verify call with a usable key (never while paused). */
async function askVendor(vendors: VendorAccess, c: StoredConnection, opened: OpenedKey): Promise<VendorAnswer> {
  if (!opened.target || c.state === "paused") return { outcome: null };
  try {
    // why: businesses cost a request per probe; they are listed only until the account is known
    const knowsAccount = c.vendorAccount !== null && c.vendorAccount.accountIds.length > 0;
    const verified = await vendors.verify(opened.target, { includeLocations: !knowsAccount });
    // why (anti-flap): the key reads patients, but sync found it cannot read this; ask again, one page
    const refused = refusedSyncResource(c);
    if (refused) {
      try {
        await vendors.readOnePage(opened.target, refused);
      } catch (err) {
        if (!isVendorError(err)) throw err;
        return { outcome: { ok: false, error: err }, verified, refusedResource: refused };
      }
    }
    return { outcome: { ok: true, visiblePatients: verified.visiblePatients }, verified };
  } catch (err) {
    if (!isVendorError(err)) throw err;
    return { outcome: { ok: false, error: err } };
  }
}

/** Classify, second half: name the failure from the answer and the history; try the other regions when advised. */
async function classify(vendors: VendorAccess, c: StoredConnection, opened: OpenedKey, answer: VendorAnswer, now: Date): Promise<Classification> {
  const { keyCheck, region, target } = opened;
  const outcome = answer.outcome;
  const history = {
    state: c.state,
    lastSuccessAt: c.lastSuccessAt,
    everHadPatients: c.everHadPatients,
    expectsPatients: c.expectsPatients,
    consecutiveFailures: c.consecutiveFailures,
    firstFailureAt: c.firstFailureAt,
    paused: c.state === "paused",
  };
  const classification = classifyProbe({ vendor: c.vendor, region, keyCheck, outcome, history, now });
  if (!classification.regionProbeAdvised || !target) return classification;
  const working = await vendors.findWorkingRegion(target);
  const regionProbe: RegionProbeResult = working ? { workingRegion: working } : null;
  return classifyProbe({ vendor: c.vendor, region, keyCheck, outcome, history, now, regionProbe });
}

/** Decide: the stored connection + this classification → the next state, event and alert work (pure). */
function decideFor(c: StoredConnection, classification: Classification, now: Date, settings: DecideSettings | undefined, probeId: string): Decision {
  return decide({
    connection: {
      state: c.state,
      failureCode: c.failureCode,
      consecutiveFailures: c.consecutiveFailures,
      firstFailureAt: c.firstFailureAt,
      lastSuccessAt: c.lastSuccessAt,
      stateChangedAt: c.stateChangedAt,
      keyUpdatedAt: c.keyUpdatedAt,
      suggestedRegion: c.suggestedRegion,
    },
    classification,
    now,
    settings,
    probeId,
  });
}

/**
 * Write: the decision as one conditional UPDATE (a timeline row, alert work and a confirmation
 * re-probe in the same transaction when there are any). False when the connection changed meanwhile.
 */
async function writeProbeResult(ctx: ProbeContext, req: ProbeRequest, row: ProbeRead, result: ProbeResult): Promise<boolean> {
  const c = row.connection;
  const { verified, decision, now } = result;
  const patch = probePatch(c, req, result);
  const event = probeEvent(c, req, result);
  const flips = transientFlips(row, result);
  // why: the incident counter before the alert work — every writer takes the region's row before any
  // alert row (an opening flip groups other clinics' alerts), so two probes never deadlock, and an
  // alert this probe opens is grouped under the incident this probe opened
  const within = withEvents(changeEvents(row, result), incidentCounting(ctx, flips), alertsAndConfirmation(ctx, row, result));
  const expected = { state: c.state, keyUpdatedAt: c.keyUpdatedAt, probeId: req.probeId };
  // why: the common case — a probe that changes nothing but its facts — is one prepared statement
  const onlyFacts =
    !event &&
    !within &&
    flips.length === 0 &&
    patch.state === c.state &&
    patch.failureCode === c.failureCode &&
    (patch.suggestedRegion ?? null) === (c.suggestedRegion ?? null) &&
    patch.failureEvidence === undefined &&
    patch.region === undefined &&
    patch.stateChangedAt === undefined;
  if (onlyFacts) {
    const facts = {
      lastProbeAt: now,
      lastSuccessAt: decision.lastSuccessAt,
      consecutiveFailures: decision.consecutiveFailures,
      firstFailureAt: decision.firstFailureAt,
      verified: verified
        ? {
            visiblePatients: verified.visiblePatients,
            visiblePatientsAtLeast: verified.visiblePatientsAtLeast === true,
            userName: verified.user.name,
            userRole: verified.user.role ?? null,
          }
        : null,
    };
    return touchProbedConnection({ connectionId: c.id, expected, facts, identity: result.identity, tick: result.tick }, ctx.db);
  }
  return applyConnectionUpdate({ connectionId: c.id, expected, patch, event, within, tick: result.tick }, ctx.db);
}

/**
 * Identity continuity (docs/decisions/0026), for the SAME stored key: the account it shows is
 * learned (first probe after a CSV import) or kept current (a business added or closed is not an
 * account change), and its keyed fingerprint is computed when missing or made under an older
 * master key (the lazy backfill). Only what changed is returned, so a quiet probe stays one statement.
 */
function identityPatch(
  keyring: Keyring,
  c: StoredConnection,
  opened: OpenedKey,
  verified: VerifyResult | undefined,
): Pick<ConnectionPatch, "vendorAccount" | "keyFingerprint"> {
  const patch: Pick<ConnectionPatch, "vendorAccount" | "keyFingerprint"> = {};
  if (verified) {
    const next = refreshedIdentity(c.vendorAccount, identityOf(verified));
    if (!sameIdentity(c.vendorAccount, next)) patch.vendorAccount = next;
  }
  if (opened.target && fingerprintIsStale(keyring, c.keyFingerprint)) patch.keyFingerprint = keyFingerprint(keyring, c.vendor, opened.target.key);
  return patch;
}

interface ProbeResult {
  /** The region the key was used in (a Cliniko suffix may have corrected the stored one). */
  region: string;
  verified: VerifyResult | undefined;
  decision: Decision;
  now: Date;
  identity: Pick<ConnectionPatch, "vendorAccount" | "keyFingerprint">;
  tick: ProbeTick | undefined;
  /** What this probe itself saw: what vendor incidents count (docs/decisions/0049), and the evidence an incident it opens keeps. */
  seen: Pick<Classification, "failureCode" | "evidence">;
}

/**
 * The probe saw the vendor's side failing (docs/decisions/0049): what a vendor incident counts is
 * what this probe SAW, even where the decision keeps an older actionable code (an outage does not
 * overwrite "key rejected").
 */
function sawVendorFailing(result: ProbeResult): boolean {
  return countsTowardIncident(result.seen.failureCode);
}

/** The connection columns this probe sets. */
function probePatch(c: StoredConnection, req: ProbeRequest, result: ProbeResult): ConnectionPatch {
  const { region, verified, decision, now, identity } = result;
  const patch: ConnectionPatch = {
    state: decision.nextState,
    failureCode: decision.failureCode,
    consecutiveFailures: decision.consecutiveFailures,
    firstFailureAt: decision.firstFailureAt,
    lastSuccessAt: decision.lastSuccessAt,
    suggestedRegion: decision.suggestedRegion,
    lastProbeAt: now,
    lastProbeId: req.probeId,
  };
  if (decision.nextState !== c.state) patch.stateChangedAt = now;
  const transient = sawVendorFailing(result);
  if (transient !== c.transientFailing) patch.transientFailing = transient;
  if (decision.failureEvidence.kind === "set") patch.failureEvidence = { ...decision.failureEvidence.evidence };
  if (decision.failureEvidence.kind === "clear") patch.failureEvidence = null;
  if (region !== c.region) {
    patch.region = region;
    // why: the hint names the region the key is used in; a shard corrected from the suffix moves it too
    patch.keyHint = rehintRegion(c.vendor, c.keyHint, region);
  }
  // what a verified answer learned, success or not (no_patients_visible verifies too)
  if (verified) Object.assign(patch, verifiedFacts(verified));
  Object.assign(patch, identity);
  return patch;
}

/** The timeline row: the decision's event, else a corrected shard, else none. */
function probeEvent(c: StoredConnection, req: ProbeRequest, { region, decision }: ProbeResult): ConnectionEventWrite | null {
  const ev = decision.timelineEvent;
  if (ev) {
    return {
      kind: ev.kind,
      fromState: ev.fromState,
      toState: ev.toState,
      failureCode: ev.failureCode,
      httpStatus: ev.evidence.httpStatus ?? null,
      vendorMessage: ev.evidence.vendorMessage ?? null,
      probeId: req.probeId,
      actor: req.requestedBy ?? "probe",
      message: ev.message,
      details: { ...ev.evidence, rule: ev.rule, reason: req.reason, ...(region !== c.region ? { regionCorrectedFrom: c.region } : {}) },
    };
  }
  // why: a corrected shard is a change worth a timeline row even when the probe itself is healthy
  if (region !== c.region) {
    return {
      kind: "region_changed",
      probeId: req.probeId,
      actor: req.requestedBy ?? "probe",
      message: `Region corrected from ${c.region} to ${region}: the key's suffix names ${region}`,
      details: { regionCorrectedFrom: c.region, regionCorrectedTo: region },
    };
  }
  return null;
}

/** The integration events of this write (docs/events.md): a state change, a recovery, or none. */
function changeEvents(row: ProbeRead, { decision, now }: ProbeResult): NewEvent[] {
  const c = row.connection;
  return connectionChangeEvents(
    { clinicId: c.clinicId, clinicName: row.clinicName, connectionId: c.id, vendor: c.vendor },
    {
      from: { state: c.state, failureCode: c.failureCode },
      to: { state: decision.nextState, failureCode: decision.failureCode },
      recovery: decision.recovered ? { brokenSince: brokenSince(c, now) } : null,
      now,
    },
  );
}

/**
 * The events first, then the other writes that commit with the probe's, in order; undefined when
 * there are none.
 */
function withEvents(events: NewEvent[], ...then: (((tx: DbOrTx) => Promise<void>) | undefined)[]): ((tx: DbOrTx) => Promise<void>) | undefined {
  const steps = then.filter((f): f is (tx: DbOrTx) => Promise<void> => f !== undefined);
  if (events.length === 0 && steps.length === 0) return undefined;
  return async (tx) => {
    if (events.length > 0) await recordEvents(tx, events);
    for (const step of steps) await step(tx);
  };
}

/**
 * The vendor-incident counter moves (docs/decisions/0049): only when this connection's transient
 * flag flips, or its region changed under a set flag (out of the old region, into the new one).
 */
function transientFlips(row: ProbeRead, result: ProbeResult): TransientFlip[] {
  const { region, seen, now } = result;
  const transient = sawVendorFailing(result);
  const evidence = seen.evidence;
  const c = row.connection;
  const flips: TransientFlip[] = [];
  if (c.transientFailing && (!transient || region !== c.region)) flips.push({ vendor: c.vendor, region: c.region, failing: false, evidence: null, now });
  if (transient && (!c.transientFailing || region !== c.region)) {
    const vendorMessage = evidence.vendorMessage ?? evidence.socketCode ?? null;
    flips.push({
      vendor: c.vendor,
      region,
      failing: true,
      evidence: {
        failureCode: seen.failureCode ?? "vendor_unavailable",
        httpStatus: evidence.httpStatus ?? null,
        vendorMessage: vendorMessage === null ? null : String(vendorMessage).slice(0, 200),
        at: now.toISOString(),
        clinicId: c.clinicId,
      },
      now,
    });
  }
  return flips;
}

function incidentCounting(ctx: ProbeContext, flips: TransientFlip[]): ((tx: DbOrTx) => Promise<void>) | undefined {
  if (flips.length === 0) return undefined;
  const deps = incidentDepsOf(ctx.alerts, ctx.probes);
  return async (tx) => {
    for (const flip of flips) await countTransientFlip(flip, tx, deps);
  };
}

/** The writes that commit with the probe's: alert work with its deliveries, and a confirmation re-probe. */
function alertsAndConfirmation(
  ctx: ProbeContext,
  row: ProbeRead,
  { region, verified, decision, now }: ProbeResult,
): ((tx: DbOrTx) => Promise<void>) | undefined {
  const c = row.connection;
  const alertWork = decision.alerts.open.length > 0 || decision.alerts.resolve.length > 0 ? ctx.alerts : undefined;
  const confirm = decision.needsConfirmation;
  if (!alertWork && !confirm) return undefined;
  const evidence: ProbeEvidence | null =
    decision.failureEvidence.kind === "set"
      ? decision.failureEvidence.evidence
      : decision.failureEvidence.kind === "clear"
        ? null
        : ((c.failureEvidence as ProbeEvidence | null) ?? null);
  return async (tx) => {
    // why: a first rejection after a healthy history is confirmed before the clinic is told its key is broken
    if (confirm) await ctx.probes.enqueue([{ data: { connectionId: c.id, reason: "confirm" }, startAfter: CONFIRM_AFTER_SECONDS }], tx);
    if (!alertWork) return;
    const packet = buildEscalationPacket({
      organisationName: row.clinicName,
      vendor: c.vendor,
      region,
      apiVersion: c.apiVersion,
      state: decision.nextState,
      failureCode: decision.failureCode,
      evidence,
      keyHint: c.keyHint,
      keyUpdatedAt: c.keyUpdatedAt,
      firstFailureAt: decision.firstFailureAt,
      lastSuccessAt: decision.lastSuccessAt,
      visiblePatients: verified?.visiblePatients ?? c.visiblePatientCount,
      visiblePatientsAtLeast: verified ? verified.visiblePatientsAtLeast === true : c.visiblePatientsAtLeast,
    });
    const { open, resolve } = decision.alerts;
    // why: a working key that closes alerts tells whoever was alerted, whether the timeline calls it
    // "recovered" or "connected" (a resumed connection is accepted from setup_pending)
    const recovered = decision.recovered || (decision.failureCode === null && resolve.length > 0);
    await applyAlertWork({ connectionId: c.id, clinicId: c.clinicId, open, resolve, recovered, packet, now }, tx, alertWork);
  };
}
