import { and, asc, eq, gt, isNotNull, isNull, ne, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client.ts";

import { clinics, connectionEvents, connections, PROBE_HISTORY_KEEP, type Connection, type NewConnection, type NewConnectionEvent } from "../schema/index.ts";
import type { ConnectionState, FailureCode, ProbeTickKind, SupportFindings } from "../../domain/vocabulary.ts";
import { writeProbeTick } from "./probe-history.ts";

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
    | "vendorAccount"
    | "keyFingerprint"
    | "lastProbeAt"
    | "lastSuccessAt"
    | "firstFailureAt"
    | "consecutiveFailures"
    | "region"
    | "keyHint"
    | "stateChangedAt"
    | "everHadPatients"
    | "lastProbeId"
    | "transientFailing"
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
    tick,
  }: {
    connectionId: string;
    expected: ProbeReadVersion;
    patch: ConnectionPatch;
    event?: Omit<NewConnectionEvent, "connectionId" | "clinicId"> | null;
    /** More writes that must commit with this one (alerts and their delivery jobs). */
    within?: (tx: DbOrTx) => Promise<void>;
    /** The probe's row in the clinic page's strip, written with the update. */
    tick?: ProbeTick;
  },
  db: Db,
): Promise<boolean> {
  const update = (executor: Db | DbOrTx) =>
    executor
      .update(connections)
      .set({ ...patch, ...(tick ? { probeSeq: sql`${connections.probeSeq} + 1` } : {}), updatedAt: sql`now()` })
      .where(
        and(
          eq(connections.id, connectionId),
          eq(connections.state, expected.state),
          // why: key_updated_at is always written from a JS Date (millisecond precision), so equality is exact
          expected.keyUpdatedAt === null ? isNull(connections.keyUpdatedAt) : eq(connections.keyUpdatedAt, expected.keyUpdatedAt),
          sql`${connections.lastProbeId} is distinct from ${expected.probeId}`,
        ),
      )
      .returning({ clinicId: connections.clinicId, seq: sql<number>`${connections.probeSeq} - 1` });
  // why: a write that changes nothing but columns is one statement; BEGIN/COMMIT would double its round trips
  if (!event && !within && !tick) return (await update(db)).length > 0;
  return db.transaction(async (tx) => {
    const [updated] = await update(tx);
    if (!updated) return false;
    if (tick) await writeProbeTick({ connectionId, seq: updated.seq, at: patch.lastProbeAt ?? new Date(), tick }, tx);
    if (event) await tx.insert(connectionEvents).values({ ...event, connectionId, clinicId: updated.clinicId });
    if (within) await within(tx);
    return true;
  });
}

/** One probe's row in the clinic page's strip (db/schema/probe-history.ts). */
export interface ProbeTick {
  ok: boolean;
  failureCode: FailureCode | null;
  /** The state the probe left the connection in. */
  state: ConnectionState;
  httpStatus: number | null;
  ms: number | null;
  /** "probe" (the default) or "key_check": a key checked live as it was entered. */
  kind?: ProbeTickKind;
}

// why (bench:fleet, docs/decisions/0036): a sweep runs this 10,000 times, so it is ONE statement —
// the guarded UPDATE of the probe's facts (and a newly learned identity), and the probe's tick
// upserted into its ring slot — with constant text, prepared once per connection by postgres.js and
// never rebuilt. The tick slot is the row's probe_seq before this probe.
const PROBE_TOUCH_SQL = `
with touched as (
  update connections set
    last_probe_at = $5::timestamptz,
    last_probe_id = $4::text,
    last_success_at = $6::timestamptz,
    consecutive_failures = $7::int,
    first_failure_at = $8::timestamptz,
    visible_patient_count = case when $9::boolean then $10::int else visible_patient_count end,
    visible_patients_at_least = case when $9::boolean then $11::boolean else visible_patients_at_least end,
    vendor_user_name = case when $9::boolean then $12::text else vendor_user_name end,
    vendor_user_role = case when $9::boolean then $13::text else vendor_user_role end,
    ever_had_patients = ever_had_patients or ($9::boolean and $10::int > 0),
    vendor_account = case when $14::boolean then $15::text::jsonb else vendor_account end,
    key_fingerprint = coalesce($16::text, key_fingerprint),
    probe_seq = probe_seq + 1,
    updated_at = now()
  where id = $1::uuid and state = $2::text
    and key_updated_at is not distinct from $3::timestamptz
    and last_probe_id is distinct from $4::text
  returning id, probe_seq - 1 as seq
), tick as (
  insert into probe_history as h (connection_id, slot, at, ok, failure_code, state, http_status, ms)
  select id, seq % ${PROBE_HISTORY_KEEP}, $5::timestamptz, $17::boolean, $18::text, $2::text, $19::int, $20::int from touched where $21::boolean
  on conflict (connection_id, slot) do update set
    at = excluded.at, ok = excluded.ok, failure_code = excluded.failure_code, state = excluded.state,
    http_status = excluded.http_status, ms = excluded.ms, kind = excluded.kind
)
select id from touched`;

/**
 * The common case of a probe's write — nothing but its facts changed (state, failure, region and
 * evidence as they were; the account identity may be learned): one prepared statement with the
 * same guards as applyConnectionUpdate, which also records the probe's tick.
 */
export async function touchProbedConnection(
  {
    connectionId,
    expected,
    facts,
    identity,
    tick,
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
    /** Learned by this probe for the same key (docs/decisions/0026); absent fields stay as stored. */
    identity: Pick<ConnectionPatch, "vendorAccount" | "keyFingerprint">;
    /** Absent for evidence that is not a probe (sync): no tick, and probe_seq still counts the write. */
    tick: Omit<ProbeTick, "state"> | undefined;
  },
  db: Db,
): Promise<boolean> {
  const v = facts.verified;
  const rows = await db.$client.unsafe(
    PROBE_TOUCH_SQL,
    [
      connectionId,
      expected.state,
      expected.keyUpdatedAt?.toISOString() ?? null,
      expected.probeId,
      facts.lastProbeAt.toISOString(),
      facts.lastSuccessAt?.toISOString() ?? null,
      facts.consecutiveFailures,
      facts.firstFailureAt?.toISOString() ?? null,
      v !== null,
      v ? v.visiblePatients : null,
      v ? v.visiblePatientsAtLeast : false,
      v ? v.userName : null,
      v ? v.userRole : null,
      identity.vendorAccount !== undefined,
      identity.vendorAccount === undefined || identity.vendorAccount === null ? null : JSON.stringify(identity.vendorAccount),
      identity.keyFingerprint ?? null,
      tick?.ok ?? false,
      tick?.failureCode ?? null,
      tick?.httpStatus ?? null,
      tick?.ms ?? null,
      tick !== undefined,
    ],
    { prepare: true },
  );
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
/**
 * One page of the connections a sweep probes, in id order. `thin` (docs/decisions/0049): a
 * connection failing in a region with an open vendor incident is probed only in its turn — one
 * sweep in `of`, by a stable hash of its id — while its region's canaries watch for the recovery.
 */
export async function listProbeableConnectionIds(
  { after, limit, thin }: { after?: string; limit: number; thin?: { slot: number; of: number } },
  db: Db,
): Promise<string[]> {
  const thinned = thin
    ? sql`not (${connections.transientFailing} and exists (
        select 1 from vendor_incidents i where i.vendor = ${connections.vendor} and i.region = ${connections.region} and i.resolved_at is null
      ) and mod(abs(hashtext(${connections.id}::text)), ${thin.of}::int) <> ${thin.slot}::int)`
    : undefined;
  const rows = await db
    .select({ id: connections.id })
    .from(connections)
    .innerJoin(clinics, eq(clinics.id, connections.clinicId))
    .where(and(ne(connections.state, "paused"), isNull(clinics.archivedAt), after ? sql`${connections.id} > ${after}` : undefined, thinned))
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

/**
 * The shared-key finding (flagSharedKey) leaves a connection that now stores a key of its own,
 * and this clinic leaves its partners' findings (a partner with nobody left loses the finding).
 * Partners are read from this connection's own finding, so no other row is scanned.
 */
export async function forgetSharedKey({ connectionId, clinicId }: { connectionId: string; clinicId: string }, tx: DbOrTx): Promise<void> {
  await tx.execute(sql`
    with partners as (
      select distinct (e->>'clinicId')::uuid as clinic_id
      from ${connections}, jsonb_array_elements(${connections.supportFindings}->'sharedKey'->'clinics') e
      where ${connections.id} = ${connectionId} and jsonb_typeof(${connections.supportFindings}->'sharedKey'->'clinics') = 'array'
    ),
    mine as (
      update ${connections} set support_findings = support_findings - 'sharedKey'
      where id = ${connectionId} and support_findings ? 'sharedKey'
    ),
    rest as (
      select c.id, coalesce(
        (select jsonb_agg(e) from jsonb_array_elements(c.support_findings->'sharedKey'->'clinics') e where e->>'clinicId' <> ${clinicId}),
        '[]'::jsonb
      ) as clinics
      from ${connections} c
      where c.clinic_id in (select clinic_id from partners) and c.id <> ${connectionId}
        and jsonb_typeof(c.support_findings->'sharedKey'->'clinics') = 'array'
    )
    update ${connections} c set support_findings = case
      when r.clinics = '[]'::jsonb then c.support_findings - 'sharedKey'
      else jsonb_set(c.support_findings, '{sharedKey,clinics}', r.clinics)
    end
    from rest r where c.id = r.id`);
}

/** The last probe's time and what it left (state, failure code): what a caller waiting on a queued probe polls. */
export async function getProbeOutcome({ connectionId }: { connectionId: string }, db: DbOrTx) {
  const [row] = await db
    .select({ state: connections.state, failureCode: connections.failureCode, lastProbeAt: connections.lastProbeAt })
    .from(connections)
    .where(eq(connections.id, connectionId));
  return row ?? null;
}
