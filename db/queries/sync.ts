import { and, asc, desc, eq, getTableColumns, inArray, isNull, ne, sql, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { inTransaction, type Db, type DbOrTx } from "../client.ts";
import {
  clinics,
  connections,
  syncAppointments,
  syncAppointmentTypes,
  syncAvailability,
  syncInvoices,
  syncLocations,
  syncPatients,
  syncPractitioners,
  syncRecordSets,
  syncResources,
  syncRuns,
  type SyncResourceRow,
  type SyncRunRow,
} from "../schema/index.ts";
import type { SyncResource, SyncState, SyncTrigger, Vendor, VendorAccountIdentity } from "../../domain/vocabulary.ts";

/** Every query sync needs (docs/decisions/0033-sync.md). Records are upserted a page at a time. */

// ---- record sets

export async function currentRecordSet({ connectionId }: { connectionId: string }, db: DbOrTx) {
  const [row] = await db
    .select({ id: syncRecordSets.id, account: syncRecordSets.account, vendor: syncRecordSets.vendor })
    .from(syncRecordSets)
    .where(and(eq(syncRecordSets.connectionId, connectionId), isNull(syncRecordSets.retiredAt)));
  return row ?? null;
}

/** Retires the current set (if any) and opens a new one for `account`: another account's records never merge. */
export async function openRecordSet(
  { connectionId, vendor, account, now = new Date() }: { connectionId: string; vendor: Vendor; account: VendorAccountIdentity; now?: Date },
  db: DbOrTx,
): Promise<string> {
  return inTransaction(db, async (tx) => {
    await tx
      .update(syncRecordSets)
      .set({ retiredAt: now })
      .where(and(eq(syncRecordSets.connectionId, connectionId), isNull(syncRecordSets.retiredAt)));
    const [row] = await tx.insert(syncRecordSets).values({ connectionId, vendor, account }).returning({ id: syncRecordSets.id });
    return row!.id;
  });
}

/** Sync learned who the key belongs to (never verified before): kept on the connection, unless a probe got there first. */
export async function rememberConnectionAccount(
  { connectionId, account }: { connectionId: string; account: VendorAccountIdentity },
  db: DbOrTx,
): Promise<void> {
  await db
    .update(connections)
    .set({ vendorAccount: account })
    .where(and(eq(connections.id, connectionId), isNull(connections.vendorAccount)));
}

export async function updateRecordSetAccount({ recordSetId, account }: { recordSetId: string; account: VendorAccountIdentity }, db: DbOrTx): Promise<void> {
  await db.update(syncRecordSets).set({ account }).where(eq(syncRecordSets.id, recordSetId));
}

export async function listRecordSets({ connectionId }: { connectionId: string }, db: DbOrTx) {
  return db
    .select({ id: syncRecordSets.id, account: syncRecordSets.account, retiredAt: syncRecordSets.retiredAt })
    .from(syncRecordSets)
    .where(eq(syncRecordSets.connectionId, connectionId))
    .orderBy(asc(syncRecordSets.createdAt));
}

// ---- runs

export async function findRunByJob({ connectionId, jobId }: { connectionId: string; jobId: string }, db: DbOrTx): Promise<SyncRunRow | null> {
  const [row] = await db
    .select()
    .from(syncRuns)
    .where(and(eq(syncRuns.connectionId, connectionId), eq(syncRuns.jobId, jobId)))
    .orderBy(desc(syncRuns.startedAt))
    .limit(1);
  return row ?? null;
}

/**
 * Starts a run: any run of this connection still marked running (its worker died and its job gave
 * up) is closed as failed first, and the connection shows "running".
 */
export async function startRun(
  {
    connectionId,
    recordSetId,
    trigger,
    jobId,
    now = new Date(),
  }: { connectionId: string; recordSetId: string | null; trigger: SyncTrigger; jobId: string | null; now?: Date },
  db: DbOrTx,
): Promise<SyncRunRow> {
  return inTransaction(db, async (tx) => {
    await tx
      .update(syncRuns)
      .set({ state: "failed", finishedAt: now, lastError: "Interrupted: the worker stopped before the run finished" })
      .where(and(eq(syncRuns.connectionId, connectionId), eq(syncRuns.state, "running")));
    const [run] = await tx.insert(syncRuns).values({ connectionId, recordSetId, trigger, jobId, state: "running", startedAt: now }).returning();
    await tx.update(connections).set({ syncState: "running", lastSyncAt: now }).where(eq(connections.id, connectionId));
    return run!;
  });
}

/** The run's record set, once known; a run continued by its retried job (the worker was killed) runs again, counters kept. */
export async function reopenRun({ runId, recordSetId }: { runId: string; recordSetId: string }, db: DbOrTx): Promise<void> {
  await db.update(syncRuns).set({ state: "running", finishedAt: null, recordSetId }).where(eq(syncRuns.id, runId));
}

export async function finishRun(
  {
    runId,
    connectionId,
    state,
    failedResource = null,
    lastError = null,
    now = new Date(),
  }: { runId: string; connectionId: string; state: Exclude<SyncState, "running">; failedResource?: SyncResource | null; lastError?: string | null; now?: Date },
  db: DbOrTx,
): Promise<void> {
  await inTransaction(db, async (tx) => {
    await tx.update(syncRuns).set({ state, finishedAt: now, failedResource, lastError }).where(eq(syncRuns.id, runId));
    await tx
      .update(connections)
      .set({ syncState: state, lastSyncAt: now, ...(state === "succeeded" ? { lastSyncSuccessAt: now } : {}) })
      .where(eq(connections.id, connectionId));
  });
}

export async function listRuns({ connectionId, limit = 10 }: { connectionId: string; limit?: number }, db: DbOrTx): Promise<SyncRunRow[]> {
  return db.select().from(syncRuns).where(eq(syncRuns.connectionId, connectionId)).orderBy(desc(syncRuns.startedAt)).limit(limit);
}

// ---- per resource

export async function listResourceStates({ recordSetId }: { recordSetId: string }, db: DbOrTx): Promise<SyncResourceRow[]> {
  return db.select().from(syncResources).where(eq(syncResources.recordSetId, recordSetId));
}

/** Marks a resource running in `runId`; keeps its position (the run continues where the last committed page left it). */
export async function startResource(
  {
    recordSetId,
    connectionId,
    resource,
    runId,
    now = new Date(),
  }: { recordSetId: string; connectionId: string; resource: SyncResource; runId: string; now?: Date },
  db: DbOrTx,
): Promise<SyncResourceRow> {
  const fresh = {
    state: "running" as const,
    runId,
    startedAt: now,
    finishedAt: null,
    pagesDone: 0,
    pagesTotal: 0,
    recordsSeen: 0,
    recordsChanged: 0,
    lastError: null,
  };
  const [row] = await db
    .insert(syncResources)
    .values({ recordSetId, connectionId, resource, ...fresh })
    .onConflictDoUpdate({
      target: [syncResources.recordSetId, syncResources.resource],
      // why: the same run resumed by its retried job keeps its counters; a new run starts them at zero
      set: {
        state: "running",
        finishedAt: null,
        lastError: null,
        startedAt: sql`case when ${syncResources.runId} = ${runId} then ${syncResources.startedAt} else ${now.toISOString()}::timestamptz end`,
        pagesDone: sql`case when ${syncResources.runId} = ${runId} then ${syncResources.pagesDone} else 0 end`,
        pagesTotal: sql`case when ${syncResources.runId} = ${runId} then ${syncResources.pagesTotal} else 0 end`,
        recordsSeen: sql`case when ${syncResources.runId} = ${runId} then ${syncResources.recordsSeen} else 0 end`,
        recordsChanged: sql`case when ${syncResources.runId} = ${runId} then ${syncResources.recordsChanged} else 0 end`,
        runId,
      },
    })
    .returning();
  return row!;
}

export async function finishResource(
  {
    recordSetId,
    resource,
    state,
    lastError = null,
    liveCount,
    now = new Date(),
  }: { recordSetId: string; resource: SyncResource; state: Exclude<SyncState, "running">; lastError?: string | null; liveCount?: number; now?: Date },
  db: DbOrTx,
): Promise<void> {
  await db
    .update(syncResources)
    .set({
      state,
      finishedAt: now,
      lastError,
      ...(state === "succeeded" ? { lastSuccessAt: now } : {}),
      ...(liveCount !== undefined ? { liveCount } : {}),
    })
    .where(and(eq(syncResources.recordSetId, recordSetId), eq(syncResources.resource, resource)));
}

// ---- records

type RecordTable =
  | typeof syncLocations
  | typeof syncPractitioners
  | typeof syncAppointmentTypes
  | typeof syncPatients
  | typeof syncAppointments
  | typeof syncInvoices
  | typeof syncAvailability;

export type SyncRows =
  | { table: "locations"; rows: (typeof syncLocations.$inferInsert)[] }
  | { table: "practitioners"; rows: (typeof syncPractitioners.$inferInsert)[] }
  | { table: "appointment_types"; rows: (typeof syncAppointmentTypes.$inferInsert)[] }
  | { table: "patients"; rows: (typeof syncPatients.$inferInsert)[] }
  | { table: "appointments"; rows: (typeof syncAppointments.$inferInsert)[] }
  | { table: "invoices"; rows: (typeof syncInvoices.$inferInsert)[] }
  | { table: "availability"; rows: (typeof syncAvailability.$inferInsert)[] };

const TABLES: Record<SyncRows["table"], RecordTable> = {
  locations: syncLocations,
  practitioners: syncPractitioners,
  appointment_types: syncAppointmentTypes,
  patients: syncPatients,
  appointments: syncAppointments,
  invoices: syncInvoices,
  availability: syncAvailability,
};

interface UpsertPlan {
  target: PgColumn[];
  set: Record<string, SQL>;
  changed: SQL;
}
const plans = new Map<PgTable, UpsertPlan>();

/** ON CONFLICT: take the vendor's values, and count a row only when one of them differs (synced_at excluded). */
function planFor(table: RecordTable): UpsertPlan {
  let plan = plans.get(table);
  if (plan) return plan;
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  // why: seenInPass is written by commitPage's own statement (a full pass marks unchanged rows too); never a "change"
  const keys = new Set(["recordSetId", "id", "kind", "seenInPass"]);
  const set: Record<string, SQL> = {};
  const compared: string[] = [];
  for (const [prop, col] of Object.entries(columns)) {
    if (keys.has(prop)) continue;
    set[prop] = sql.raw(`excluded."${col.name}"`);
    if (prop !== "syncedAt") compared.push(col.name);
  }
  const name = (table as unknown as { [k: symbol]: string })[Symbol.for("drizzle:Name")];
  const changed = sql.raw(`(${compared.map((c) => `"${name}"."${c}"`).join(", ")}) is distinct from (${compared.map((c) => `excluded."${c}"`).join(", ")})`);
  const target = [columns.recordSetId!, ...(columns.kind ? [columns.kind] : []), columns.id!];
  plan = { target, set, changed };
  plans.set(table, plan);
  return plan;
}

/** Upserts one page of records; returns how many were inserted or actually changed. */
async function upsertRecords(batch: SyncRows, db: DbOrTx): Promise<number> {
  if (batch.rows.length === 0) return 0;
  const table = TABLES[batch.table];
  const plan = planFor(table);
  // why: a page may list one record twice (keyset re-reads the boundary); one row per key per statement
  const seen = new Map<string, (typeof batch.rows)[number]>();
  for (const r of batch.rows) seen.set(`${"kind" in r ? r.kind : ""}|${r.id}`, r);
  const rows = [...seen.values()];
  const changed = await db
    .insert(table)
    .values(rows as never[])
    .onConflictDoUpdate({ target: plan.target, set: plan.set, setWhere: plan.changed })
    .returning({ id: (table as typeof syncPatients).id });
  return changed.length;
}

export interface PageCommit {
  recordSetId: string;
  resource: SyncResource;
  runId: string;
  batch: SyncRows;
  /** Where the next page starts (keyset), or a finished pass's cursor; undefined keeps the stored one. */
  position?: { at: string; page: number };
  cursor?: string;
  pagesTotal: number;
  /** A reconciling full pass: every record of this page is marked seen by it, in the same transaction. */
  passId?: string;
}

/** The record tables a full pass reconciles (they have a `deleted` flag; the vendor's list hides deleted ones). */
export type ReconciledTable = "patients" | "appointments" | "invoices";
const RECONCILED = { patients: syncPatients, appointments: syncAppointments, invoices: syncInvoices } as const;
const isReconciled = (table: SyncRows["table"]): table is ReconciledTable => table in RECONCILED;

/**
 * One page: its records, the resource's position and the run's counters, in ONE transaction — a
 * worker killed after this commit resumes from exactly the next page; one killed before it
 * re-reads this page (upserts by id, so nothing doubles).
 */
export async function commitPage(c: PageCommit, db: Db): Promise<{ changed: number }> {
  return db.transaction(async (tx) => {
    const changed = await upsertRecords(c.batch, tx);
    const seen = c.batch.rows.length;
    if (c.passId && seen > 0) {
      if (!isReconciled(c.batch.table)) throw new Error(`${c.batch.table} is not reconciled by full passes`);
      const t = RECONCILED[c.batch.table];
      const ids = c.batch.rows.map((r) => r.id);
      await tx
        .update(t)
        .set({ seenInPass: c.passId })
        .where(and(eq(t.recordSetId, c.recordSetId), inArray(t.id, ids)));
    }
    await tx
      .update(syncResources)
      .set({
        ...(c.position ? { positionAt: c.position.at, positionPage: c.position.page } : {}),
        ...(c.cursor !== undefined ? { cursor: c.cursor } : {}),
        pagesDone: sql`${syncResources.pagesDone} + 1`,
        pagesTotal: sql`greatest(${c.pagesTotal}, ${syncResources.pagesDone} + 1)`,
        recordsSeen: sql`${syncResources.recordsSeen} + ${seen}`,
        recordsChanged: sql`${syncResources.recordsChanged} + ${changed}`,
      })
      .where(and(eq(syncResources.recordSetId, c.recordSetId), eq(syncResources.resource, c.resource)));
    await tx
      .update(syncRuns)
      .set({
        pagesDone: sql`${syncRuns.pagesDone} + 1`,
        recordsSeen: sql`${syncRuns.recordsSeen} + ${seen}`,
        recordsChanged: sql`${syncRuns.recordsChanged} + ${changed}`,
      })
      .where(eq(syncRuns.id, c.runId));
    return { changed };
  });
}

/** The run's page total: the sum of what each resource expects (updated as the first pages arrive). */
export async function refreshRunTotal({ runId }: { runId: string }, db: DbOrTx): Promise<void> {
  await db
    .update(syncRuns)
    .set({
      pagesTotal: sql`greatest(${syncRuns.pagesDone}, (select coalesce(sum(${syncResources.pagesTotal}), 0) from ${syncResources} where ${syncResources.runId} = ${runId}))::int`,
    })
    .where(eq(syncRuns.id, runId));
}

/** Full refresh (no modified dates): a location missing from a complete pass is marked removed. */
export async function markUnseenLocationsRemoved({ recordSetId, seenIds }: { recordSetId: string; seenIds: string[] }, db: DbOrTx): Promise<number> {
  const rows = await db
    .update(syncLocations)
    .set({ removed: true, syncedAt: new Date() })
    .where(
      and(
        eq(syncLocations.recordSetId, recordSetId),
        eq(syncLocations.removed, false),
        seenIds.length
          ? sql`${syncLocations.id} not in (${sql.join(
              seenIds.map((id) => sql`${id}`),
              sql`, `,
            )})`
          : undefined,
      ),
    )
    .returning({ id: syncLocations.id });
  return rows.length;
}

/**
 * The end of a COMPLETE full pass (only then: an interrupted pass never gets here): every record of
 * the set that the pass did not list is gone at the vendor, marked deleted in one statement; the
 * resource remembers when the pass began. Records listed again later are upserted live again.
 */
export async function reconcileFullPass(
  {
    recordSetId,
    resource,
    runId,
    table,
    passId,
    passStartedAt,
  }: { recordSetId: string; resource: SyncResource; runId: string; table: ReconciledTable; passId: string; passStartedAt: Date },
  db: Db,
): Promise<{ deleted: number }> {
  const t = RECONCILED[table];
  return db.transaction(async (tx) => {
    const gone = await tx
      .update(t)
      .set({ deleted: true, syncedAt: new Date() })
      .where(and(eq(t.recordSetId, recordSetId), eq(t.deleted, false), sql`${t.seenInPass} is distinct from ${passId}::uuid`))
      .returning({ id: t.id });
    await tx
      .update(syncResources)
      .set({ lastFullPassAt: passStartedAt, recordsChanged: sql`${syncResources.recordsChanged} + ${gone.length}` })
      .where(and(eq(syncResources.recordSetId, recordSetId), eq(syncResources.resource, resource)));
    if (gone.length)
      await tx
        .update(syncRuns)
        .set({ recordsChanged: sql`${syncRuns.recordsChanged} + ${gone.length}` })
        .where(eq(syncRuns.id, runId));
    return { deleted: gone.length };
  });
}

/** Records still there: not deleted (patients: nor archived). The drop check compares these. */
export async function countLive({ recordSetId, resource }: { recordSetId: string; resource: SyncResource }, db: DbOrTx): Promise<number> {
  const n = sql<number>`count(*)::int`;
  const one = async (q: PromiseLike<{ n: number }[]>) => (await q)[0]?.n ?? 0;
  switch (resource) {
    case "locations":
      return one(
        db
          .select({ n })
          .from(syncLocations)
          .where(and(eq(syncLocations.recordSetId, recordSetId), eq(syncLocations.removed, false))),
      );
    case "practitioners":
    case "practitioners_inactive":
      return one(
        db
          .select({ n })
          .from(syncPractitioners)
          .where(and(eq(syncPractitioners.recordSetId, recordSetId), eq(syncPractitioners.active, resource === "practitioners"))),
      );
    case "appointment_types":
      return one(db.select({ n }).from(syncAppointmentTypes).where(eq(syncAppointmentTypes.recordSetId, recordSetId)));
    case "patients":
      return one(
        db
          .select({ n })
          .from(syncPatients)
          .where(and(eq(syncPatients.recordSetId, recordSetId), eq(syncPatients.deleted, false), eq(syncPatients.archived, false))),
      );
    case "appointments":
      return one(
        db
          .select({ n })
          .from(syncAppointments)
          .where(and(eq(syncAppointments.recordSetId, recordSetId), eq(syncAppointments.deleted, false))),
      );
    case "invoices":
      return one(
        db
          .select({ n })
          .from(syncInvoices)
          .where(and(eq(syncInvoices.recordSetId, recordSetId), eq(syncInvoices.deleted, false))),
      );
    case "daily_availabilities":
    case "availability_blocks":
    case "unavailable_blocks": {
      const kind = resource === "daily_availabilities" ? "daily" : resource === "availability_blocks" ? "extra" : "unavailable";
      return one(
        db
          .select({ n })
          .from(syncAvailability)
          .where(and(eq(syncAvailability.recordSetId, recordSetId), eq(syncAvailability.kind, kind), eq(syncAvailability.deleted, false))),
      );
    }
  }
}

// ---- scheduling

/**
 * A connection's phase in the sync interval: a stable hash of its id (seconds in [0, interval)).
 * The one definition of when a connection's scheduled sync runs (domain/sync/schedule.ts).
 */
function syncPhase(intervalSeconds: number): SQL {
  return sql`(abs(hashtextextended(${connections.id}::text, 0)) % ${intervalSeconds})`;
}

/** Syncable connections whose phase is in [from, to), in id order, a page at a time. */
export async function listSyncableConnectionIdsInPhase(
  { intervalSeconds, from, to, after, limit }: { intervalSeconds: number; from: number; to: number; after?: string; limit: number },
  db: Db,
): Promise<string[]> {
  const phase = syncPhase(intervalSeconds);
  const rows = await db
    .select({ id: connections.id })
    .from(connections)
    .innerJoin(clinics, eq(clinics.id, connections.clinicId))
    .where(
      and(
        ne(connections.state, "paused"),
        sql`${connections.keyCiphertext} is not null`,
        isNull(clinics.archivedAt),
        sql`${phase} >= ${from} and ${phase} < ${to}`,
        after ? sql`${connections.id} > ${after}` : undefined,
      ),
    )
    .orderBy(asc(connections.id))
    .limit(limit);
  return rows.map((r) => r.id);
}

// ---- reads for the clinic page

export async function syncOverview({ connectionId, runs = 5 }: { connectionId: string; runs?: number }, db: Db) {
  const set = await currentRecordSet({ connectionId }, db);
  const [resources, history] = await Promise.all([
    set ? listResourceStates({ recordSetId: set.id }, db) : Promise.resolve([]),
    listRuns({ connectionId, limit: runs }, db),
  ]);
  return { recordSet: set, resources, runs: history };
}
