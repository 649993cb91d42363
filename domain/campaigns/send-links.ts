import type { Db } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { claimLinkSends, clinicsForSend, countUnsent, getCampaign, markLinkFailed } from "../../db/queries/campaigns.ts";
import { sendReconnectLink, type LinkSendDeps } from "../clinics/live.ts";
import type { Actor } from "../clinics/console-actions.ts";
import { DomainError } from "../errors.ts";
import { VENDOR_LABELS } from "../vocabulary.ts";

/**
 * "Send everyone their reconnect link": each clinic still waiting gets a link emailed through the
 * same path as the clinic page's "Create and email" (createReconnectLink + the `deliver` queue),
 * in batches so the page can show progress between them. Each clinic is claimed, given its link
 * and its queued email in one transaction (SKIP LOCKED), so two agents pressing at once never
 * email a clinic twice, and a failure part-way loses nobody.
 */

const SEND_BATCH = 25;

export interface SendLinksResult {
  sent: number;
  failed: { clinicId: string; name: string; message: string }[];
  /** Clinics still waiting for a first send after this batch (failed ones excluded). */
  remaining: number;
  /** Clinics whose last send failed (no admin email…): they need a fix, then "retry". */
  failedTotal: number;
}

/** Hours from now until the end of the deadline day (UTC), so a link never expires before the deadline. */
function hoursUntilDeadlineEnd(deadline: string, now: Date): number {
  const end = Date.parse(`${deadline}T23:59:59Z`);
  return Math.max(0, Math.ceil((end - now.getTime()) / 3_600_000));
}

export async function sendCampaignLinks(
  {
    campaignId,
    actor,
    publicUrl,
    ttlHours,
    limit = SEND_BATCH,
    retryFailed = false,
    now = new Date(),
  }: { campaignId: string; actor: Actor; publicUrl: string; ttlHours: number; limit?: number; retryFailed?: boolean; now?: Date },
  deps: LinkSendDeps & { db: Db },
): Promise<SendLinksResult> {
  const { db } = deps;
  const campaign = await getCampaign({ campaignId }, db);
  if (!campaign) throw new DomainError(404, "No campaign has that id.");
  if (campaign.cancelledAt) throw new DomainError(409, "This campaign was cancelled; no more links are sent for it.");
  const ttl = Math.max(ttlHours, hoursUntilDeadlineEnd(campaign.deadline, now));
  const result: SendLinksResult = { sent: 0, failed: [], remaining: 0, failedTotal: 0 };
  const tried: string[] = [];
  // why: claim, create and email ONE clinic per transaction: a failure rolls back that clinic's
  // claim with its link, so nobody is ever marked sent without a link and an email on its way
  for (let i = 0; i < limit; i++) {
    const outcome = await db.transaction(async (tx) => {
      const [clinicId] = await claimLinkSends({ campaignId, limit: 1, retryFailed, exclude: tried }, tx);
      if (!clinicId) return null;
      tried.push(clinicId);
      const [c] = await clinicsForSend({ clinicIds: [clinicId] }, tx);
      const fail = async (message: string) => {
        await markLinkFailed({ campaignId, clinicId, error: message }, tx);
        return { clinicId, name: c?.name ?? clinicId, failed: message };
      };
      if (!c) return fail("The clinic has no connection.");
      // why: a link nobody receives would still revoke the clinic's earlier link; add the email, then retry
      if (!c.adminEmail) return fail("No admin email on file.");
      try {
        await sendReconnectLink(
          {
            clinicId,
            purpose: `${campaign.reason.replace(/[.!]?\s*$/, ".")} Please reconnect by ${campaign.deadline}`,
            email: true,
            actor,
            publicUrl,
            ttlHours: ttl,
            admin: { name: c.adminName, email: c.adminEmail, clinicName: c.name, vendorLabel: VENDOR_LABELS[c.vendor] },
          },
          { ...deps, db: tx },
        );
      } catch (err) {
        // why: a DomainError is thrown before any write of the link, so the claim can still be marked failed
        if (!(err instanceof DomainError)) throw err;
        return fail(err.message);
      }
      return { clinicId, name: c.name, failed: null };
    });
    if (!outcome) break;
    if (outcome.failed) result.failed.push({ clinicId: outcome.clinicId, name: outcome.name, message: outcome.failed });
    else result.sent++;
  }
  const left = await countUnsent({ campaignId }, db);
  result.remaining = left.unsent;
  result.failedTotal = left.failed;
  if (tried.length) {
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "campaign.links_sent",
        details: { campaignId, sent: result.sent, failed: result.failed.length, remaining: result.remaining },
      },
      db,
    );
  }
  return result;
}
