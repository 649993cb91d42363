import type { DbOrTx } from "../client.ts";
import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { bulkOperationItems, bulkOperations, campaignClinics, campaigns, clinics, connections, type BulkItemStatus, type BulkKind } from "../schema/index.ts";
import type { ConnectionState, FailureCode, Vendor } from "../../domain/vocabulary.ts";

/** What a bulk action needs to know about each selected clinic before it starts. */
export interface BulkTarget {
  clinicId: string;
  clinicName: string;
  archived: boolean;
  adminName: string | null;
  adminEmail: string | null;
  connectionId: string | null;
  vendor: Vendor | null;
  state: ConnectionState | null;
}

export async function findBulkTargets({ clinicIds }: { clinicIds: string[] }, db: DbOrTx): Promise<BulkTarget[]> {
  if (clinicIds.length === 0) return [];
  const rows = await db
    .select({
      clinicId: clinics.id,
      clinicName: clinics.name,
      archivedAt: clinics.archivedAt,
      adminName: clinics.adminName,
      adminEmail: clinics.adminEmail,
      connectionId: connections.id,
      vendor: connections.vendor,
      state: connections.state,
    })
    .from(clinics)
    .leftJoin(connections, eq(connections.clinicId, clinics.id))
    .where(inArray(clinics.id, clinicIds));
  return rows.map(({ archivedAt, ...r }) => ({ ...r, archived: archivedAt !== null }));
}

export interface NewBulkItem {
  clinicId: string;
  connectionId: string | null;
  status: BulkItemStatus;
  message?: string | null;
}

/** The operation and all its items in one go (the caller's transaction). */
export async function insertBulkOperation(
  {
    kind,
    requestedBy,
    requestedByLabel,
    params,
    returnTo,
    items,
    createdAt,
  }: {
    kind: BulkKind;
    requestedBy: string;
    requestedByLabel: string;
    params: Record<string, unknown>;
    returnTo: string;
    items: NewBulkItem[];
    createdAt?: Date;
  },
  db: DbOrTx,
): Promise<{ id: string; createdAt: Date }> {
  const [op] = await db
    .insert(bulkOperations)
    .values({ kind, requestedBy, requestedByLabel, params, returnTo, total: items.length, ...(createdAt ? { createdAt } : {}) })
    .returning({ id: bulkOperations.id, createdAt: bulkOperations.createdAt });
  await db.insert(bulkOperationItems).values(
    items.map((i) => ({
      operationId: op!.id,
      clinicId: i.clinicId,
      connectionId: i.connectionId,
      status: i.status,
      message: i.message ?? null,
      finishedAt: i.status === "waiting" ? null : sql`now()`,
    })),
  );
  return op!;
}

/** Settles one waiting item; a no-op when it is already settled (so a retried step cannot flip it). */
export async function settleBulkItem(
  { operationId, clinicId, status, message }: { operationId: string; clinicId: string; status: Exclude<BulkItemStatus, "waiting">; message: string | null },
  db: DbOrTx,
): Promise<void> {
  await db
    .update(bulkOperationItems)
    .set({ status, message, finishedAt: sql`now()` })
    .where(and(eq(bulkOperationItems.operationId, operationId), eq(bulkOperationItems.clinicId, clinicId), eq(bulkOperationItems.status, "waiting")));
}

/** How long a probe item may wait for the worker before it counts as failed. */
const PROBE_WAIT_LIMIT_MINUTES = 10;
/** A sync item (docs/decisions/0033-sync.md) is done once a sync of the connection finished after the request. */
const SYNC_WAIT_LIMIT_MINUTES = 120;

/**
 * An item's status as the progress view shows it. Probe items are done once the worker has
 * probed the connection after the request (last_probe_at ≥ created_at); one the worker has not
 * reached in PROBE_WAIT_LIMIT_MINUTES counts as failed, so an operation always finishes.
 */
const effectiveStatus = sql<BulkItemStatus>`case
  when ${bulkOperationItems.status} <> 'waiting' then ${bulkOperationItems.status}
  when ${bulkOperations.kind} = 'probe' and ${connections.lastProbeAt} >= ${bulkOperations.createdAt} then 'done'
  when ${bulkOperations.kind} = 'probe' and ${bulkOperations.createdAt} < now() - make_interval(mins => ${PROBE_WAIT_LIMIT_MINUTES}) then 'failed'
  when ${bulkOperations.kind} = 'sync' and ${connections.syncState} <> 'running' and ${connections.lastSyncAt} >= ${bulkOperations.createdAt} then 'done'
  when ${bulkOperations.kind} = 'sync' and ${bulkOperations.createdAt} < now() - make_interval(mins => ${SYNC_WAIT_LIMIT_MINUTES}) then 'failed'
  else 'waiting' end`;

interface BulkProgressItem {
  clinicId: string;
  clinicName: string;
  status: BulkItemStatus;
  message: string | null;
  finishedAt: Date | null;
  state: ConnectionState | null;
  failureCode: FailureCode | null;
  lastProbeAt: Date | null;
}

export interface BulkProgress {
  id: string;
  kind: BulkKind;
  requestedByLabel: string;
  createdAt: Date;
  total: number;
  params: Record<string, unknown>;
  returnTo: string;
  counts: Record<BulkItemStatus, number>;
  items: BulkProgressItem[];
}

/** One operation with every item (at most one page of the table, so no paging here). */
export async function getBulkProgress({ operationId }: { operationId: string }, db: DbOrTx): Promise<BulkProgress | null> {
  const [op] = await db
    .select({
      id: bulkOperations.id,
      kind: bulkOperations.kind,
      requestedByLabel: bulkOperations.requestedByLabel,
      createdAt: bulkOperations.createdAt,
      total: bulkOperations.total,
      params: bulkOperations.params,
      returnTo: bulkOperations.returnTo,
    })
    .from(bulkOperations)
    .where(eq(bulkOperations.id, operationId));
  if (!op) return null;
  const rows = await db
    .select({
      clinicId: bulkOperationItems.clinicId,
      clinicName: clinics.name,
      status: effectiveStatus,
      message: bulkOperationItems.message,
      finishedAt: sql<Date | null>`case when ${bulkOperationItems.finishedAt} is not null then ${bulkOperationItems.finishedAt}
        when ${bulkOperations.kind} = 'probe' and ${connections.lastProbeAt} >= ${bulkOperations.createdAt} then ${connections.lastProbeAt}
        when ${bulkOperations.kind} = 'sync' and ${connections.syncState} <> 'running' and ${connections.lastSyncAt} >= ${bulkOperations.createdAt} then ${connections.lastSyncAt} end`.mapWith(
        (v: string | Date | null) => (v === null ? null : new Date(v)),
      ),
      state: connections.state,
      failureCode: connections.failureCode,
      lastProbeAt: connections.lastProbeAt,
    })
    .from(bulkOperationItems)
    .innerJoin(bulkOperations, eq(bulkOperations.id, bulkOperationItems.operationId))
    .innerJoin(clinics, eq(clinics.id, bulkOperationItems.clinicId))
    .leftJoin(connections, eq(connections.id, bulkOperationItems.connectionId))
    .where(eq(bulkOperationItems.operationId, operationId))
    .orderBy(clinics.name, bulkOperationItems.clinicId);
  const counts: Record<BulkItemStatus, number> = { waiting: 0, done: 0, failed: 0, skipped: 0 };
  const items = rows.map((r) => {
    counts[r.status] += 1;
    const message =
      r.status === "failed" && !r.message && op.kind === "probe" ? `The worker did not probe it within ${PROBE_WAIT_LIMIT_MINUTES} minutes.` : r.message;
    return { ...r, message };
  });
  return { ...op, counts, items };
}

export interface BulkOperationSummary {
  id: string;
  kind: BulkKind;
  requestedByLabel: string;
  createdAt: Date;
  total: number;
  waiting: number;
  failed: number;
}

/** The most recent operations with how many items still wait, for the list other agents watch. */
export async function listRecentBulkOperations({ limit = 20 }: { limit?: number }, db: DbOrTx): Promise<BulkOperationSummary[]> {
  const recent = db
    .select({
      id: bulkOperations.id,
      kind: bulkOperations.kind,
      requestedByLabel: bulkOperations.requestedByLabel,
      createdAt: bulkOperations.createdAt,
      total: bulkOperations.total,
    })
    .from(bulkOperations)
    .orderBy(desc(bulkOperations.createdAt))
    .limit(limit)
    .as("recent");
  const rows = await db
    .select({
      id: recent.id,
      kind: recent.kind,
      requestedByLabel: recent.requestedByLabel,
      createdAt: recent.createdAt,
      total: recent.total,
      waiting: sql<number>`count(*) filter (where ${effectiveStatus} = 'waiting')::int`,
      failed: sql<number>`count(*) filter (where ${effectiveStatus} = 'failed')::int`,
    })
    .from(recent)
    .innerJoin(bulkOperations, eq(bulkOperations.id, recent.id))
    .innerJoin(bulkOperationItems, eq(bulkOperationItems.operationId, recent.id))
    .leftJoin(connections, eq(connections.id, bulkOperationItems.connectionId))
    .groupBy(recent.id, recent.kind, recent.requestedByLabel, recent.createdAt, recent.total)
    .orderBy(desc(recent.createdAt));
  return rows;
}

/** Campaigns a selection can join, newest first: the bulk bar's choices (no member counts, so the clinics page stays cheap). */
export async function listCampaignChoices(db: DbOrTx): Promise<{ id: string; name: string; vendor: Vendor; deadline: string }[]> {
  return db
    .select({ id: campaigns.id, name: campaigns.name, vendor: campaigns.vendor, deadline: campaigns.deadline })
    .from(campaigns)
    .where(isNull(campaigns.cancelledAt))
    .orderBy(desc(campaigns.createdAt))
    .limit(50);
}

/** Which of these clinics a campaign already holds. */
export async function campaignMemberIds({ campaignId, clinicIds }: { campaignId: string; clinicIds: string[] }, db: DbOrTx): Promise<Set<string>> {
  if (clinicIds.length === 0) return new Set();
  const rows = await db
    .select({ id: campaignClinics.clinicId })
    .from(campaignClinics)
    .where(and(eq(campaignClinics.campaignId, campaignId), inArray(campaignClinics.clinicId, clinicIds)));
  return new Set(rows.map((r) => r.id));
}

/** The operation as the worker runs it: what was asked, by whom, and the clinics still waiting. */
export async function getBulkRun({ operationId }: { operationId: string }, db: DbOrTx) {
  const [op] = await db
    .select({
      id: bulkOperations.id,
      kind: bulkOperations.kind,
      params: bulkOperations.params,
      requestedBy: bulkOperations.requestedBy,
      requestedByLabel: bulkOperations.requestedByLabel,
    })
    .from(bulkOperations)
    .where(eq(bulkOperations.id, operationId));
  if (!op) return null;
  const waiting = await db
    .select({ clinicId: bulkOperationItems.clinicId })
    .from(bulkOperationItems)
    .where(and(eq(bulkOperationItems.operationId, operationId), eq(bulkOperationItems.status, "waiting")));
  return { ...op, waitingClinicIds: waiting.map((w) => w.clinicId) };
}

/** Locks one item while it is still waiting (the caller's transaction); false when it already settled. */
export async function lockWaitingItem({ operationId, clinicId }: { operationId: string; clinicId: string }, tx: DbOrTx): Promise<boolean> {
  const rows = await tx
    .select({ clinicId: bulkOperationItems.clinicId })
    .from(bulkOperationItems)
    .where(and(eq(bulkOperationItems.operationId, operationId), eq(bulkOperationItems.clinicId, clinicId), eq(bulkOperationItems.status, "waiting")))
    .for("update");
  return rows.length > 0;
}
