import type { DbOrTx } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { acknowledgeUnresolvedAlerts, unmuteUnresolvedAlert, updateUnresolvedAlert, type AlertRow } from "../../db/queries/alerts.ts";
import { DomainError } from "../errors.ts";

/**
 * What support does to alerts from the console. Each write and its audit
 * entry commit together. Functions return null for an alert that does not exist or is already
 * resolved (a resolved incident is history; a recurrence is a new alert).
 */

export interface Actor {
  userId: string;
  /** The user's email, for the audit log. */
  label: string;
}

// why: at most a year ahead, so nothing is silenced forever by a typo in a date field
const MAX_MUTE_DAYS = 366;

export async function acknowledgeAlert(
  { alertId, actor, now = new Date() }: { alertId: string; actor: Actor; now?: Date },
  db: DbOrTx,
): Promise<AlertRow | null> {
  return db.transaction(async (tx) => {
    // why: acknowledging ends a mute: someone is now on it and wants to hear about recovery
    const row = await updateUnresolvedAlert(
      { alertId, set: { status: "acknowledged", acknowledgedAt: now, acknowledgedBy: actor.userId, mutedUntil: null } },
      tx,
    );
    if (!row) return null;
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "alert.acknowledge", clinicId: row.clinicId, details: { alertId, kind: row.kind } },
      tx,
    );
    return row;
  });
}

/** The most alerts one bulk acknowledge takes (a page of the inbox is 50). */
export const BULK_ACK_LIMIT = 200;

/**
 * Acknowledges several alerts at once (the inbox's bulk acknowledge): one update, one audit entry
 * per alert, all in one transaction. Alerts already acknowledged or resolved are left as they are.
 */
export async function acknowledgeAlerts(
  { alertIds, actor, now = new Date() }: { alertIds: readonly string[]; actor: Actor; now?: Date },
  db: DbOrTx,
): Promise<AlertRow[]> {
  const ids = [...new Set(alertIds)];
  if (ids.length > BULK_ACK_LIMIT) throw new DomainError(400, `Acknowledge at most ${BULK_ACK_LIMIT} alerts at once.`, { field: "alertId" });
  return db.transaction(async (tx) => {
    const rows = await acknowledgeUnresolvedAlerts({ alertIds: ids, by: actor.userId, now }, tx);
    for (const row of rows)
      await recordAudit(
        {
          actorUserId: actor.userId,
          actorLabel: actor.label,
          action: "alert.acknowledge",
          clinicId: row.clinicId,
          details: { alertId: row.id, kind: row.kind, bulk: true },
        },
        tx,
      );
    return rows;
  });
}

/** Silences an alert until a date: repeats still count, nothing is sent (not even its recovery). */
export async function muteAlert(
  { alertId, until, actor, now = new Date() }: { alertId: string; until: Date; actor: Actor; now?: Date },
  db: DbOrTx,
): Promise<AlertRow | null> {
  if (!(until.getTime() > now.getTime())) throw new DomainError(400, "mute date must be in the future", { field: "until", code: "mute_date" });
  if (until.getTime() - now.getTime() > MAX_MUTE_DAYS * 86_400_000)
    throw new DomainError(400, `mute date must be within ${MAX_MUTE_DAYS} days`, { field: "until", code: "mute_date" });
  return db.transaction(async (tx) => {
    const row = await updateUnresolvedAlert({ alertId, set: { status: "muted", mutedUntil: until } }, tx);
    if (!row) return null;
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "alert.mute",
        clinicId: row.clinicId,
        details: { alertId, kind: row.kind, until: until.toISOString() },
      },
      tx,
    );
    return row;
  });
}

export async function unmuteAlert({ alertId, actor }: { alertId: string; actor: Actor }, db: DbOrTx): Promise<AlertRow | null> {
  return db.transaction(async (tx) => {
    const row = await unmuteUnresolvedAlert({ alertId }, tx);
    if (!row) return null;
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "alert.unmute", clinicId: row.clinicId, details: { alertId, kind: row.kind } },
      tx,
    );
    return row;
  });
}
