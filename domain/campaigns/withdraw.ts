import { z } from "zod";
import type { Db, DbOrTx } from "../../db/client.ts";
import { recordAudit, recordAuditMany } from "../../db/queries/audit.ts";
import { deleteCampaignClinic, getCampaign, lockCampaignMembers, markCampaignCancelled } from "../../db/queries/campaigns.ts";
import { insertConnectionEvents, updateConnection } from "../../db/queries/connections.ts";
import type { NewConnectionEvent } from "../../db/schema/index.ts";
import type { Actor } from "../clinics/console-actions.ts";
import { DomainError } from "../errors.ts";
import { recordConnectionChange } from "../events/connection.ts";
import { assertTransition } from "../health/states.ts";
import { STATE_LABELS } from "../vocabulary.ts";

/**
 * Taking a campaign back: one clinic removed from it, or the whole campaign cancelled. A clinic the
 * campaign moved to pending_disconnect goes back to healthy ("the planned disconnect is cancelled",
 * domain/health/states.ts) unless another live campaign still holds it; any other state is left
 * alone (a link already sent stays valid: the clinic may still use it, and a working key is never
 * refused). Each clinic gets a timeline row, and the audit log a row per clinic and one for the campaign.
 */

export const CancelReasonSchema = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
  z.string().trim().max(200, "Keep the reason under 200 characters").optional(),
);

/** The campaign, locked, refused when it is already cancelled. */
async function requireLiveCampaign(campaignId: string, tx: DbOrTx) {
  const campaign = await getCampaign({ campaignId }, tx, true);
  if (!campaign) throw new DomainError(404, "No campaign has that id.");
  if (campaign.cancelledAt) throw new DomainError(409, "This campaign was cancelled; nothing more can be done with it.");
  return campaign;
}

type Member = Awaited<ReturnType<typeof lockCampaignMembers>>[number];

/** The timeline row for a clinic leaving the campaign, moving it back to healthy where the campaign put it in pending_disconnect. */
async function release(
  member: Member,
  campaignName: string,
  why: string,
  actor: Actor,
  now: Date,
  tx: DbOrTx,
): Promise<NewConnectionEvent & { moved: boolean }> {
  const moves = member.state === "pending_disconnect" && !member.inOtherCampaign;
  if (moves) {
    assertTransition("pending_disconnect", "healthy");
    await updateConnection({ connectionId: member.connectionId, patch: { state: "healthy", stateChangedAt: now } }, tx);
    await recordConnectionChange(tx, member.connectionId, {
      from: { state: "pending_disconnect", failureCode: member.failureCode },
      to: { state: "healthy", failureCode: member.failureCode },
      now,
    });
  }
  const stays = member.state === "pending_disconnect" && member.inOtherCampaign ? "another campaign still holds it" : STATE_LABELS[member.state].toLowerCase();
  return {
    connectionId: member.connectionId,
    clinicId: member.clinicId,
    at: now,
    kind: moves ? "state_changed" : "note",
    fromState: member.state,
    toState: moves ? "healthy" : member.state,
    actor: `user:${actor.userId}`,
    message: moves
      ? `${why} "${campaignName}" by ${actor.label}: the planned disconnect is off, back to healthy.`
      : `${why} "${campaignName}" by ${actor.label}; stays ${stays}.`,
    moved: moves,
  };
}

export async function removeClinicFromCampaign(
  { campaignId, clinicId, actor, now = new Date() }: { campaignId: string; clinicId: string; actor: Actor; now?: Date },
  db: Db,
): Promise<{ name: string; movedToHealthy: boolean }> {
  return db.transaction(async (tx) => {
    const campaign = await requireLiveCampaign(campaignId, tx);
    const [member] = await lockCampaignMembers({ campaignId, clinicIds: [clinicId] }, tx);
    if (!member) throw new DomainError(404, "That clinic is not in this campaign (any more).", { field: "clinicId" });
    await deleteCampaignClinic({ campaignId, clinicId }, tx);
    const { moved, ...event } = await release(member, campaign.name, "Removed from the campaign", actor, now, tx);
    await insertConnectionEvents([{ ...event, details: { campaignId } }], tx);
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "campaign.clinic_removed",
        clinicId,
        details: { campaignId, from: member.state, to: moved ? "healthy" : member.state },
      },
      tx,
    );
    return { name: member.name, movedToHealthy: moved };
  });
}

/** Cancels the campaign: every member is released as above; the members stay listed, for the record. */
export async function cancelCampaign(
  { campaignId, reason, actor, now = new Date() }: { campaignId: string; reason?: string; actor: Actor; now?: Date },
  db: Db,
): Promise<{ members: number; movedToHealthy: number }> {
  return db.transaction(async (tx) => {
    const campaign = await requireLiveCampaign(campaignId, tx);
    await markCampaignCancelled({ campaignId, by: actor.userId, reason: reason ?? null, at: now }, tx);
    const members = await lockCampaignMembers({ campaignId }, tx);
    const events: NewConnectionEvent[] = [];
    const audits: Parameters<typeof recordAuditMany>[0] = [];
    let moved = 0;
    for (const m of members) {
      const { moved: didMove, ...event } = await release(m, campaign.name, "Campaign cancelled:", actor, now, tx);
      if (didMove) moved++;
      events.push({ ...event, details: { campaignId, reason: reason ?? null } });
      audits.push({
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "campaign.clinic_released",
        clinicId: m.clinicId,
        details: { campaignId, from: m.state, to: didMove ? "healthy" : m.state },
      });
    }
    await insertConnectionEvents(events, tx);
    await recordAuditMany(audits, tx);
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "campaign.cancelled",
        details: { campaignId, name: campaign.name, reason: reason ?? null, members: members.length, movedToHealthy: moved },
      },
      tx,
    );
    return { members: members.length, movedToHealthy: moved };
  });
}
