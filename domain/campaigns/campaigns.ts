import { z } from "zod";
import type { Db, DbOrTx } from "../../db/client.ts";
import { recordAudit, recordAuditMany } from "../../db/queries/audit.ts";
import { getCampaign, insertCampaign, insertCampaignClinics, lockClinicsForCampaign } from "../../db/queries/campaigns.ts";
import { insertConnectionEvents, updateConnection } from "../../db/queries/connections.ts";
import { listClinicIds, type ClinicListFilters } from "../../db/queries/clinics.ts";
import type { NewConnectionEvent } from "../../db/schema/index.ts";
import type { Actor } from "../clinics/console-actions.ts";
import { DomainError } from "../errors.ts";
import { recordConnectionChanges, type ConnectionChangeOf } from "../events/connection.ts";
import { assertTransition, canTransition } from "../health/states.ts";
import { type ConnectionState, STATE_LABELS, VENDOR_LABELS, VENDORS } from "../vocabulary.ts";

/**
 * Migration campaigns: a planned change every clinic in the campaign must reconnect for before a
 * deadline. Adding a clinic moves its connection to pending_disconnect where the state machine
 * allows it (healthy, degraded); a clinic that is already broken or waiting on a link keeps its
 * state (it needs the same reconnect link anyway) and the timeline says so.
 */

/** The date the browser's date input sends; compared as UTC calendar days. */
const DAY = /^\d{4}-\d{2}-\d{2}$/;
export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

export const CreateCampaignSchema = z.object({
  name: z.string().trim().min(1, "Name the campaign").max(120, "Keep the name under 120 characters"),
  vendor: z.enum(VENDORS, "Pick the vendor the clinics use"),
  // why: the reason is the reconnect link's purpose, which clinics read and which is capped at 200
  reason: z.string().trim().min(1, "Say why clinics must reconnect; they read this in the email").max(160, "Keep the reason under 160 characters"),
  deadline: z
    .string()
    .trim()
    .regex(DAY, "Pick a deadline date")
    .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), "Pick a real date")
    .refine((d) => d >= todayUtc(), "The deadline cannot be in the past"),
});
export type CreateCampaignInput = z.output<typeof CreateCampaignSchema>;

export async function createCampaign({ input, actor }: { input: CreateCampaignInput; actor: Actor }, db: Db): Promise<{ campaignId: string }> {
  return db.transaction(async (tx) => {
    const { id } = await insertCampaign({ ...input, createdBy: actor.userId }, tx);
    await recordAudit({ actorUserId: actor.userId, actorLabel: actor.label, action: "campaign.created", details: { campaignId: id, ...input } }, tx);
    return { campaignId: id };
  });
}

type SkipReason = "not_found" | "archived" | "other_vendor";
export interface AddToCampaignResult {
  added: number;
  /** Of the added: how many moved to pending_disconnect (the rest kept a state that cannot). */
  movedToPendingDisconnect: number;
  alreadyIn: number;
  skipped: { clinicId: string; name: string | null; reason: SkipReason; message: string }[];
}

export const MAX_CAMPAIGN_ADD = 10_000;

/**
 * Adds clinics on the caller's transaction. Clinics that cannot join (unknown, archived, no
 * connection, another vendor) are returned as skipped with a reason, never silently dropped.
 */
export async function addClinicsInTx(
  {
    campaignId,
    clinicIds,
    actor,
    via,
    now = new Date(),
  }: { campaignId: string; clinicIds: string[]; actor: Actor; via: "selection" | "filter" | "csv"; now?: Date },
  tx: DbOrTx,
): Promise<AddToCampaignResult> {
  const campaign = await getCampaign({ campaignId }, tx, true);
  if (!campaign) throw new DomainError(404, "No campaign has that id.");
  if (campaign.cancelledAt) throw new DomainError(409, "This campaign was cancelled; no clinics can join it.", { field: "campaignId" });
  const unique = [...new Set(clinicIds)];
  if (unique.length > MAX_CAMPAIGN_ADD) throw new DomainError(409, `Add at most ${MAX_CAMPAIGN_ADD.toLocaleString("en-AU")} clinics at a time.`);
  const rows = await lockClinicsForCampaign({ campaignId, clinicIds: unique }, tx);
  const found = new Map(rows.map((r) => [r.clinicId, r]));
  const result: AddToCampaignResult = { added: 0, movedToPendingDisconnect: 0, alreadyIn: 0, skipped: [] };
  const members: { campaignId: string; clinicId: string; addedAt: Date; addedBy: string; fromState: ConnectionState }[] = [];
  const events: NewConnectionEvent[] = [];
  const changes: ConnectionChangeOf[] = [];
  const audits: Parameters<typeof recordAuditMany>[0] = [];
  const vendorLabel = VENDOR_LABELS[campaign.vendor];

  for (const clinicId of unique) {
    const r = found.get(clinicId);
    if (!r) {
      result.skipped.push({ clinicId, name: null, reason: "not_found", message: "No clinic with a connection has this id." });
      continue;
    }
    if (r.archivedAt) {
      result.skipped.push({ clinicId, name: r.name, reason: "archived", message: "The clinic is archived." });
      continue;
    }
    if (r.vendor !== campaign.vendor) {
      result.skipped.push({
        clinicId,
        name: r.name,
        reason: "other_vendor",
        message: `The clinic uses ${VENDOR_LABELS[r.vendor]}; this campaign is for ${vendorLabel}.`,
      });
      continue;
    }
    if (r.alreadyIn) {
      result.alreadyIn++;
      continue;
    }
    const moves = r.state !== "pending_disconnect" && canTransition(r.state, "pending_disconnect");
    if (moves) {
      assertTransition(r.state, "pending_disconnect");
      await updateConnection({ connectionId: r.connectionId, patch: { state: "pending_disconnect", stateChangedAt: now } }, tx);
      changes.push({
        connectionId: r.connectionId,
        from: { state: r.state, failureCode: r.failureCode },
        to: { state: "pending_disconnect", failureCode: r.failureCode },
        now,
      });
      result.movedToPendingDisconnect++;
    }
    const toState: ConnectionState = moves ? "pending_disconnect" : r.state;
    members.push({ campaignId, clinicId, addedAt: now, addedBy: actor.userId, fromState: r.state });
    events.push({
      connectionId: r.connectionId,
      clinicId,
      at: now,
      kind: moves ? "state_changed" : "note",
      fromState: r.state,
      toState,
      actor: `user:${actor.userId}`,
      message: moves
        ? `Added to the campaign "${campaign.name}" by ${actor.label}: the clinic must reconnect ${vendorLabel} by ${campaign.deadline}. ${campaign.reason}`
        : `Added to the campaign "${campaign.name}" by ${actor.label} (deadline ${campaign.deadline}); stays ${STATE_LABELS[r.state].toLowerCase()}, which the reconnect link resolves.`,
      details: { campaignId, deadline: campaign.deadline },
    });
    audits.push({
      actorUserId: actor.userId,
      actorLabel: actor.label,
      action: "campaign.clinic_added",
      clinicId,
      details: { campaignId, via, from: r.state, to: toState },
    });
    result.added++;
  }
  await insertCampaignClinics(members, tx);
  await insertConnectionEvents(events, tx);
  await recordConnectionChanges(tx, changes);
  await recordAuditMany(audits, tx);
  return result;
}

/**
 * Adds the given clinics (a selection from the clinics table, or any list of ids) to a campaign in
 * one transaction. The bulk-actions code calls this with the selected ids.
 */
export async function addClinicsToCampaign(
  { campaignId, clinicIds, actor }: { campaignId: string; clinicIds: string[]; actor: Actor },
  db: Db,
): Promise<AddToCampaignResult> {
  return db.transaction((tx) => addClinicsInTx({ campaignId, clinicIds, actor, via: "selection" }, tx));
}

/** Adds every clinic matching the clinics table's filters; the vendor is always the campaign's. */
export async function addClinicsByFilter(
  { campaignId, filters, actor }: { campaignId: string; filters: Omit<ClinicListFilters, "vendor" | "clinicIds">; actor: Actor },
  db: Db,
): Promise<AddToCampaignResult & { matched: number }> {
  const campaign = await getCampaign({ campaignId }, db);
  if (!campaign) throw new DomainError(404, "No campaign has that id.");
  const ids = await listClinicIds({ filters: { ...filters, vendor: campaign.vendor }, limit: MAX_CAMPAIGN_ADD + 1 }, db);
  if (ids.length > MAX_CAMPAIGN_ADD) throw new DomainError(409, `More than ${MAX_CAMPAIGN_ADD.toLocaleString("en-AU")} clinics match; narrow the filter.`);
  const result = await db.transaction((tx) => addClinicsInTx({ campaignId, clinicIds: ids, actor, via: "filter" }, tx));
  return { ...result, matched: ids.length };
}
