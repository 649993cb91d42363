import { and, asc, eq, gt, isNotNull, isNull, ne, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client.ts";

import { clinics, connectionEvents, connections, type Connection, type NewConnection, type NewConnectionEvent } from "../schema/index.ts";
import type { SupportFindings } from "../../domain/vocabulary.ts";

function probeReadQuery(db: Db) {
  return db
    .select({ connection: connections, clinicName: clinics.name, clinicArchivedAt: clinics.archivedAt })
    .from(connections)
    .innerJoin(clinics, eq(clinics.id, connections.clinicId))
    .where(eq(connections.id, sql.placeholder("connectionId")))
    .prepare("probe_read_connection");
}
// why (bench:fleet): a sweep runs these two statements 10,000 times; building the SQL once per
// process instead of per probe was the largest CPU cost of the probe path after the vendor calls
const probeReads = new WeakMap<Db, ReturnType<typeof probeReadQuery>>();

/** The connection and its clinic's name, with the encrypted key parts, for the probe path only. */
export async function getConnectionForProbe({ connectionId }: { connectionId: string }, db: Db) {
  let q = probeReads.get(db);
  if (!q) probeReads.set(db, (q = probeReadQuery(db)));
  const [row] = await q.execute({ connectionId });
  return row;
}

export type ConnectionPatch = Partial<
  Pick<
    Connection,
    | "state"
    | "failureCode"
    | "failureEvidence"
    | "suggestedRegion"
    | "visiblePatientCount"
    | "visiblePatientsAtLeast"
    | "vendorUserName"
    | "vendorUserRole"
    | "lastProbeAt"
    | "lastSuccessAt"
    | "firstFailureAt"
    | "consecutiveFailures"
    | "region"
    | "keyHint"
    | "stateChangedAt"
    | "everHadPatients"
    | "lastProbeId"
  >
>;

/** What a probe read, so its write lands only on the connection it probed. */
export interface ProbeReadVersion {
  state: Connection["state"];
  /** The key version: a key stored meanwhile (reconnect, edit) makes this probe's result stale. */
  keyUpdatedAt: Date | null;
  /** This probe's id: a retried job whose result is already stored writes nothing. */
  probeId: string;
}

/**
 * Writes a probe's result: one UPDATE, plus a timeline row only when something changed.
 * `expected` guards against a concurrent change (support paused it, a new key was accepted, the
 * same job already wrote): then nothing is written and false is returned.
 */
export async function applyConnectionUpdate(
  {
    connectionId,
    expected,
    patch,
    event,
    within,
  }: {
    connectionId: string;
    expected: ProbeReadVersion;
    patch: ConnectionPatch;
    event?: Omit<NewConnectionEvent, "connectionId" | "clinicId"> | null;
    /** More writes that must commit with this one (alerts and their delivery jobs). */
    within?: (tx: DbOrTx) => Promise<void>;
  },
  db: Db,
): Promise<boolean> {
  const update = (executor: Db | DbOrTx) =>
    executor
      .update(connections)
      .set({ ...patch, updatedAt: sql`now()` })
      .where(
        and(
          eq(connections.id, connectionId),
          eq(connections.state, expected.state),
          // why: key_updated_at is always written from a JS Date (millisecond precision), so equality is exact
          expected.keyUpdatedAt === null ? isNull(connections.keyUpdatedAt) : eq(connections.keyUpdatedAt, expected.keyUpdatedAt),
          sql`${connections.lastProbeId} is distinct from ${expected.probeId}`,
        ),
      )
      .returning({ clinicId: connections.clinicId });
  // why: the common case (a healthy probe that changes nothing) is one statement; BEGIN/COMMIT
  // would double its round trips across a 10,000-connection sweep
  if (!event && !within) return (await update(db)).length > 0;
  return db.transaction(async (tx) => {
    const [updated] = await update(tx);
    if (!updated) return false;
    if (event) await tx.insert(connectionEvents).values({ ...event, connectionId, clinicId: updated.clinicId });
    if (within) await within(tx);
    return true;
  });
}

function probeTouchQuery(db: Db) {
  const p = (name: string) => sql.placeholder(name);
  return db
    .update(connections)
    .set({
      lastProbeAt: sql`${p("lastProbeAt")}::timestamptz`,
      lastProbeId: sql`${p("probeId")}::text`,
      lastSuccessAt: sql`${p("lastSuccessAt")}::timestamptz`,
      consecutiveFailures: sql`${p("consecutiveFailures")}::int`,
      firstFailureAt: sql`${p("firstFailureAt")}::timestamptz`,
      visiblePatientCount: sql`coalesce(${p("visiblePatientCount")}::int, ${connections.visiblePatientCount})`,
      // why: the flag belongs to the count; it changes only when a new count is written
      visiblePatientsAtLeast: sql`case when ${p("verified")}::boolean then ${p("visiblePatientsAtLeast")}::boolean else ${connections.visiblePatientsAtLeast} end`,
      vendorUserName: sql`coalesce(${p("vendorUserName")}::text, ${connections.vendorUserName})`,
      vendorUserRole: sql`case when ${p("verified")}::boolean then ${p("vendorUserRole")}::text else ${connections.vendorUserRole} end`,
      everHadPatients: sql`${connections.everHadPatients} or ${p("sawPatients")}::boolean`,
      updatedAt: sql`now()`,
    })
    .where(
      sql`${connections.id} = ${p("connectionId")}::uuid and ${connections.state} = ${p("state")}::text
        and ${connections.keyUpdatedAt} is not distinct from ${p("keyUpdatedAt")}::timestamptz
        and ${connections.lastProbeId} is distinct from ${p("probeId")}::text`,
    )
    .returning({ id: connections.id })
    .prepare("probe_touch_connection");
}
const probeTouches = new WeakMap<Db, ReturnType<typeof probeTouchQuery>>();

/**
 * The common case of a probe's write — nothing but its facts changed (state, failure, region and
 * evidence as they were): one prepared UPDATE, with the same guards as applyConnectionUpdate.
 */
export async function touchProbedConnection(
  {
    connectionId,
    expected,
    facts,
  }: {
    connectionId: string;
    expected: ProbeReadVersion;
    facts: {
      lastProbeAt: Date;
      lastSuccessAt: Date | null;
      consecutiveFailures: number;
      firstFailureAt: Date | null;
      /** What the vendor said, when it answered. */
      verified: { visiblePatients: number; visiblePatientsAtLeast: boolean; userName: string; userRole: string | null } | null;
    };
  },
  db: Db,
): Promise<boolean> {
  let q = probeTouches.get(db);
  if (!q) probeTouches.set(db, (q = probeTouchQuery(db)));
  const v = facts.verified;
  const rows = await q.execute({
    connectionId,
    state: expected.state,
    keyUpdatedAt: expected.keyUpdatedAt?.toISOString() ?? null,
    probeId: expected.probeId,
    lastProbeAt: facts.lastProbeAt.toISOString(),
    lastSuccessAt: facts.lastSuccessAt?.toISOString() ?? null,
    consecutiveFailures: facts.consecutiveFailures,
    firstFailureAt: facts.firstFailureAt?.toISOString() ?? null,
    visiblePatientCount: v ? v.visiblePatients : null,
    visiblePatientsAtLeast: v ? v.visiblePatientsAtLeast : false,
    vendorUserName: v ? v.userName : null,
    vendorUserRole: v ? v.userRole : null,
    verified: v !== null,
    sawPatients: v !== null && v.visiblePatients > 0,
  });
  return rows.length > 0;
}

/** Any subset of a connection's columns that a workflow changes (state, key, region, probe facts). */
export type ConnectionWrite = Partial<Omit<NewConnection, "id" | "clinicId" | "createdAt" | "updatedAt">>;

/** One connection's columns, inside the caller's transaction; the caller holds the row lock. */
export async function updateConnection({ connectionId, patch }: { connectionId: string; patch: ConnectionWrite }, tx: DbOrTx): Promise<void> {
  await tx
    .update(connections)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(connections.id, connectionId));
}

// why: PostgreSQL allows 65,535 bind parameters per statement; a 5,000-row import exceeds that in one insert
const EVENT_CHUNK = 500;

/** Timeline rows, in order, inside the caller's transaction. */
export async function insertConnectionEvents(events: NewConnectionEvent[], tx: DbOrTx): Promise<void> {
  for (let i = 0; i < events.length; i += EVENT_CHUNK) await tx.insert(connectionEvents).values(events.slice(i, i + EVENT_CHUNK));
}

/** Ids of every connection a sweep should probe: not paused, clinic not archived. Keyset-paged. */
export async function listProbeableConnectionIds({ after, limit }: { after?: string; limit: number }, db: Db): Promise<string[]> {
  const rows = await db
    .select({ id: connections.id })
    .from(connections)
    .innerJoin(clinics, eq(clinics.id, connections.clinicId))
    .where(and(ne(connections.state, "paused"), isNull(clinics.archivedAt), after ? sql`${connections.id} > ${after}` : undefined))
    .orderBy(asc(connections.id))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** One page of connections whose key is sealed by a master key other than `currentKeyId`, in id order. */
export async function listConnectionsSealedWithOtherKey({ currentKeyId, after, limit }: { currentKeyId: string; after: string; limit: number }, db: DbOrTx) {
  return db
    .select({ id: connections.id, keyCiphertext: connections.keyCiphertext, keyIv: connections.keyIv, keyTag: connections.keyTag, keyId: connections.keyId })
    .from(connections)
    .where(and(gt(connections.id, after), isNotNull(connections.keyId), ne(connections.keyId, currentKeyId)))
    .orderBy(asc(connections.id))
    .limit(limit);
}

/** Stores a re-sealed key, only if the row still holds the key id it was read with. True when written. */
export async function replaceSealedKey(
  { connectionId, fromKeyId, sealed }: { connectionId: string; fromKeyId: string; sealed: { ciphertext: Buffer; iv: Buffer; tag: Buffer; keyId: string } },
  db: DbOrTx,
): Promise<boolean> {
  const updated = await db
    .update(connections)
    .set({ keyCiphertext: sealed.ciphertext, keyIv: sealed.iv, keyTag: sealed.tag, keyId: sealed.keyId })
    .where(and(eq(connections.id, connectionId), eq(connections.keyId, fromKeyId)))
    .returning({ id: connections.id });
  return updated.length > 0;
}

/**
 * A few sealed keys to test the configured master keys against at start-up: the newest three per
 * master-key id, so every id still in use is tried (and one tampered row cannot stop a start).
 */
export async function sampleSealedKeys(db: DbOrTx) {
  const ranked = db
    .select({
      id: connections.id,
      keyCiphertext: connections.keyCiphertext,
      keyIv: connections.keyIv,
      keyTag: connections.keyTag,
      keyId: connections.keyId,
      rank: sql<number>`row_number() over (partition by ${connections.keyId} order by ${connections.keyUpdatedAt} desc nulls last)`.as("rank"),
    })
    .from(connections)
    .where(sql`${connections.keyId} is not null`)
    .as("ranked");
  return db
    .select()
    .from(ranked)
    .where(sql`${ranked.rank} <= 3`);
}

/** A dead probe on the clinic's timeline; false when the connection is gone. */
export async function insertDeadProbeEvent(
  { connectionId, probeId, message, details }: { connectionId: string; probeId: string; message: string; details: Record<string, unknown> },
  db: DbOrTx,
): Promise<boolean> {
  const rows = await db.execute<{ id: string }>(sql`
    insert into ${connectionEvents} (connection_id, clinic_id, kind, from_state, to_state, failure_code, probe_id, actor, message, details)
    select ${connections.id}, ${connections.clinicId}, 'probe_dead', ${connections.state}, ${connections.state}, ${connections.failureCode}, ${probeId}, 'probe', ${message}, ${JSON.stringify(details)}::jsonb
    from ${connections} where ${connections.id} = ${connectionId}
    returning id`);
  return rows.length > 0;
}

/** Probes that gave up after their retries since `since` (the dashboard's and /healthz's count). */
export async function countDeadProbes({ since }: { since: Date }, db: DbOrTx): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(connectionEvents)
    .where(and(eq(connectionEvents.kind, "probe_dead"), sql`${connectionEvents.at} >= ${since.toISOString()}::timestamptz`));
  return row?.n ?? 0;
}

/** Merges support's findings into the connection's (one key per finding; a null value clears it). */
export async function mergeSupportFindings({ connectionId, patch }: { connectionId: string; patch: Partial<SupportFindings> }, tx: DbOrTx): Promise<void> {
  await tx
    .update(connections)
    .set({ supportFindings: sql`coalesce(${connections.supportFindings}, '{}'::jsonb) || ${JSON.stringify(patch)}::jsonb` })
    .where(eq(connections.id, connectionId));
}
