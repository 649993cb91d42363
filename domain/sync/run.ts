import { randomUUID } from "node:crypto";
import type { Db } from "../../db/client.ts";
import { getConnectionForProbe } from "../../db/queries/connections.ts";
import {
  commitPage,
  countLive,
  currentRecordSet,
  findRunByJob,
  finishResource,
  finishRun,
  listResourceStates,
  markUnseenLocationsRemoved,
  reconcileFullPass,
  openRecordSet,
  refreshRunTotal,
  rememberConnectionAccount,
  reopenRun,
  startResource,
  startRun,
  updateRecordSetAccount,
} from "../../db/queries/sync.ts";
import { applyAlertWork, type AlertWorkDeps } from "../alerts/apply.ts";
import { compareAccounts, identityOf, sameIdentity } from "../connections/identity.ts";
import { openApiKey, type Keyring } from "../connections/key-storage.ts";
import { buildEscalationPacket } from "../health/escalation.ts";
import { probeConnection, type ProbeContext } from "../health/probe.ts";
import type { SyncJobQueue } from "../jobs.ts";
import type { VendorClient, VendorClientDeps } from "../vendors/client.ts";
import { parseClinikoKey } from "../vendors/cliniko-key.ts";
import { isVendorError, type VendorError } from "../vendors/errors.ts";
import type { ConnectionTarget, ListOptions, VendorSettings } from "../vendors/types.ts";
import { isFailureCode, SYNC_RESOURCE_LABELS, type SyncResource, type SyncTrigger, type Vendor, type VendorAccountIdentity } from "../vocabulary.ts";
import type { MetricsRecorder } from "../metrics.ts";
import { recordEvents } from "../events/record.ts";
import { eventFailure } from "../events/subject.ts";
import { syncClientFor } from "./client.ts";
import { DEFAULT_DROP_SETTINGS, recordDrop, type DropSettings } from "./drop.ts";
import { listsHideDeletions, RESOURCE_SPECS, type ResourceSpec } from "./resources.ts";
import { fullPassDue } from "./schedule.ts";

/**
 * One sync of one connection (docs/decisions/0033-sync.md): every resource, page by page, each
 * page's records and its position committed in one transaction, so a worker killed at any point
 * resumes from the last committed page with nothing doubled and nothing skipped. Pages stream
 * through: at most one page of records is in memory.
 *
 * Failures are the health engine's evidence (the same classifier and state machine as a probe):
 * a 401 here moves the connection exactly as a probe's 401 would; a role that cannot read
 * invoices is permission_denied naming invoices. A rate limit beyond the client's wait budget
 * pauses the run and schedules the job again after the vendor's reset.
 */

export interface SyncContext {
  db: Db;
  keyring: Keyring;
  vendor: VendorSettings;
  /** From the composition root (Services.syncVendorDeps): every sync client is built with these. */
  vendorDeps: VendorClientDeps;
  /** The probe pipeline sync's failures go through (probes queue, alerts, vendor access for region checks). */
  health: ProbeContext;
  alerts: AlertWorkDeps;
  /** To run again after a rate limit's reset. */
  queue: SyncJobQueue;
  drop?: DropSettings;
  /** Hours between full reconciliation passes where lists hide deletions (Nookal); default 24 (SYNC_FULL_PASS_HOURS). */
  fullPassHours?: number;
  signal?: AbortSignal;
  now?: () => Date;
  /** Records synced and runs finished, for the operator's metrics; none = not recorded. */
  metrics?: Pick<MetricsRecorder, "syncRecords" | "syncRun">;
  /** Seen after every committed page (benches, the kill -9 test). */
  onPage?: (info: { resource: SyncResource; pagesDone: number; records: number }) => void | Promise<void>;
}

export interface SyncRequest {
  connectionId: string;
  /** The pg-boss job id: its retry continues the same run. */
  jobId: string | null;
  trigger: SyncTrigger;
  requestedBy?: string;
}

export interface SyncReport {
  outcome: "skipped" | "succeeded" | "failed" | "paused";
  runId: string | null;
  recordSetId: string | null;
  failedResource?: SyncResource;
  failureCode?: string | null;
  /** Seconds until the vendor allows requests again (rate limited). */
  retryAfterSeconds?: number;
  drops: { resource: SyncResource; before: number; after: number }[];
  recordsSeen: number;
  recordsChanged: number;
  pages: number;
}

type Row = NonNullable<Awaited<ReturnType<typeof getConnectionForProbe>>>;

const PER_PAGE: Record<string, number> = { cliniko: 100, nookal: 200 };

export async function syncConnection(ctx: SyncContext, req: SyncRequest): Promise<SyncReport> {
  const { vendor, report } = await syncOnce(ctx, req);
  if (vendor) ctx.metrics?.syncRun({ vendor, outcome: report.outcome });
  return report;
}

async function syncOnce(ctx: SyncContext, req: SyncRequest): Promise<{ vendor: Vendor | null; report: SyncReport }> {
  const report: SyncReport = { outcome: "skipped", runId: null, recordSetId: null, drops: [], recordsSeen: 0, recordsChanged: 0, pages: 0 };
  const row = await getConnectionForProbe({ connectionId: req.connectionId }, ctx.db);
  if (!row || row.clinicArchivedAt) return { vendor: null, report };
  const c = row.connection;
  const target = targetOf(ctx.keyring, row);
  if (c.state === "paused" || !target) return { vendor: c.vendor, report };
  const client = syncClientFor(target, ctx.vendor, ctx.vendorDeps);

  // the run: a retried job (the worker died) continues its own run
  const previous = req.jobId ? await findRunByJob({ connectionId: c.id, jobId: req.jobId }, ctx.db) : null;
  let runId: string;
  if (previous && previous.state === "running") runId = previous.id;
  else runId = (await startRun({ connectionId: c.id, recordSetId: null, trigger: req.trigger, jobId: req.jobId, now: now(ctx) }, ctx.db)).id;
  report.runId = runId;

  // which account's records: the connection's identity (docs/decisions/0026); learned now if never verified
  let identity: VendorAccountIdentity | null = c.vendorAccount;
  if (!identity) {
    try {
      identity = identityOf(await client.verify({ signal: ctx.signal }));
      await rememberConnectionAccount({ connectionId: c.id, account: identity }, ctx.db);
    } catch (err) {
      if (!isVendorError(err)) throw err;
      const message = `Could not learn the account: ${errorText(err)}`;
      // why: the same calls as a probe's verify, so no sync resource is named (the probe re-checks nothing extra)
      const failureCode = await failRun(ctx, row, req, { runId, failedResource: null, lastError: message }, () => feedHealth(ctx, c.id, runId, null, err));
      return { vendor: c.vendor, report: { ...report, outcome: "failed", failureCode } };
    }
  }
  const recordSetId = await recordSetFor(ctx.db, c.id, c.vendor, identity);
  report.recordSetId = recordSetId;
  await reopenRun({ runId, recordSetId }, ctx.db);

  const states = new Map((await listResourceStates({ recordSetId }, ctx.db)).map((s) => [s.resource, s]));
  let refused: { resource: SyncResource; error: VendorError } | null = null;
  for (const spec of RESOURCE_SPECS) {
    const list = spec.list(client);
    if (!list) continue;
    const stored = states.get(spec.resource);
    const before = stored?.liveCount ?? null;
    try {
      await syncResource(ctx, { client, spec, list, recordSetId, runId, connectionId: c.id }, report);
    } catch (err) {
      if (!isVendorError(err)) {
        await finishResource({ recordSetId, resource: spec.resource, state: "failed", lastError: "Internal error while syncing" }, ctx.db);
        await failRun(ctx, row, req, { runId, failedResource: spec.resource, lastError: "Internal error while syncing" });
        throw err;
      }
      const message = errorText(err);
      if (err.kind === "rate_limited") {
        // why: the vendor's budget, not the connection's health: wait for its reset and carry on from here
        const after = Math.max(1, err.retryAfterSeconds ?? 60);
        await finishResource({ recordSetId, resource: spec.resource, state: "paused", lastError: message }, ctx.db);
        await finishRun({ runId, connectionId: c.id, state: "paused", failedResource: spec.resource, lastError: message }, ctx.db);
        await ctx.queue.enqueue([
          { data: { connectionId: c.id, trigger: req.trigger, ...(req.requestedBy ? { requestedBy: req.requestedBy } : {}) }, startAfter: after },
        ]);
        return { vendor: c.vendor, report: { ...report, outcome: "paused", failedResource: spec.resource, retryAfterSeconds: after } };
      }
      await finishResource({ recordSetId, resource: spec.resource, state: "failed", lastError: message }, ctx.db);
      // why: a resource the role cannot read does not stop the others; anything else (a 401, an outage) would fail them all
      if (isPermissionGap(err)) {
        refused ??= { resource: spec.resource, error: err };
        continue;
      }
      const health = await failRun(ctx, row, req, { runId, failedResource: spec.resource, lastError: message }, () =>
        feedHealth(ctx, c.id, runId, spec.resource, err),
      );
      return { vendor: c.vendor, report: { ...report, outcome: "failed", failedResource: spec.resource, failureCode: health } };
    }
    const after = await countLive({ recordSetId, resource: spec.resource }, ctx.db);
    await finishResource({ recordSetId, resource: spec.resource, state: "succeeded", liveCount: after }, ctx.db);
    const drop = spec.watchDrop ? recordDrop(before, after, ctx.drop ?? DEFAULT_DROP_SETTINGS) : null;
    if (drop) report.drops.push({ resource: spec.resource, ...drop });
  }
  if (report.drops.length) await raiseDrop(ctx, row, report.drops);
  if (refused) {
    const message = errorText(refused.error);
    const health = await failRun(ctx, row, req, { runId, failedResource: refused.resource, lastError: message }, () =>
      feedHealth(ctx, c.id, runId, refused.resource, refused.error),
    );
    return { vendor: c.vendor, report: { ...report, outcome: "failed", failedResource: refused.resource, failureCode: health } };
  }
  await finishRun({ runId, connectionId: c.id, state: "succeeded" }, ctx.db);
  return { vendor: c.vendor, report: { ...report, outcome: "succeeded" } };
}

interface ResourceRun {
  client: VendorClient;
  spec: ResourceSpec;
  list: NonNullable<ReturnType<ResourceSpec["list"]>>;
  recordSetId: string;
  runId: string;
  connectionId: string;
}

/** Pages one resource from its stored position, committing each page with the next position. */
async function syncResource(ctx: SyncContext, r: ResourceRun, report: SyncReport): Promise<void> {
  const { client, spec, recordSetId, runId } = r;
  const state = await startResource({ recordSetId, connectionId: r.connectionId, resource: spec.resource, runId, now: now(ctx) }, ctx.db);
  const keyset = client.vendor === "cliniko";
  const full = spec.fullRefresh(client.vendor);
  const perPage = PER_PAGE[client.vendor] ?? 100;
  const opts: ListOptions = { signal: ctx.signal, includeRemoved: spec.includeRemoved };
  const startPage = state.positionPage ?? 1;
  // why: Nookal lists never show a deleted record; a complete list, now and then, is the only way to see it gone.
  // The pass id is this attempt's own: a pass interrupted (a kill, a failure, a pause) never reaches the
  // reconcile below, and its retry starts a new pass from page 1 (Nookal lists have no resume position).
  const passStartedAt = now(ctx);
  const reconcile =
    spec.reconcile && listsHideDeletions(client.vendor) && fullPassDue(state.lastFullPassAt, passStartedAt, ctx.fullPassHours) ? spec.reconcile : undefined;
  const passId = reconcile ? randomUUID() : undefined;
  if (keyset) opts.from = { at: state.positionAt ?? "", page: startPage };
  else if (!full && !passId && state.cursor) opts.since = state.cursor;
  // why: full refresh only — a location list is a handful of rows; the ids seen decide what was removed
  const seenIds: string[] = [];
  let pagesDone = state.pagesDone;
  let totalSet = false;
  const pages = r.list(opts)[Symbol.asyncIterator]();
  // why: the next page is fetched while this one commits (HTTP and Postgres overlap); at most two pages in memory.
  // A kill between the two still resumes from the committed page: the fetched one was never written.
  let ahead = pages.next();
  void ahead.catch(() => undefined);
  let finished = false;
  try {
    for (;;) {
      const step = await ahead;
      if (step.done) break;
      const page = step.value;
      ahead = pages.next();
      void ahead.catch(() => undefined);
      const batch = spec.rows(recordSetId, page.items);
      if (full) for (const row of batch.rows) seenIds.push(row.id);
      // why: the first page of a run says how many remain; later pages count down from it
      const remaining = page.totalItems !== undefined ? Math.ceil(page.totalItems / perPage) - (keyset && page.page === 1 ? startPage - 1 : 0) : 1;
      const pagesTotal = pagesDone + Math.max(1, keyset ? remaining : remaining - page.page + 1);
      const { changed } = await commitPage(
        {
          recordSetId,
          resource: spec.resource,
          runId,
          batch,
          pagesTotal,
          ...(page.resume ? { position: page.resume } : {}),
          ...(page.cursor && !full ? { cursor: page.cursor } : {}),
          ...(passId ? { passId } : {}),
        },
        ctx.db,
      );
      pagesDone++;
      report.pages++;
      report.recordsSeen += batch.rows.length;
      report.recordsChanged += changed;
      ctx.metrics?.syncRecords({ vendor: client.vendor, resource: spec.resource, records: batch.rows.length });
      if (!totalSet) {
        await refreshRunTotal({ runId }, ctx.db);
        totalSet = true;
      }
      await ctx.onPage?.({ resource: spec.resource, pagesDone, records: batch.rows.length });
    }
    finished = true;
  } finally {
    // why: stopped early (a failed commit): close the list so no request is left running
    if (!finished) void pages.return?.(undefined).catch(() => undefined);
  }
  if (full) await markUnseenLocationsRemoved({ recordSetId, seenIds }, ctx.db);
  if (reconcile && passId) {
    const { deleted } = await reconcileFullPass({ recordSetId, resource: spec.resource, runId, table: reconcile, passId, passStartedAt }, ctx.db);
    report.recordsChanged += deleted;
  }
  await refreshRunTotal({ runId }, ctx.db);
}

/** The record set for the connection's current vendor account: a different account starts a new one (never merges). */
async function recordSetFor(db: Db, connectionId: string, vendor: Row["connection"]["vendor"], identity: VendorAccountIdentity): Promise<string> {
  const current = await currentRecordSet({ connectionId }, db);
  if (!current) return openRecordSet({ connectionId, vendor, account: identity }, db);
  const match = compareAccounts(current.account, identity, vendor);
  if (match.kind === "different") return openRecordSet({ connectionId, vendor, account: identity }, db);
  if (!sameIdentity(current.account, identity)) await updateRecordSetAccount({ recordSetId: current.id, account: identity }, db);
  return current.id;
}

/** The stored key, opened for this sync only, and where to send it (a Cliniko key's suffix names its shard). */
function targetOf(keyring: Keyring, row: Row): ConnectionTarget | null {
  const c = row.connection;
  let key: string | null;
  try {
    key = openApiKey(keyring, c);
  } catch {
    // why: an unreadable key is the probe's to report (key_unreadable); sync just has nothing to send
    return null;
  }
  if (key === null) return null;
  let region = c.region;
  if (c.vendor === "cliniko") {
    const parsed = parseClinikoKey(key);
    if (!parsed.ok) return null;
    if (parsed.hasSuffix) region = parsed.shard;
  }
  return { vendor: c.vendor, key, region, apiVersion: c.apiVersion };
}

function isPermissionGap(err: VendorError): boolean {
  return err.kind === "refused" || (err.kind === "http" && (err.status === 403 || err.status === 404));
}

/** What the run and resource show as their last error: the vendor's words, never the key. */
function errorText(err: VendorError): string {
  const parts = [err.status ? `HTTP ${err.status}` : err.kind, err.vendorMessage ?? err.message];
  return parts.filter(Boolean).join(": ").slice(0, 500);
}

/**
 * Fails the run, and records `sync.failed` in the same transaction (docs/events.md). The failure is
 * first fed to the health engine (`classify`), so the event carries the code it was classified as;
 * the run is failed even when that throws. Returns the code.
 */
async function failRun(
  ctx: SyncContext,
  row: Row,
  req: SyncRequest,
  run: { runId: string; failedResource: SyncResource | null; lastError: string },
  classify?: () => Promise<string | null>,
): Promise<string | null> {
  let failureCode: string | null = null;
  try {
    if (classify) failureCode = await classify();
  } finally {
    const c = row.connection;
    await ctx.db.transaction(async (tx) => {
      await finishRun({ runId: run.runId, connectionId: c.id, state: "failed", failedResource: run.failedResource, lastError: run.lastError }, tx);
      await recordEvents(tx, [
        {
          type: "sync.failed",
          clinicId: c.clinicId,
          connectionId: c.id,
          data: {
            syncRunId: run.runId,
            clinicId: c.clinicId,
            clinicName: row.clinicName,
            connectionId: c.id,
            vendor: c.vendor,
            trigger: req.trigger,
            resource: run.failedResource,
            failure: eventFailure(isFailureCode(failureCode) ? failureCode : null),
          },
        },
      ]);
    });
  }
  return failureCode;
}

/** The failure as health evidence, through the probe's own classify → decide → write path. */
async function feedHealth(ctx: SyncContext, connectionId: string, runId: string, resource: SyncResource | null, error: VendorError): Promise<string | null> {
  const result = await probeConnection(ctx.health, {
    connectionId,
    probeId: `sync:${runId}:${resource ?? "account"}`,
    reason: "sync",
    requestedBy: "sync",
    observed: { error, resource },
  });
  return result.failureCode;
}

/** A sudden drop raises the existing "no patients recognised" alert, with the before/after numbers. */
async function raiseDrop(ctx: SyncContext, row: Row, drops: SyncReport["drops"]): Promise<void> {
  const c = row.connection;
  const at = now(ctx);
  const first = drops.find((d) => d.resource === "patients") ?? drops[0]!;
  const packet = buildEscalationPacket({
    organisationName: row.clinicName,
    vendor: c.vendor,
    region: c.region,
    apiVersion: c.apiVersion,
    state: c.state,
    failureCode: "no_patients_visible",
    evidence: { kind: "success", visiblePatients: drops.find((d) => d.resource === "patients")?.after ?? c.visiblePatientCount ?? undefined },
    keyHint: c.keyHint,
    keyUpdatedAt: c.keyUpdatedAt,
    firstFailureAt: c.firstFailureAt,
    lastSuccessAt: c.lastSuccessAt,
    visiblePatients: drops.find((d) => d.resource === "patients")?.after ?? c.visiblePatientCount,
  });
  packet.exactError = drops.map((d) => `Sync sees ${d.after} ${SYNC_RESOURCE_LABELS[d.resource].toLowerCase()}; the sync before saw ${d.before}`).join(". ");
  packet.recordDrop = { resource: first.resource, before: first.before, after: first.after };
  await applyAlertWork(
    { connectionId: c.id, clinicId: c.clinicId, open: ["no_patients_visible"], resolve: [], recovered: false, packet, now: at },
    ctx.db,
    ctx.alerts,
  );
}

function now(ctx: SyncContext): Date {
  return ctx.now?.() ?? new Date();
}
