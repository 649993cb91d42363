import type { DbOrTx } from "../client.ts";
import { and, asc, count, desc, eq, getTableColumns, gt, inArray, ne, sql, type SQL } from "drizzle-orm";
import {
  alertDeliveries,
  alertNotifications,
  alerts,
  clinics,
  emailOutbox,
  reconnectLinks,
  type Alert,
  type NewAlert,
  type NewAlertDelivery,
  type NewAlertNotification,
} from "../schema/index.ts";
import type { AlertKind, EscalationPacket, NotificationStatus } from "../../domain/vocabulary.ts";

const alertColumns = getTableColumns(alerts);
export type AlertRow = Alert;

// ---- the write path used by applyAlertWork

/**
 * Records one sighting of (connection, kind): inserts a new alert, or — when an unresolved one
 * exists — counts the repeat on it. The partial unique index makes this one atomic statement, so
 * two writers can never open two alerts. An expired mute falls back to open on the way.
 * `inserted` is exact: a new row always has count 1 and a repeat always makes it at least 2.
 */
export async function upsertAlertSighting(
  input: {
    connectionId: string;
    clinicId: string;
    kind: AlertKind;
    now: Date;
    packet: EscalationPacket;
    reopenedFromId: string | null;
    /** A mute inherited from the resolved alert this one recurs after. */
    mutedUntil: Date | null;
    /** Opened under this vendor incident: grouped and held (nobody is told); a repeat keeps what it had. */
    incidentId?: string | null;
  },
  db: DbOrTx,
): Promise<AlertRow & { inserted: boolean }> {
  // why: a Date inside raw sql`` reaches postgres-js unserialised; pass it as a timestamptz literal
  const now = sql`${input.now.toISOString()}::timestamptz`;
  const muteExpired = sql`${alerts.status} = 'muted' and ${alerts.mutedUntil} <= ${now}`;
  const [row] = await db
    .insert(alerts)
    .values({
      connectionId: input.connectionId,
      clinicId: input.clinicId,
      kind: input.kind,
      status: input.mutedUntil ? "muted" : "open",
      count: 1,
      firstSeenAt: input.now,
      lastSeenAt: input.now,
      mutedUntil: input.mutedUntil,
      reopenedFromId: input.reopenedFromId,
      packet: input.packet,
      ...(input.incidentId ? { incidentId: input.incidentId, hold: "held" as const } : {}),
    })
    .onConflictDoUpdate({
      target: [alerts.connectionId, alerts.kind],
      targetWhere: sql`${alerts.status} <> 'resolved'`,
      set: {
        count: sql`${alerts.count} + 1`,
        lastSeenAt: sql`greatest(${alerts.lastSeenAt}, ${now})`,
        packet: input.packet,
        status: sql`case when ${muteExpired} then 'open' else ${alerts.status} end`,
        mutedUntil: sql`case when ${muteExpired} then null else ${alerts.mutedUntil} end`,
      },
    })
    .returning(alertColumns);
  if (!row) throw new Error("upsert returned no row");
  return { ...row, inserted: row.count === 1 };
}

/** The most recent resolved alert per kind: a new sighting of that kind is a recurrence of it. */
export async function latestResolvedAlerts(
  { connectionId, kinds }: { connectionId: string; kinds: readonly AlertKind[] },
  db: DbOrTx,
): Promise<Map<AlertKind, { id: string; mutedUntil: Date | null }>> {
  if (kinds.length === 0) return new Map();
  const rows = await db
    .selectDistinctOn([alerts.kind], { id: alerts.id, kind: alerts.kind, mutedUntil: alerts.mutedUntil })
    .from(alerts)
    .where(and(eq(alerts.connectionId, connectionId), inArray(alerts.kind, [...kinds]), eq(alerts.status, "resolved")))
    .orderBy(alerts.kind, desc(alerts.firstSeenAt));
  return new Map(rows.map((r) => [r.kind, { id: r.id, mutedUntil: r.mutedUntil }]));
}

/** Resolves the connection's unresolved alerts of these kinds; returns them as they now are. */
export async function resolveAlerts(
  { connectionId, kinds, now }: { connectionId: string; kinds: readonly AlertKind[]; now: Date },
  db: DbOrTx,
): Promise<AlertRow[]> {
  if (kinds.length === 0) return [];
  return db
    .update(alerts)
    .set({ status: "resolved", resolvedAt: now })
    .where(and(eq(alerts.connectionId, connectionId), inArray(alerts.kind, [...kinds]), ne(alerts.status, "resolved")))
    .returning(alertColumns);
}

/** Name and contact of a clinic, for addressing and wording alert messages. */
export async function getClinicContact({ clinicId }: { clinicId: string }, db: DbOrTx) {
  const [row] = await db
    .select({ id: clinics.id, name: clinics.name, adminName: clinics.adminName, adminEmail: clinics.adminEmail, timeZone: clinics.timeZone })
    .from(clinics)
    .where(eq(clinics.id, clinicId));
  return row;
}

export async function insertNotifications(rows: NewAlertNotification[], db: DbOrTx): Promise<void> {
  if (rows.length) await db.insert(alertNotifications).values(rows);
}

// ---- the delivery path

export async function getNotification({ notificationId }: { notificationId: string }, db: DbOrTx) {
  const [row] = await db.select().from(alertNotifications).where(eq(alertNotifications.id, notificationId));
  return row;
}

/** Counts one more attempt and returns its number: the attempt rows stay unique even across workers. */
export async function beginDeliveryAttempt({ notificationId }: { notificationId: string }, db: DbOrTx): Promise<number | null> {
  const [row] = await db
    .update(alertNotifications)
    .set({ attempts: sql`${alertNotifications.attempts} + 1` })
    .where(eq(alertNotifications.id, notificationId))
    .returning({ attempts: alertNotifications.attempts });
  return row?.attempts ?? null;
}

export async function recordDeliveryAttempt(row: Omit<NewAlertDelivery, "id" | "at"> & { at?: Date }, db: DbOrTx): Promise<void> {
  await db.insert(alertDeliveries).values(row);
}

/**
 * Moves a notification to its outcome. A settled notification (delivered, failed…) is never
 * moved back to queued or overwritten by a late duplicate run.
 */
export async function settleNotification(
  { notificationId, status, error, at }: { notificationId: string; status: NotificationStatus; error?: string | null; at: Date },
  db: DbOrTx,
): Promise<boolean> {
  const rows = await db
    .update(alertNotifications)
    .set({
      status,
      lastError: error ?? null,
      settledAt: status === "queued" ? null : at,
      // why: a settled message is never sent again, so a sealed link token it carried is wiped
      ...(status === "queued" ? {} : { tokenCiphertext: null, tokenIv: null, tokenTag: null, tokenKeyId: null }),
    })
    .where(and(eq(alertNotifications.id, notificationId), eq(alertNotifications.status, "queued")))
    .returning({ id: alertNotifications.id });
  return rows.length > 0;
}

export async function noteNotificationError({ notificationId, error }: { notificationId: string; error: string }, db: DbOrTx): Promise<void> {
  await db.update(alertNotifications).set({ lastError: error }).where(eq(alertNotifications.id, notificationId));
}

/** True when every one of these alerts is muted right now (a queued opened/reopened message then stays quiet). */
export async function allAlertsMuted({ alertIds, now }: { alertIds: readonly string[]; now: Date }, db: DbOrTx): Promise<boolean> {
  if (alertIds.length === 0) return false;
  const [row] = await db
    .select({ n: count() })
    .from(alerts)
    .where(and(inArray(alerts.id, [...alertIds]), eq(alerts.status, "muted"), gt(alerts.mutedUntil, now)));
  return (row?.n ?? 0) === alertIds.length;
}

/** Whether a reconnect link can still be used (not used, revoked or expired) when its email goes out. */
export async function isLinkLive({ linkId, now }: { linkId: string; now: Date }, db: DbOrTx): Promise<boolean> {
  const [row] = await db
    .select({ id: reconnectLinks.id })
    .from(reconnectLinks)
    .where(
      and(eq(reconnectLinks.id, linkId), sql`${reconnectLinks.usedAt} is null and ${reconnectLinks.revokedAt} is null`, gt(reconnectLinks.expiresAt, now)),
    );
  return row !== undefined;
}

/**
 * One page of every stored message (alert emails, webhooks, reconnect-link emails), newest first,
 * with its delivery status. Bodies only when asked (admins): they are never sent to other roles.
 */
export async function listMessages(
  { unsettledOnly = false, includeBodies, page = 1, pageSize = 50 }: { unsettledOnly?: boolean; includeBodies: boolean; page?: number; pageSize?: number },
  db: DbOrTx,
) {
  const condition = unsettledOnly ? inArray(alertNotifications.status, ["queued", "outboxed"]) : undefined;
  const [rows, [totalRow]] = await Promise.all([
    db
      .select({
        id: alertNotifications.id,
        event: alertNotifications.event,
        channel: alertNotifications.channel,
        target: alertNotifications.target,
        clinicName: clinics.name,
        clinicId: alertNotifications.clinicId,
        audience: alertNotifications.audience,
        /** The message carried a reconnect link (redacted in what is stored): the console offers a new one instead. */
        carriesLink: sql<boolean>`${alertNotifications.linkId} is not null`,
        subject: sql<string | null>`${alertNotifications.content} ->> 'subject'`,
        text: includeBodies ? sql<string | null>`${alertNotifications.content} ->> 'text'` : sql<null>`null`,
        status: alertNotifications.status,
        attempts: alertNotifications.attempts,
        lastError: alertNotifications.lastError,
        createdAt: alertNotifications.createdAt,
        settledAt: alertNotifications.settledAt,
      })
      .from(alertNotifications)
      .leftJoin(clinics, eq(clinics.id, alertNotifications.clinicId))
      .where(condition)
      .orderBy(desc(alertNotifications.createdAt), desc(alertNotifications.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ n: count() }).from(alertNotifications).where(condition),
  ]);
  return { rows, total: totalRow?.n ?? 0 };
}

/** The outbox row for an alert email: created on the first attempt, found again on a retry. */
export async function ensureOutboxEmail(row: { notificationId: string; to: string; subject: string; text: string; html: string | null }, db: DbOrTx) {
  await db.insert(emailOutbox).values(row).onConflictDoNothing({ target: emailOutbox.notificationId });
  const [found] = await db
    .select({ id: emailOutbox.id, sentAt: emailOutbox.sentAt, messageId: emailOutbox.messageId })
    .from(emailOutbox)
    .where(eq(emailOutbox.notificationId, row.notificationId));
  if (!found) throw new Error("outbox row vanished");
  return found;
}

export async function markOutboxEmail(
  { id, sentAt, messageId, error }: { id: string; sentAt?: Date | null; messageId?: string | null; error?: string | null },
  db: DbOrTx,
): Promise<void> {
  await db
    .update(emailOutbox)
    .set({ ...(sentAt !== undefined ? { sentAt } : {}), ...(messageId !== undefined ? { messageId } : {}), error: error ?? null })
    .where(eq(emailOutbox.id, id));
}

// ---- the console's reads and writes

export async function listDeliveryAttempts({ notificationId }: { notificationId: string }, db: DbOrTx) {
  return db
    .select({
      attempt: alertDeliveries.attempt,
      status: alertDeliveries.status,
      channel: alertDeliveries.channel,
      target: alertDeliveries.target,
      event: alertDeliveries.event,
      httpStatus: alertDeliveries.httpStatus,
      error: alertDeliveries.error,
      durationMs: alertDeliveries.durationMs,
      at: alertDeliveries.at,
    })
    .from(alertDeliveries)
    .where(eq(alertDeliveries.notificationId, notificationId))
    .orderBy(asc(alertDeliveries.attempt));
}

/** Sets an alert's acknowledgement or mute; only unresolved alerts change. */
/** Ends a mute: back to acknowledged when someone had acknowledged it, else open. */
export async function unmuteUnresolvedAlert({ alertId }: { alertId: string }, db: DbOrTx): Promise<AlertRow | undefined> {
  return updateUnresolvedAlert(
    { alertId, set: { status: sql`case when ${alerts.acknowledgedAt} is not null then 'acknowledged' else 'open' end`, mutedUntil: null } },
    db,
  );
}

/** Acknowledges every unresolved alert of `alertIds` at once (bulk acknowledge); ends their mutes. */
export async function acknowledgeUnresolvedAlerts(
  { alertIds, by, now }: { alertIds: readonly string[]; by: string; now: Date },
  db: DbOrTx,
): Promise<AlertRow[]> {
  if (alertIds.length === 0) return [];
  return db
    .update(alerts)
    .set({ status: "acknowledged", acknowledgedAt: now, acknowledgedBy: by, mutedUntil: null })
    .where(and(inArray(alerts.id, [...alertIds]), ne(alerts.status, "resolved"), ne(alerts.status, "acknowledged")))
    .returning(alertColumns);
}

export async function updateUnresolvedAlert(
  {
    alertId,
    set,
  }: {
    alertId: string;
    set: { [K in "status" | "acknowledgedAt" | "acknowledgedBy" | "mutedUntil"]?: NewAlert[K] | SQL };
  },
  db: DbOrTx,
): Promise<AlertRow | undefined> {
  const [row] = await db
    .update(alerts)
    .set(set)
    .where(and(eq(alerts.id, alertId), ne(alerts.status, "resolved")))
    .returning(alertColumns);
  return row;
}

/** What "resend a new link" needs from a stored message: its clinic and the purpose of the link it carried. */
export async function getLinkMessage({ notificationId }: { notificationId: string }, db: DbOrTx) {
  const [row] = await db
    .select({ clinicId: alertNotifications.clinicId, audience: alertNotifications.audience, purpose: reconnectLinks.purpose })
    .from(alertNotifications)
    .innerJoin(reconnectLinks, eq(reconnectLinks.id, alertNotifications.linkId))
    .where(eq(alertNotifications.id, notificationId));
  return row;
}

/** The latest messages to one clinic's admin, for the clinic page ("Queued" until really sent, then "Sent"). */
export async function listClinicMessages({ clinicId, limit = 5 }: { clinicId: string; limit?: number }, db: DbOrTx) {
  return db
    .select({
      id: alertNotifications.id,
      event: alertNotifications.event,
      target: alertNotifications.target,
      subject: sql<string | null>`${alertNotifications.content} ->> 'subject'`,
      status: alertNotifications.status,
      lastError: alertNotifications.lastError,
      createdAt: alertNotifications.createdAt,
      settledAt: alertNotifications.settledAt,
    })
    .from(alertNotifications)
    .where(and(eq(alertNotifications.clinicId, clinicId), eq(alertNotifications.audience, "clinic_admin")))
    .orderBy(desc(alertNotifications.createdAt), desc(alertNotifications.id))
    .limit(limit);
}
