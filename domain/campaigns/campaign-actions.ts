import type { Db } from "../../db/client.ts";
import type { Actor } from "../clinics/console-actions.ts";
import type { LinkSendDeps } from "../clinics/live.ts";
import type { ConfirmRequest } from "../confirm.ts";
import { sendAllCampaignLinks, unconfirmedCount } from "./campaign-page.ts";
import { sendCampaignLinks, type SendLinksResult } from "./send-links.ts";
import { cancelCampaign } from "./withdraw.ts";

/**
 * The campaign page's mass actions, each behind its confirm step: the server counts, and a request
 * not confirmed for that many clinics is answered with the question instead of being carried out.
 */

interface CampaignRef {
  id: string;
  name: string;
  deadline: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Cancel the campaign, or ask first. */
export async function cancelCampaignConfirmed(
  { campaign, reason, confirmed, actor, action }: { campaign: CampaignRef; reason?: string; confirmed?: number; actor: Actor; action: string },
  db: Db,
): Promise<{ confirm: ConfirmRequest } | { cancelled: { members: number; movedToHealthy: number } }> {
  // why: enforced here as well as in the dialog: a cancel not confirmed for this many clinics is asked again
  const members = await unconfirmedCount({ campaignId: campaign.id, kind: "cancel", confirmed }, db);
  if (members !== null)
    return {
      confirm: {
        question: `Cancel "${campaign.name}" for ${plural(members, "clinic")}?`,
        details: [
          "No more links are sent and no clinic can be added. Clinics the campaign put in pending disconnect go back to healthy (unless another campaign holds them); links already sent stay valid.",
        ],
        count: members,
        confirmLabel: `Cancel the campaign (${plural(members, "clinic")})`,
        fields: [["intent", "cancel"], ...(reason ? ([["reason", reason]] as [string, string][]) : [])],
        action,
      },
    };
  return { cancelled: await cancelCampaign({ campaignId: campaign.id, reason, actor }, db) };
}

export interface SendCampaignLinksInput {
  campaign: CampaignRef;
  actor: Actor;
  publicUrl: string;
  ttlHours: number;
  retryFailed: boolean;
  /** One batch (the page shows progress between batches), or every batch at once (no JavaScript). */
  batch: boolean;
  confirmed?: number;
  action: string;
}

/** Email the campaign's links, or ask first. */
export async function sendCampaignLinksConfirmed(
  input: SendCampaignLinksInput,
  deps: LinkSendDeps & { db: Db },
): Promise<{ confirm: ConfirmRequest } | { batch: SendLinksResult } | { all: { sent: number; failed: number } }> {
  const { campaign, retryFailed } = input;
  // why: the count is checked on the server before any email: unconfirmed, or more to send than confirmed, asks again
  const toSend = await unconfirmedCount({ campaignId: campaign.id, kind: retryFailed ? "retry" : "send", confirmed: input.confirmed }, deps.db);
  if (toSend !== null)
    return {
      confirm: {
        question: `Email reconnect links to ${plural(toSend, "clinic admin")}?`,
        details: [`Each gets a link of their own for "${campaign.name}", valid at least until ${campaign.deadline}.`],
        count: toSend,
        confirmLabel: `Send ${plural(toSend, "link")}`,
        fields: [["intent", "send-links"], ...(retryFailed ? ([["retryFailed", "1"]] as [string, string][]) : [])],
        action: input.action,
      },
    };
  const base = { campaignId: campaign.id, actor: input.actor, publicUrl: input.publicUrl, ttlHours: input.ttlHours, retryFailed };
  if (input.batch) return { batch: await sendCampaignLinks(base, deps) };
  return { all: await sendAllCampaignLinks(base, deps) };
}
