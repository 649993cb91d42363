import { and, asc, count, desc, eq, inArray, isNull, lte, ne, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.ts";
import { events, users, webhookAttempts, webhookDeliveries, webhookSubscriptions } from "../schema/index.ts";
import type { EventType, WebhookDeliveryStatus } from "../../domain/vocabulary.ts";

/** Reads and writes of webhook subscriptions, their deliveries and attempts (docs/decisions/0048-webhook-subscriptions.md). */

export interface SealedSecret {
  secretCiphertext: Buffer;
  secretIv: Buffer;
  secretTag: Buffer;
  secretKeyId: string;
}

const sealedColumns = {
  id: webhookSubscriptions.id,
  secretCiphertext: webhookSubscriptions.secretCiphertext,
  secretIv: webhookSubscriptions.secretIv,
  secretTag: webhookSubscriptions.secretTag,
  secretKeyId: webhookSubscriptions.secretKeyId,
};
export type SealedSecretRow = { id: string } & SealedSecret;

/** What the console and the API show of a subscription: never the secret. */
const publicColumns = {
  id: webhookSubscriptions.id,
  url: webhookSubscriptions.url,
  description: webhookSubscriptions.description,
  eventTypes: webhookSubscriptions.eventTypes,
  enabled: webhookSubscriptions.enabled,
  disabledAt: webhookSubscriptions.disabledAt,
  disabledReason: webhookSubscriptions.disabledReason,
  failureStreak: webhookSubscriptions.failureStreak,
  failingSince: webhookSubscriptions.failingSince,
  lastSuccessAt: webhookSubscriptions.lastSuccessAt,
  createdAt: webhookSubscriptions.createdAt,
  updatedAt: webhookSubscriptions.updatedAt,
};

// why: the latest delivery's status and code, for the list's "last delivery" column, in the same query.
// The outer column is written qualified: drizzle renders a one-table select's columns bare, and a
// bare "id" inside the subquery would be the delivery's own.
const lastDelivery = sql<{ status: WebhookDeliveryStatus; httpStatus: number | null; at: string | null } | null>`(
  select json_build_object('status', d.status, 'httpStatus', d.last_http_status, 'at', d.last_attempt_at)
  from ${webhookDeliveries} d where d.subscription_id = "webhook_subscriptions"."id"
  order by d.created_at desc, d.id desc limit 1)`;

export async function listSubscriptions(db: DbOrTx) {
  return db
    .select({ ...publicColumns, lastDelivery })
    .from(webhookSubscriptions)
    .orderBy(asc(webhookSubscriptions.createdAt), asc(webhookSubscriptions.id));
}

export type SubscriptionRow = Awaited<ReturnType<typeof listSubscriptions>>[number];

export async function getSubscription({ id }: { id: string }, db: DbOrTx): Promise<SubscriptionRow | undefined> {
  const [row] = await db
    .select({ ...publicColumns, lastDelivery })
    .from(webhookSubscriptions)
    .where(eq(webhookSubscriptions.id, id));
  return row;
}

export async function insertSubscription(
  row: { id: string; url: string; description: string | null; eventTypes: EventType[]; createdBy: string | null } & SealedSecret,
  db: DbOrTx,
): Promise<void> {
  await db.insert(webhookSubscriptions).values(row);
}

/** Changes URL, description or types; false when there is no such subscription. */
export async function updateSubscriptionFields(
  { id, set }: { id: string; set: { url?: string; description?: string | null; eventTypes?: EventType[] } },
  db: DbOrTx,
): Promise<boolean> {
  const rows = await db
    .update(webhookSubscriptions)
    .set({ ...set, updatedAt: sql`now()` })
    .where(eq(webhookSubscriptions.id, id))
    .returning({ id: webhookSubscriptions.id });
  return rows.length > 0;
}

export async function deleteSubscription({ id }: { id: string }, db: DbOrTx): Promise<{ url: string } | undefined> {
  const [row] = await db.delete(webhookSubscriptions).where(eq(webhookSubscriptions.id, id)).returning({ url: webhookSubscriptions.url });
  return row;
}

/**
 * Disables an enabled subscription; false when it was already disabled (or is gone), so an
 * automatic disabling racing an admin's happens once.
 */
export async function disableSubscriptionRow({ id, reason, at }: { id: string; reason: string; at: Date }, db: DbOrTx): Promise<boolean> {
  const rows = await db
    .update(webhookSubscriptions)
    .set({ enabled: false, disabledAt: at, disabledReason: reason.slice(0, 500), updatedAt: sql`now()` })
    .where(and(eq(webhookSubscriptions.id, id), eq(webhookSubscriptions.enabled, true)))
    .returning({ id: webhookSubscriptions.id });
  return rows.length > 0;
}

/**
 * Enables a disabled subscription with a clean failure streak, and makes its waiting deliveries
 * due now with a fresh schedule. Returns those deliveries' ids (to enqueue), or null when it was
 * not disabled.
 */
export async function enableSubscriptionRow({ id, at }: { id: string; at: Date }, db: DbOrTx): Promise<string[] | null> {
  const rows = await db
    .update(webhookSubscriptions)
    .set({ enabled: true, disabledAt: null, disabledReason: null, failureStreak: 0, failingSince: null, updatedAt: sql`now()` })
    .where(and(eq(webhookSubscriptions.id, id), eq(webhookSubscriptions.enabled, false)))
    .returning({ id: webhookSubscriptions.id });
  if (rows.length === 0) return null;
  const resumed = await db
    .update(webhookDeliveries)
    .set({ nextAttemptAt: at, scheduleStartedAt: null, updatedAt: sql`now()` })
    .where(and(eq(webhookDeliveries.subscriptionId, id), inArray(webhookDeliveries.status, ["pending", "failed"])))
    .returning({ id: webhookDeliveries.id });
  return resumed.map((r) => r.id);
}

export async function replaceSubscriptionSecret(
  { id, sealed, wasKeyId }: { id: string; sealed: SealedSecret; wasKeyId?: string },
  db: DbOrTx,
): Promise<boolean> {
  const rows = await db
    .update(webhookSubscriptions)
    .set({ ...sealed, updatedAt: sql`now()` })
    // why: a re-encryption is guarded by the key it read, so it never overwrites a secret rotated meanwhile
    .where(and(eq(webhookSubscriptions.id, id), wasKeyId ? eq(webhookSubscriptions.secretKeyId, wasKeyId) : undefined))
    .returning({ id: webhookSubscriptions.id });
  return rows.length > 0;
}

/** A page of subscriptions whose secret is sealed under a master key other than `currentKeyId` (keys:rotate). */
export async function listSecretsToReseal(
  { currentKeyId, after, limit }: { currentKeyId: string; after: string; limit: number },
  db: DbOrTx,
): Promise<SealedSecretRow[]> {
  return db
    .select(sealedColumns)
    .from(webhookSubscriptions)
    .where(and(sql`${webhookSubscriptions.id} > ${after}`, ne(webhookSubscriptions.secretKeyId, currentKeyId)))
    .orderBy(asc(webhookSubscriptions.id))
    .limit(limit);
}

// ---- dispatch

/** Enabled subscriptions, each to be dispatched in its own transaction. */
export async function listEnabledSubscriptionIds(db: DbOrTx): Promise<string[]> {
  const rows = await db
    .select({ id: webhookSubscriptions.id })
    .from(webhookSubscriptions)
    .where(eq(webhookSubscriptions.enabled, true))
    .orderBy(asc(webhookSubscriptions.id));
  return rows.map((r) => r.id);
}

/**
 * Locks one enabled subscription for its dispatch (SKIP LOCKED: a second dispatcher moves on) and
 * returns its types and cursor.
 */
export async function lockSubscriptionCursor({ id }: { id: string }, db: DbOrTx) {
  const [row] = await db
    .select({
      id: webhookSubscriptions.id,
      eventTypes: webhookSubscriptions.eventTypes,
      txid: sql<string>`${webhookSubscriptions.cursorTxid}::text`,
      seq: sql<string>`${webhookSubscriptions.cursorSeq}::text`,
    })
    .from(webhookSubscriptions)
    .where(and(eq(webhookSubscriptions.id, id), eq(webhookSubscriptions.enabled, true)))
    .for("update", { skipLocked: true });
  return row;
}

export async function advanceCursor({ id, txid, seq }: { id: string; txid: string; seq: string }, db: DbOrTx): Promise<void> {
  await db
    .update(webhookSubscriptions)
    .set({ cursorTxid: txid, cursorSeq: BigInt(seq) })
    .where(eq(webhookSubscriptions.id, id));
}

/** Inserts one pending delivery per event; an event already delivered to this subscription is skipped. Returns the new ids. */
export async function insertDeliveries(
  rows: { subscriptionId: string; eventId: string; eventType: EventType; nextAttemptAt: Date }[],
  db: DbOrTx,
): Promise<string[]> {
  if (rows.length === 0) return [];
  const inserted = await db
    .insert(webhookDeliveries)
    .values(rows)
    .onConflictDoNothing({ target: [webhookDeliveries.subscriptionId, webhookDeliveries.eventId] })
    .returning({ id: webhookDeliveries.id });
  return inserted.map((r) => r.id);
}

/**
 * Deliveries due more than `graceSeconds` ago on enabled subscriptions: their job was lost (or
 * they were resumed), so the sweep enqueues them again. An attempt in flight holds a lease in
 * next_attempt_at, so it is not picked up.
 */
export async function listOverdueDeliveries({ before, limit }: { before: Date; limit: number }, db: DbOrTx): Promise<{ id: string; due: Date }[]> {
  return db
    .select({ id: webhookDeliveries.id, due: webhookDeliveries.nextAttemptAt })
    .from(webhookDeliveries)
    .innerJoin(webhookSubscriptions, eq(webhookSubscriptions.id, webhookDeliveries.subscriptionId))
    .where(and(inArray(webhookDeliveries.status, ["pending", "failed"]), lte(webhookDeliveries.nextAttemptAt, before), eq(webhookSubscriptions.enabled, true)))
    .orderBy(asc(webhookDeliveries.nextAttemptAt))
    .limit(limit);
}

// ---- delivery

/**
 * Claims a due delivery for one attempt: counts the attempt and moves next_attempt_at to the
 * lease's end, in one statement, so two jobs for the same delivery never both send. A worker
 * killed mid-attempt leaves the lease to run out; the job's retry (or the sweep) then claims it
 * again. Undefined when the delivery is not due, settled, or its subscription disabled.
 */
export async function claimDelivery({ id, now, leaseUntil }: { id: string; now: Date; leaseUntil: Date }, db: DbOrTx) {
  const [row] = await db
    .update(webhookDeliveries)
    .set({
      attemptCount: sql`${webhookDeliveries.attemptCount} + 1`,
      nextAttemptAt: leaseUntil,
      scheduleStartedAt: sql`coalesce(${webhookDeliveries.scheduleStartedAt}, ${now.toISOString()}::timestamptz)`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(webhookDeliveries.id, id),
        inArray(webhookDeliveries.status, ["pending", "failed"]),
        lte(webhookDeliveries.nextAttemptAt, now),
        sql`exists (select 1 from ${webhookSubscriptions} s where s.id = "webhook_deliveries"."subscription_id" and s.enabled)`,
      ),
    )
    .returning({
      id: webhookDeliveries.id,
      subscriptionId: webhookDeliveries.subscriptionId,
      eventId: webhookDeliveries.eventId,
      attempt: webhookDeliveries.attemptCount,
      scheduleStartedAt: webhookDeliveries.scheduleStartedAt,
    });
  return row as (Omit<NonNullable<typeof row>, "scheduleStartedAt"> & { scheduleStartedAt: Date }) | undefined;
}

/** The event a delivery sends (undefined once retention dropped it). */
export async function getEventForDelivery({ id }: { id: string }, db: DbOrTx) {
  const [row] = await db.select({ id: events.id, type: events.type, occurredAt: events.occurredAt, data: events.data }).from(events).where(eq(events.id, id));
  return row;
}

/** The URL and sealed secret a claimed delivery is signed and sent with. */
export async function getSigningTarget({ id }: { id: string }, db: DbOrTx) {
  const [row] = await db
    .select({ url: webhookSubscriptions.url, ...sealedColumns })
    .from(webhookSubscriptions)
    .where(eq(webhookSubscriptions.id, id));
  return row;
}

/** Stores one attempt's outcome on the delivery and in the log, in the caller's transaction. */
export async function recordAttempt(
  input: {
    deliveryId: string;
    attempt: number;
    at: Date;
    ok: boolean;
    httpStatus: number | null;
    durationMs: number;
    error: string | null;
    status: WebhookDeliveryStatus;
    nextAttemptAt: Date;
  },
  db: DbOrTx,
): Promise<void> {
  const error = input.error?.slice(0, 500) ?? null;
  await db.insert(webhookAttempts).values({
    deliveryId: input.deliveryId,
    attempt: input.attempt,
    at: input.at,
    ok: input.ok,
    httpStatus: input.httpStatus,
    durationMs: input.durationMs,
    error,
  });
  await db
    .update(webhookDeliveries)
    .set({
      status: input.status,
      nextAttemptAt: input.nextAttemptAt,
      lastAttemptAt: input.at,
      lastHttpStatus: input.httpStatus,
      lastError: error,
      updatedAt: sql`now()`,
    })
    .where(eq(webhookDeliveries.id, input.deliveryId));
}

/** A success ends the subscription's failure streak. */
export async function noteSubscriptionSuccess({ id, at }: { id: string; at: Date }, db: DbOrTx): Promise<void> {
  await db.update(webhookSubscriptions).set({ failureStreak: 0, failingSince: null, lastSuccessAt: at }).where(eq(webhookSubscriptions.id, id));
}

/** A failure lengthens the streak (started now if there was none); returns the streak as it now is. */
export async function noteSubscriptionFailure({ id, at }: { id: string; at: Date }, db: DbOrTx) {
  const [row] = await db
    .update(webhookSubscriptions)
    .set({
      failureStreak: sql`${webhookSubscriptions.failureStreak} + 1`,
      failingSince: sql`coalesce(${webhookSubscriptions.failingSince}, ${at.toISOString()}::timestamptz)`,
    })
    .where(eq(webhookSubscriptions.id, id))
    .returning({ failureStreak: webhookSubscriptions.failureStreak, failingSince: webhookSubscriptions.failingSince, url: webhookSubscriptions.url });
  return row;
}

/**
 * Makes a delivery due now with a fresh schedule (manual redelivery), whatever its status. Null
 * when no such delivery belongs to the subscription.
 */
export async function redeliverRow({ id, subscriptionId, at }: { id: string; subscriptionId: string; at: Date }, db: DbOrTx) {
  const [row] = await db
    .update(webhookDeliveries)
    .set({
      status: sql`case when ${webhookDeliveries.attemptCount} = 0 then 'pending' else 'failed' end`,
      nextAttemptAt: at,
      scheduleStartedAt: null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.subscriptionId, subscriptionId)))
    .returning({ id: webhookDeliveries.id, eventId: webhookDeliveries.eventId });
  return row ?? null;
}

// ---- the delivery log

const deliveryColumns = {
  id: webhookDeliveries.id,
  eventId: webhookDeliveries.eventId,
  eventType: webhookDeliveries.eventType,
  status: webhookDeliveries.status,
  attemptCount: webhookDeliveries.attemptCount,
  nextAttemptAt: webhookDeliveries.nextAttemptAt,
  lastAttemptAt: webhookDeliveries.lastAttemptAt,
  lastHttpStatus: webhookDeliveries.lastHttpStatus,
  lastError: webhookDeliveries.lastError,
  createdAt: webhookDeliveries.createdAt,
};

/** One page of a subscription's deliveries, newest first. */
export async function listDeliveries({ subscriptionId, page, pageSize }: { subscriptionId: string; page: number; pageSize: number }, db: DbOrTx) {
  const where = eq(webhookDeliveries.subscriptionId, subscriptionId);
  const [rows, [total]] = await Promise.all([
    db
      .select(deliveryColumns)
      .from(webhookDeliveries)
      .where(where)
      .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ n: count() }).from(webhookDeliveries).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

/** Every attempt of these deliveries, oldest first. */
export async function listAttempts({ deliveryIds }: { deliveryIds: readonly string[] }, db: DbOrTx) {
  if (deliveryIds.length === 0) return [];
  return db
    .select({
      deliveryId: webhookAttempts.deliveryId,
      attempt: webhookAttempts.attempt,
      at: webhookAttempts.at,
      ok: webhookAttempts.ok,
      httpStatus: webhookAttempts.httpStatus,
      durationMs: webhookAttempts.durationMs,
      error: webhookAttempts.error,
    })
    .from(webhookAttempts)
    .where(inArray(webhookAttempts.deliveryId, [...deliveryIds]))
    .orderBy(asc(webhookAttempts.deliveryId), asc(webhookAttempts.attempt));
}

/** Every active admin's email: who hears about an automatically disabled subscription. */
export async function listActiveAdminEmails(db: DbOrTx): Promise<string[]> {
  const rows = await db
    .select({ email: users.email })
    .from(users)
    .where(and(eq(users.role, "admin"), isNull(users.disabledAt)))
    .orderBy(asc(users.email));
  return rows.map((r) => r.email);
}
