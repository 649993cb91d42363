import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { resolveAlerts } from "../../db/queries/alerts.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { insertConnectionEvents } from "../../db/queries/connections.ts";
import { findClinicsByNameKeys, lockClinic, lockClinicNames, updateClinic } from "../../db/queries/clinic-records.ts";
import { DomainError } from "../errors.ts";
import { recordAlertEvents } from "../events/alerts.ts";
import { clinicNameTaken } from "./add-clinic.ts";
import { ClinicDetailsSchema, nameKey, type ClinicDetails } from "./clinic-fields.ts";
import type { Actor } from "./console-actions.ts";
import { ALERT_KINDS } from "../vocabulary.ts";

/**
 * Editing a clinic's own details, archiving and restoring it. A clinic is never deleted: archiving
 * sets clinics.archived_at, which takes it out of the table, the sweep, alerts and reconnect links,
 * while its timeline and audit history stay readable (docs/decisions/0011-adding-clinics-and-campaigns.md).
 */

export const EditClinicSchema = ClinicDetailsSchema;
export const ArchiveReasonSchema = z.string().trim().max(300, "Keep the reason under 300 characters").optional();

const LABELS: Record<keyof ClinicDetails, string> = {
  name: "name",
  timeZone: "time zone",
  country: "country",
  adminName: "admin name",
  adminEmail: "admin email",
};

export async function editClinicDetails(
  { clinicId, details, actor }: { clinicId: string; details: ClinicDetails; actor: Actor },
  db: Db,
): Promise<{ changed: string[] }> {
  return db.transaction(async (tx) => {
    const row = await lockClinic({ clinicId }, tx);
    if (!row) throw new DomainError(404, "No clinic has that id.");
    if (row.clinic.archivedAt) throw new DomainError(409, "This clinic is archived; restore it before editing it.");
    const changes: Record<string, { from: string | null; to: string | null }> = {};
    for (const field of Object.keys(LABELS) as (keyof ClinicDetails)[]) {
      const before = row.clinic[field] ?? null;
      if (before !== details[field]) changes[field] = { from: before, to: details[field] };
    }
    const fields = Object.keys(changes) as (keyof ClinicDetails)[];
    if (fields.length === 0) return { changed: [] };
    if (changes.name && nameKey(details.name) !== nameKey(row.clinic.name)) {
      await lockClinicNames(tx);
      const [taken] = await findClinicsByNameKeys({ keys: [nameKey(details.name)], exceptClinicId: clinicId }, tx);
      if (taken) throw clinicNameTaken(taken.name, taken.archivedAt !== null);
    }
    await updateClinic({ clinicId, patch: Object.fromEntries(fields.map((f) => [f, details[f]])) }, tx);
    const words = fields.map((f) => LABELS[f]);
    if (row.connectionId) {
      await insertConnectionEvents(
        [
          {
            connectionId: row.connectionId,
            clinicId,
            kind: "note",
            fromState: row.state,
            toState: row.state,
            actor: `user:${actor.userId}`,
            message: `Details edited by ${actor.label}: ${words.join(", ")}${changes.name ? ` (was "${changes.name.from}")` : ""}.`,
            details: { changed: fields },
          },
        ],
        tx,
      );
    }
    await recordAudit({ actorUserId: actor.userId, actorLabel: actor.label, action: "clinic.updated", clinicId, details: { changes } }, tx);
    return { changed: words };
  });
}

export async function archiveClinic({ clinicId, reason, actor }: { clinicId: string; reason?: string; actor: Actor }, db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await lockClinic({ clinicId }, tx);
    if (!row) throw new DomainError(404, "No clinic has that id.");
    if (row.clinic.archivedAt) throw new DomainError(409, "This clinic is already archived.");
    const now = new Date();
    await updateClinic({ clinicId, patch: { archivedAt: now } }, tx);
    // why: an archived clinic is no longer probed, so its open alerts would never resolve; close them
    // quietly (no "recovered" message: nothing recovered)
    const closed = row.connectionId ? await resolveAlerts({ connectionId: row.connectionId, kinds: ALERT_KINDS, now }, tx) : [];
    await recordAlertEvents(tx, { resolved: closed, reason: "clinic_archived" });
    if (row.connectionId) {
      await insertConnectionEvents(
        [
          {
            connectionId: row.connectionId,
            clinicId,
            at: now,
            kind: "note",
            fromState: row.state,
            toState: row.state,
            actor: `user:${actor.userId}`,
            message: `Archived by ${actor.label}${reason ? `: ${reason}` : ""}. It is no longer probed or listed; its history is kept and it can be restored.${closed.length ? ` ${closed.length} open alert${closed.length === 1 ? "" : "s"} closed.` : ""}`,
            details: { archived: true, reason: reason ?? null, alertsClosed: closed.map((a) => a.id) },
          },
        ],
        tx,
      );
    }
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "clinic.archived", clinicId, details: { reason: reason ?? null, state: row.state } },
      tx,
    );
  });
}

export async function restoreClinic({ clinicId, actor }: { clinicId: string; actor: Actor }, db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await lockClinic({ clinicId }, tx);
    if (!row) throw new DomainError(404, "No clinic has that id.");
    if (!row.clinic.archivedAt) throw new DomainError(409, "This clinic is not archived.");
    await updateClinic({ clinicId, patch: { archivedAt: null } }, tx);
    if (row.connectionId) {
      await insertConnectionEvents(
        [
          {
            connectionId: row.connectionId,
            clinicId,
            kind: "note",
            fromState: row.state,
            toState: row.state,
            actor: `user:${actor.userId}`,
            message: `Restored by ${actor.label}; the next sweep probes it again.`,
            details: { archived: false },
          },
        ],
        tx,
      );
    }
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "clinic.restored", clinicId, details: { archivedAt: row.clinic.archivedAt.toISOString() } },
      tx,
    );
  });
}
