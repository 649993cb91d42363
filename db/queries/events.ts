import { and, eq, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "../client.ts";
import { clinics, connections, events, type NewEventRow } from "../schema/index.ts";
import type { EventType, Vendor } from "../../domain/vocabulary.ts";

/** Where a reader stands in the event stream: the last event it has seen. */
export interface EventPosition {
  /** The writing transaction's xid8, as decimal text. */
  txid: string;
  /** The event's sequence number, as decimal text. */
  seq: string;
}

export interface StoredEvent {
  id: string;
  type: EventType;
  occurredAt: Date;
  clinicId: string | null;
  connectionId: string | null;
  data: Record<string, unknown>;
  /** This event's place in the stream: pass it as `after` to read what follows. */
  position: EventPosition;
}

/** The channel a committed event is announced on (no payload: a reader reads the stream from its own position). */
const EVENTS_CHANNEL = "relink_events";

/**
 * Calls `onCommitted` whenever a transaction that recorded events commits (PostgreSQL delivers a
 * NOTIFY on commit only, and folds a transaction's repeats into one); postgres.js keeps the listening
 * connection and re-listens after a reconnect. A notification can still be missed (while that
 * connection is down): readers keep their own schedule too. Returns the way to stop listening.
 */
export async function listenForEvents(db: Db, onCommitted: () => void): Promise<() => Promise<void>> {
  const { unlisten } = await db.$client.listen(EVENTS_CHANNEL, () => onCommitted());
  return unlisten;
}

/** Writes events on the caller's transaction (the cause's own), so they commit or roll back with it. */
export async function insertEvents(rows: Array<Pick<NewEventRow, "type" | "clinicId" | "connectionId" | "data">>, tx: DbOrTx): Promise<{ id: string }[]> {
  if (rows.length === 0) return [];
  const inserted = await tx
    .insert(events)
    .values(rows.map((r) => ({ type: r.type, clinicId: r.clinicId ?? null, connectionId: r.connectionId ?? null, data: r.data })))
    .returning({ id: events.id });
  // why: delivered when (and only if) the cause commits, so webhooks go out in seconds, not at the next minute's sweep
  await tx.execute(sql`select pg_notify(${EVENTS_CHANNEL}, '')`);
  return inserted;
}

/**
 * Events after `after` (from the oldest retained when null), oldest first, at most `limit`.
 * Commit-safe (docs/decisions/0045-events.md): only events of transactions below this snapshot's
 * xmin are returned. Every such transaction has finished, so no event can ever commit behind the
 * last position returned here: one still open (or committing) holds back everything after it.
 */
export async function listEventsAfter(
  { after = null, types, clinicId, limit }: { after?: EventPosition | null; types?: readonly EventType[]; clinicId?: string; limit: number },
  db: DbOrTx,
): Promise<StoredEvent[]> {
  const where: SQL[] = [lt(events.txid, sql`pg_snapshot_xmin(pg_current_snapshot())`)];
  if (after) where.push(sql`(${events.txid}, ${events.seq}) > (${after.txid}::xid8, ${after.seq}::bigint)`);
  if (types && types.length > 0) where.push(inArray(events.type, [...types]));
  if (clinicId) where.push(eq(events.clinicId, clinicId));
  const rows = await db
    .select({
      id: events.id,
      type: events.type,
      occurredAt: events.occurredAt,
      clinicId: events.clinicId,
      connectionId: events.connectionId,
      data: events.data,
      txid: sql<string>`${events.txid}::text`,
      seq: sql<string>`${events.seq}::text`,
    })
    .from(events)
    .where(and(...where))
    .orderBy(events.txid, events.seq)
    .limit(limit);
  return rows.map(({ txid, seq, ...row }) => ({ ...row, position: { txid, seq } }));
}

/** Drops events that occurred before `before` (retention, swept by the maintenance job); returns how many. */
export async function deleteEventsBefore({ before }: { before: Date }, db: DbOrTx): Promise<number> {
  // why count in SQL: an hour's expiry can be thousands of rows; nothing needs their ids
  const [row] = await db.execute<{ n: number }>(
    sql`with gone as (delete from ${events} where ${events.occurredAt} < ${before.toISOString()}::timestamptz returning 1) select count(*)::int as n from gone`,
  );
  return row?.n ?? 0;
}

/** Who an event is about: the connection's clinic (id and name) and vendor, keyed by connection id. */
export async function getEventSubjects({ connectionIds }: { connectionIds: readonly string[] }, db: DbOrTx) {
  if (connectionIds.length === 0) return new Map<string, EventSubject>();
  const rows = await db
    .select({ connectionId: connections.id, clinicId: clinics.id, clinicName: clinics.name, vendor: connections.vendor })
    .from(connections)
    .innerJoin(clinics, eq(clinics.id, connections.clinicId))
    .where(inArray(connections.id, [...new Set(connectionIds)]));
  return new Map(rows.map((r) => [r.connectionId, r]));
}

export interface EventSubject {
  connectionId: string;
  clinicId: string;
  clinicName: string;
  vendor: Vendor;
}
