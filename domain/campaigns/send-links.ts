import type { Db } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { claimLinkSends, clinicsForSend, countUnsent, getCampaign, markLinkFailed } from "../../db/queries/campaigns.ts";
import { sendReconnectLink } from "../clinics/live.ts";
import type { Actor } from "../clinics/console-actions.ts";
import { DomainError } from "../errors.ts";
import { VENDOR_LABELS } from "../vocabulary.ts";

/**
 * "Send everyone their reconnect link": each clinic still waiting gets a link emailed through the
 * same path as the clinic page's "Create and email" (createReconnectLink + email_outbox), in
 * batches so the page can show progress between them. Rows are claimed before sending, so two
 * agents pressing at once never email a clinic twice.
 */

export const SEND_BATCH = 25;

export interface SendLinksResult {
  sent: number;
  failed: { clinicId: string; name: string; message: string }[];
  /** Clinics still waiting for a first send after this batch (failed ones excluded). */
  remaining: number;
  /** Clinics whose last send failed (no admin email…): they need a fix, then "retry". */
  failedTotal: number;
}

/** Hours from now until the end of the deadline day (UTC), so a link never expires before the deadline. */
export function hoursUntilDeadlineEnd(deadline: string, now: Date): number {
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
  db: Db,
): Promise<SendLinksResult> {
  const campaign = await getCampaign({ campaignId }, db);
  if (!campaign) throw new DomainError(404, "No campaign has that id.");
  const claimed = await db.transaction((tx) => claimLinkSends({ campaignId, limit, retryFailed }, tx));
  const clinics = new Map((await clinicsForSend({ clinicIds: claimed }, db)).map((c) => [c.clinicId, c]));
  const ttl = Math.max(ttlHours, hoursUntilDeadlineEnd(campaign.deadline, now));
  const result: SendLinksResult = { sent: 0, failed: [], remaining: 0, failedTotal: 0 };
  for (const clinicId of claimed) {
    const c = clinics.get(clinicId);
    const fail = async (message: string) => {
      await markLinkFailed({ campaignId, clinicId, error: message }, db);
      result.failed.push({ clinicId, name: c?.name ?? clinicId, message });
    };
    if (!c) {
      await fail("The clinic has no connection.");
      continue;
    }
    if (!c.adminEmail) {
      // why: a link nobody receives would still revoke the clinic's earlier link; add the email, then retry
      await fail("No admin email on file.");
      continue;
    }
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
        db,
      );
      result.sent++;
    } catch (err) {
      if (!(err instanceof DomainError)) {
        await markLinkFailed({ campaignId, clinicId, error: "Sending failed unexpectedly; retry." }, db);
        throw err;
      }
      await fail(err.message);
    }
  }
  const left = await countUnsent({ campaignId }, db);
  result.remaining = left.unsent;
  result.failedTotal = left.failed;
  if (claimed.length) {
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "campaign.links_sent", details: { campaignId, sent: result.sent, failed: result.failed.length, remaining: result.remaining } },
      db,
    );
  }
  return result;
}
