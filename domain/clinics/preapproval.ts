import { z } from "zod";
import type { Db, DbOrTx } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { lockConnectionOfClinic } from "../../db/queries/clinic-actions.ts";
import { insertConnectionEvents, updateConnection } from "../../db/queries/connections.ts";
import type { NewConnectionEvent } from "../../db/schema/index.ts";
import { DomainError } from "../errors.ts";
import type { AccountChangePreapproval, VendorAccountIdentity } from "../vocabulary.ts";
import type { Actor } from "./console-actions.ts";

/**
 * Pre-approval of an account change (issue 11; docs/decisions/0035): support knows the clinic is
 * moving to a different vendor account (a migration, a new practice entity) and says so on the
 * clinic page, audited and on the timeline. The next working key of a different account — through
 * a reconnect link or entered by support — then connects without asking the clinic admin
 * (checkKeyIdentity reads it from the locked connection), and the pre-approval is consumed by that
 * key (the caller clears the column and records the "account_changed" row this module builds).
 * A key of the same account leaves it standing: the move has not happened yet.
 */

export const PreapprovalNoteSchema = z
  .string()
  .trim()
  .min(3, "Say why the account changes (e.g. migration to a new Cliniko account)")
  .max(200, "Keep it under 200 characters");

async function lockTarget(clinicId: string, tx: DbOrTx) {
  const target = await lockConnectionOfClinic({ clinicId }, tx);
  if (!target) throw new DomainError(404, "This clinic has no connection.");
  if (target.clinicArchivedAt) throw new DomainError(409, "The clinic is archived.", { code: "clinic_archived" });
  return target;
}

export async function preapproveAccountChange(
  { clinicId, note, actor, now = new Date() }: { clinicId: string; note: string; actor: Actor; now?: Date },
  db: Db,
) {
  await db.transaction(async (tx) => {
    const target = await lockTarget(clinicId, tx);
    const preapproval: AccountChangePreapproval = { at: now.toISOString(), by: actor.label, byUserId: actor.userId, note };
    await updateConnection({ connectionId: target.connectionId, patch: { accountChangePreapproval: preapproval } }, tx);
    await insertConnectionEvents(
      [
        {
          connectionId: target.connectionId,
          clinicId,
          at: now,
          kind: "note",
          actor: `user:${actor.userId}`,
          message: `${actor.label} pre-approved a move to a different vendor account: "${note}". The next working key of another account connects without asking the clinic.`,
          details: { accountChangePreapproval: preapproval },
        },
      ],
      tx,
    );
    await recordAudit({ actorUserId: actor.userId, actorLabel: actor.label, action: "connection.account_change_preapproved", clinicId, details: { note } }, tx);
  });
}

export async function withdrawPreapproval({ clinicId, actor, now = new Date() }: { clinicId: string; actor: Actor; now?: Date }, db: Db) {
  await db.transaction(async (tx) => {
    const target = await lockTarget(clinicId, tx);
    await updateConnection({ connectionId: target.connectionId, patch: { accountChangePreapproval: null } }, tx);
    await insertConnectionEvents(
      [
        {
          connectionId: target.connectionId,
          clinicId,
          at: now,
          kind: "note",
          actor: `user:${actor.userId}`,
          message: `${actor.label} withdrew the pre-approved account change: a key of another account is asked about again.`,
        },
      ],
      tx,
    );
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "connection.account_change_preapproval_withdrawn", clinicId, details: {} },
      tx,
    );
  });
}

/**
 * The timeline row for a key of a different account that connected without a question: either
 * support pre-approved it (consumed here: audited; the caller clears the column in its patch) or
 * the recorded account's key saw no patients (the wrong-account cure, docs/decisions/0026).
 */
export async function accountChangedEvent(
  {
    conn,
    changed,
    actor,
    now,
  }: {
    conn: { id: string; clinicId: string; accountChangePreapproval: AccountChangePreapproval | null };
    changed: { from: VendorAccountIdentity; to: VendorAccountIdentity };
    actor: string;
    now: Date;
  },
  tx: DbOrTx,
): Promise<NewConnectionEvent> {
  const pre = conn.accountChangePreapproval;
  if (pre) {
    await recordAudit(
      {
        actorUserId: null,
        actorLabel: actor.startsWith("user:") ? actor : "reconnect link",
        action: "connection.account_change_preapproval_used",
        clinicId: conn.clinicId,
        details: { preapproval: pre, account: changed.to, previousAccount: changed.from },
      },
      tx,
    );
  }
  return {
    connectionId: conn.id,
    clinicId: conn.clinicId,
    at: now,
    kind: "account_changed",
    actor,
    message: pre
      ? `Account changed from ${changed.from.name} to ${changed.to.name} without asking the clinic: ${pre.by} pre-approved it ("${pre.note}"). The pre-approval is used up.`
      : `Account changed from ${changed.from.name}, whose key saw no patients, to ${changed.to.name} with the new key.`,
    details: { account: changed.to, previousAccount: changed.from, ...(pre ? { preapproval: pre } : {}) },
  };
}
