import type { Db } from "../../db/client.ts";
import { applyConnectionUpdate, getConnectionForProbe, touchProbedConnection, type ConnectionPatch } from "../../db/queries/connections.ts";
import { applyAlertWork, type AlertWorkDeps } from "../alerts/apply.ts";
import type { ProbeJobQueue } from "../jobs.ts";
import { openApiKey, type Keyring } from "../connections/key-storage.ts";
import { KeyCryptoError } from "../secrets/key-crypto.ts";
import { parseClinikoKey } from "../vendors/cliniko-key.ts";
import type { VerifyOptions } from "../vendors/client.ts";
import { isVendorError } from "../vendors/errors.ts";
import type { ConnectionTarget, VerifyResult } from "../vendors/types.ts";
import { classifyProbe, type LocalKeyCheck, type ProbeEvidence, type ProbeOutcome, type RegionProbeResult } from "./classifier.ts";
import { decide, type DecideSettings } from "./decide.ts";
import { buildEscalationPacket } from "./escalation.ts";

/** How the probe reaches a vendor; the worker passes the real clients, which talk HTTP. */
export interface VendorAccess {
  verify(target: ConnectionTarget, opts?: VerifyOptions): Promise<VerifyResult>;
  /** Tries the key in the other shards/regions; the first that accepts it, or null. */
  findWorkingRegion(target: ConnectionTarget): Promise<string | null>;
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
}

/** Seconds before a first rejection after a healthy history is probed again to confirm it. */
const CONFIRM_AFTER_SECONDS = 20;

export interface ProbeRequest {
  connectionId: string;
  probeId: string;
  reason: "schedule" | "manual" | "confirm" | "setup";
  requestedBy?: string;
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
  const row = await getConnectionForProbe({ connectionId: req.connectionId }, ctx.db);
  const elapsed = () => Math.round(performance.now() - started);
  if (!row || row.clinicArchivedAt) return { outcome: "skipped", failureCode: null, state: null, confirm: false, ms: elapsed() };
  const c = row.connection;
  // why: a job retried after its result was written (the worker died before completing it) is already applied
  if (c.lastProbeId === req.probeId) return { outcome: "skipped", failureCode: c.failureCode, state: c.state, confirm: false, ms: elapsed() };

  let key: string | null = null;
  let keyCheck: LocalKeyCheck;
  let region = c.region;
  try {
    key = openApiKey(ctx.keyring, c);
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

  let outcome: ProbeOutcome | null = null;
  let verified: VerifyResult | undefined;
  const target: ConnectionTarget | null = key !== null && keyCheck.status === "ok" ? { vendor: c.vendor, key, region, apiVersion: c.apiVersion } : null;
  if (target && c.state !== "paused") {
    try {
      verified = await ctx.vendors.verify(target, { includeLocations: false });
      outcome = { ok: true, visiblePatients: verified.visiblePatients };
    } catch (err) {
      if (!isVendorError(err)) throw err;
      outcome = { ok: false, error: err };
    }
  }
  const now = ctx.now?.() ?? new Date();
  const history = {
    state: c.state,
    lastSuccessAt: c.lastSuccessAt,
    everHadPatients: c.everHadPatients,
    expectsPatients: c.expectsPatients,
    consecutiveFailures: c.consecutiveFailures,
    firstFailureAt: c.firstFailureAt,
    paused: c.state === "paused",
  };
  let classification = classifyProbe({ vendor: c.vendor, region, keyCheck, outcome, history, now });
  if (classification.regionProbeAdvised && target) {
    const working = await ctx.vendors.findWorkingRegion(target);
    const regionProbe: RegionProbeResult = working ? { workingRegion: working } : null;
    classification = classifyProbe({ vendor: c.vendor, region, keyCheck, outcome, history, now, regionProbe });
  }

  const decision = decide({
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
    settings: ctx.settings,
    probeId: req.probeId,
  });

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
  if (decision.failureEvidence.kind === "set") patch.failureEvidence = { ...decision.failureEvidence.evidence };
  if (decision.failureEvidence.kind === "clear") patch.failureEvidence = null;
  if (region !== c.region) patch.region = region;
  if (verified) {
    patch.visiblePatientCount = verified.visiblePatients;
    patch.visiblePatientsAtLeast = verified.visiblePatientsAtLeast === true;
    patch.vendorUserName = verified.user.name;
    patch.vendorUserRole = verified.user.role ?? null;
    if (verified.visiblePatients > 0) patch.everHadPatients = true;
  }
  const ev = decision.timelineEvent;
  // why: a corrected shard is a change worth a timeline row even when the probe itself is healthy
  const regionEvent =
    !ev && region !== c.region
      ? {
          kind: "region_changed" as const,
          probeId: req.probeId,
          actor: req.requestedBy ?? "probe",
          message: `Region corrected from ${c.region} to ${region}: the key's suffix names ${region}`,
          details: { regionCorrectedFrom: c.region, regionCorrectedTo: region },
        }
      : null;
  const alertWork = decision.alerts.open.length > 0 || decision.alerts.resolve.length > 0 ? ctx.alerts : undefined;
  const confirm = decision.needsConfirmation;
  const evidence: ProbeEvidence | null =
    decision.failureEvidence.kind === "set"
      ? decision.failureEvidence.evidence
      : decision.failureEvidence.kind === "clear"
        ? null
        : ((c.failureEvidence as ProbeEvidence | null) ?? null);
  // why: the common case — a probe that changes nothing but its facts — is one prepared statement
  const onlyFacts =
    !ev &&
    !regionEvent &&
    !alertWork &&
    !confirm &&
    patch.state === c.state &&
    patch.failureCode === c.failureCode &&
    (patch.suggestedRegion ?? null) === (c.suggestedRegion ?? null) &&
    patch.failureEvidence === undefined &&
    patch.region === undefined &&
    patch.stateChangedAt === undefined;
  const expected = { state: c.state, keyUpdatedAt: c.keyUpdatedAt, probeId: req.probeId };
  const written = onlyFacts
    ? await touchProbedConnection(
        {
          connectionId: c.id,
          expected,
          facts: {
            lastProbeAt: now,
            lastSuccessAt: decision.lastSuccessAt,
            consecutiveFailures: decision.consecutiveFailures,
            firstFailureAt: decision.firstFailureAt,
            verified: verified ? { visiblePatients: verified.visiblePatients, visiblePatientsAtLeast: verified.visiblePatientsAtLeast === true, userName: verified.user.name, userRole: verified.user.role ?? null } : null,
          },
        },
        ctx.db,
      )
    : await applyConnectionUpdate(
    {
      connectionId: c.id,
      expected,
      patch,
      event: ev
        ? {
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
          }
        : regionEvent,
      within:
        alertWork || confirm
        ? async (tx) => {
            // why: a first rejection after a healthy history is confirmed before the clinic is told its key is broken
            if (confirm) await ctx.probes.enqueue([{ data: { connectionId: c.id, reason: "confirm" }, startAfter: CONFIRM_AFTER_SECONDS }], tx);
            if (alertWork) await applyAlertWork(
              {
                connectionId: c.id,
                clinicId: c.clinicId,
                open: decision.alerts.open,
                resolve: decision.alerts.resolve,
                recovered: decision.recovered,
                packet: buildEscalationPacket({
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
                }),
                now,
              },
              tx,
              alertWork,
            );
          }
        : undefined,
    },
    ctx.db,
  );
  return {
    outcome: !written ? "conflict" : decision.failureCode ? "failed" : "healthy",
    failureCode: decision.failureCode,
    state: decision.nextState,
    confirm: written && decision.needsConfirmation,
    ms: elapsed(),
    ...(verified ? { verify: verified } : {}),
  };
}
