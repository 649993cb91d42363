import { z } from "zod";
import type { DbOrTx } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { lockConnectionOfClinic } from "../../db/queries/clinic-actions.ts";
import { insertConnectionEvents, mergeSupportFindings, updateConnection } from "../../db/queries/connections.ts";
import { rehintRegion } from "../connections/key-storage.ts";
import { DomainError } from "../errors.ts";
import { recordConnectionChange } from "../events/connection.ts";
import { assertTransition, canTransition } from "../health/states.ts";
import { STATE_LABELS } from "../vocabulary.ts";

/**
 * What an agent does to one clinic's connection from its page. Each function locks the connection,
 * checks the state machine, and writes the change, its timeline event and its audit entry in one
 * transaction. They throw DomainError for things a person can fix (the route shows it).
 */

export interface Actor {
  userId: string;
  label: string;
}

export const NoteSchema = z.string().trim().min(1, "Write the note first").max(2000, "Keep notes under 2,000 characters");
export const PauseReasonSchema = z.string().trim().max(300, "Keep the reason under 300 characters").optional();

async function locked(clinicId: string, tx: Parameters<typeof lockConnectionOfClinic>[1]) {
  const row = await lockConnectionOfClinic({ clinicId }, tx);
  if (!row) throw new DomainError(404, "No clinic with a connection has that id.");
  if (row.clinicArchivedAt) throw new DomainError(409, "This clinic is archived; restore it first.");
  return row;
}

const actorTag = (a: Actor) => `user:${a.userId}`;

export async function pauseConnection({ clinicId, reason, actor }: { clinicId: string; reason?: string; actor: Actor }, db: DbOrTx): Promise<void> {
  await db.transaction(async (tx) => {
    const c = await locked(clinicId, tx);
    if (c.state === "paused") throw new DomainError(409, "The connection is already paused.");
    assertTransition(c.state, "paused");
    const now = new Date();
    // why: the failure code says why nothing is probed; decide() keeps counters for when it resumes
    await updateConnection({ connectionId: c.connectionId, patch: { state: "paused", stateChangedAt: now, failureCode: "integration_paused" } }, tx);
    await recordConnectionChange(tx, c.connectionId, {
      from: { state: c.state, failureCode: c.failureCode },
      to: { state: "paused", failureCode: "integration_paused" },
      now,
    });
    await insertConnectionEvents(
      [
        {
          connectionId: c.connectionId,
          clinicId,
          at: now,
          kind: "state_changed",
          fromState: c.state,
          toState: "paused",
          failureCode: "integration_paused",
          actor: actorTag(actor),
          message: `Paused by ${actor.label}${reason ? `: ${reason}` : ""}. No probes run until it is resumed.`,
          details: { reason: reason ?? null, previousFailureCode: c.failureCode },
        },
      ],
      tx,
    );
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "connection.pause", clinicId, details: { from: c.state, reason: reason ?? null } },
      tx,
    );
  });
}

/** Back to setup_pending (the only support edge out of paused that is not a link); the caller probes right after. */
export async function resumeConnection({ clinicId, actor }: { clinicId: string; actor: Actor }, db: DbOrTx): Promise<{ connectionId: string }> {
  return db.transaction(async (tx) => {
    const c = await locked(clinicId, tx);
    if (c.state !== "paused") throw new DomainError(409, `The connection is not paused (it is ${STATE_LABELS[c.state].toLowerCase()}).`);
    assertTransition("paused", "setup_pending");
    const now = new Date();
    await updateConnection({ connectionId: c.connectionId, patch: { state: "setup_pending", stateChangedAt: now, failureCode: null } }, tx);
    await recordConnectionChange(tx, c.connectionId, {
      from: { state: "paused", failureCode: c.failureCode },
      to: { state: "setup_pending", failureCode: null },
      now,
    });
    await insertConnectionEvents(
      [
        {
          connectionId: c.connectionId,
          clinicId,
          at: now,
          kind: "state_changed",
          fromState: "paused",
          toState: "setup_pending",
          actor: actorTag(actor),
          message: `Resumed by ${actor.label}; probing now to see where it stands.`,
        },
      ],
      tx,
    );
    await recordAudit({ actorUserId: actor.userId, actorLabel: actor.label, action: "connection.resume", clinicId, details: {} }, tx);
    return { connectionId: c.connectionId };
  });
}

/** One click for wrong_region: store the region the key works in; the caller re-probes. */
export async function applySuggestedRegion(
  { clinicId, actor }: { clinicId: string; actor: Actor },
  db: DbOrTx,
): Promise<{ connectionId: string; region: string }> {
  return db.transaction(async (tx) => {
    const c = await locked(clinicId, tx);
    if (c.failureCode !== "wrong_region" || !c.suggestedRegion)
      throw new DomainError(409, "There is no suggested region to apply (the last probe did not find one).");
    const now = new Date();
    // why: the hint names the region the key is used in; it follows the change (issue 11)
    await updateConnection(
      { connectionId: c.connectionId, patch: { region: c.suggestedRegion, keyHint: rehintRegion(c.vendor, c.keyHint, c.suggestedRegion) } },
      tx,
    );
    await insertConnectionEvents(
      [
        {
          connectionId: c.connectionId,
          clinicId,
          at: now,
          kind: "region_changed",
          fromState: c.state,
          toState: c.state,
          failureCode: c.failureCode,
          actor: actorTag(actor),
          message: `Region changed from ${c.region} to ${c.suggestedRegion} by ${actor.label} (the key works there).`,
          details: { from: c.region, to: c.suggestedRegion },
        },
      ],
      tx,
    );
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "connection.apply_region", clinicId, details: { from: c.region, to: c.suggestedRegion } },
      tx,
    );
    return { connectionId: c.connectionId, region: c.suggestedRegion };
  });
}

export async function addNote({ clinicId, text, actor }: { clinicId: string; text: string; actor: Actor }, db: DbOrTx): Promise<void> {
  await db.transaction(async (tx) => {
    const c = await lockConnectionOfClinic({ clinicId }, tx);
    if (!c) throw new DomainError(404, "No clinic with a connection has that id.");
    await insertConnectionEvents(
      [
        {
          connectionId: c.connectionId,
          clinicId,
          kind: "note",
          fromState: c.state,
          toState: c.state,
          actor: actorTag(actor),
          message: `Note from ${actor.label}: ${text}`,
        },
      ],
      tx,
    );
    await recordAudit({ actorUserId: actor.userId, actorLabel: actor.label, action: "clinic.note", clinicId, details: { length: text.length } }, tx);
  });
}

/**
 * Support records that the clinic is copying notes by hand for the day (or that it stopped): on the
 * timeline, in the audit log and in the escalation packet, so whoever picks the ticket up knows the
 * clinic is working around the outage and what they are waiting for.
 */
export async function setManualNotes(
  { clinicId, on, note, actor, now = new Date() }: { clinicId: string; on: boolean; note?: string; actor: Actor; now?: Date },
  db: DbOrTx,
): Promise<void> {
  await db.transaction(async (tx) => {
    const c = await lockConnectionOfClinic({ clinicId }, tx);
    if (!c) throw new DomainError(404, "No clinic with a connection has that id.");
    const text = note?.trim() || null;
    await mergeSupportFindings(
      { connectionId: c.connectionId, patch: { manualNotes: on ? { since: now.toISOString(), note: text, by: actor.label } : null } },
      tx,
    );
    await insertConnectionEvents(
      [
        {
          connectionId: c.connectionId,
          clinicId,
          at: now,
          kind: "note",
          fromState: c.state,
          toState: c.state,
          actor: actorTag(actor),
          message: on
            ? `${actor.label}: the clinic is copying notes by hand for the day${text ? ` — ${text}` : ""}.`
            : `${actor.label}: the clinic is no longer copying notes by hand.`,
        },
      ],
      tx,
    );
    await recordAudit({ actorUserId: actor.userId, actorLabel: actor.label, action: "clinic.manual_notes", clinicId, details: { on } }, tx);
  });
}

/** Whether a state may take a support-sent reconnect link (for showing the button at all). */
export function canSendReconnectLink(state: Parameters<typeof canTransition>[0]): boolean {
  return state === "reconnect_pending" || canTransition(state, "reconnect_pending");
}
