import type { Db } from "../../db/client.ts";
import { campaignCounts, campaignMemberDays, countUnsent, getCampaign, listCampaignClinics } from "../../db/queries/campaigns.ts";
import type { Actor } from "../clinics/console-actions.ts";
import { DomainError } from "../errors.ts";
import { todayUtc, type AddToCampaignResult } from "./campaigns.ts";
import { sendCampaignLinks } from "./send-links.ts";
import type { LinkSendDeps } from "../clinics/live.ts";
import type { CampaignStatus } from "../vocabulary.ts";

export const CAMPAIGN_NOT_FOUND = "No campaign has that address.";
/** Clinics per page of a campaign's table. */
const CAMPAIGN_PAGE_SIZE = 100;

/** The campaign page: the campaign, its progress counts, one page of its clinics, what is left to send. Null when unknown. */
export async function loadCampaignPage(
  { campaignId, status, page, now = new Date() }: { campaignId: string; status?: CampaignStatus; page: number; now?: Date },
  db: Db,
) {
  const campaign = await getCampaign({ campaignId }, db);
  if (!campaign) return null;
  const [counts, list, unsent, memberDays] = await Promise.all([
    campaignCounts({ campaignId }, db),
    listCampaignClinics({ campaignId, status, page, pageSize: CAMPAIGN_PAGE_SIZE }, db),
    countUnsent({ campaignId }, db),
    campaignMemberDays({ campaignId }, db),
  ]);
  const today = todayUtc(now);
  return {
    campaign,
    burnDown: burnDown({ members: memberDays, startDay: todayUtc(campaign.createdAt), today, deadline: campaign.deadline }),
    counts,
    list,
    unsent,
    status: status ?? null,
    page,
    pages: Math.max(1, Math.ceil(list.total / CAMPAIGN_PAGE_SIZE)),
    today,
    now: now.getTime(),
  };
}

/** The campaign an action works on; a 404 DomainError when there is none. */
export async function requireCampaign(campaignId: string, db: Db) {
  const campaign = await getCampaign({ campaignId }, db);
  if (!campaign) throw new DomainError(404, CAMPAIGN_NOT_FOUND, { code: "campaign_not_found" });
  return campaign;
}

/** The flash after adding clinics: how many, how many were already in, and why the others were skipped. */
export function describeAddResult(r: AddToCampaignResult): string {
  const parts = [`Added ${r.added} clinic${r.added === 1 ? "" : "s"}${r.added ? ` (${r.movedToPendingDisconnect} now pending disconnect)` : ""}.`];
  if (r.alreadyIn) parts.push(`${r.alreadyIn} already in the campaign.`);
  if (r.skipped.length) {
    const by = new Map<string, number>();
    for (const s of r.skipped) by.set(s.message, (by.get(s.message) ?? 0) + 1);
    parts.push(`${r.skipped.length} skipped: ${[...by].map(([m, n]) => `${n} × ${m.replace(/\.$/, "")}`).join("; ")}.`);
  }
  return parts.join(" ");
}

/**
 * "Send everyone their link" without JavaScript: batch after batch in the one request until nothing
 * is left, a batch makes no progress, or (a retry of the failed ones) after one batch. With
 * JavaScript the page sends single batches itself and shows progress between them.
 */
export async function sendAllCampaignLinks(
  input: { campaignId: string; actor: Actor; publicUrl: string; ttlHours: number; retryFailed: boolean },
  deps: LinkSendDeps & { db: Db },
): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  for (;;) {
    const r = await sendCampaignLinks(input, deps);
    sent += r.sent;
    failed += r.failed.length;
    if (r.remaining === 0 || r.sent + r.failed.length === 0 || input.retryFailed) break;
  }
  return { sent, failed };
}

/**
 * The server's half of a campaign's confirm steps: how many clinics a send (or a retry of the
 * failed sends) or a cancel would touch, or null when `confirmed` already covers that many.
 * why "covers": a batch confirmed for 37 may run while the number left falls; one that grew asks again.
 */
export async function unconfirmedCount(
  { campaignId, kind, confirmed }: { campaignId: string; kind: "send" | "retry" | "cancel"; confirmed: number | undefined },
  db: Db,
): Promise<number | null> {
  let n: number;
  if (kind === "cancel") n = (await campaignCounts({ campaignId }, db)).total;
  else {
    const left = await countUnsent({ campaignId }, db);
    n = kind === "retry" ? left.failed : left.unsent;
  }
  return confirmed === undefined || n > confirmed ? n : null;
}

const DAY_MS = 86_400_000;
const dayOf = (d: string) => Date.parse(`${d}T00:00:00Z`);
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** The longest burn-down drawn: a year-long campaign shows its last 120 days. */
const BURN_DOWN_MAX_DAYS = 120;

export interface BurnDownPoint {
  day: string;
  /** Clinics in the campaign and not reconnected at the end of the day; null for days still ahead. */
  remaining: number | null;
}

/**
 * Clinics remaining (in the campaign, not reconnected) at the end of each UTC day, from the
 * campaign's first day to the deadline (or today, when that is later). A clinic counts from the
 * day it was added until the day its new key went in. Removed clinics are gone from the history too.
 */
export function burnDown({
  members,
  startDay,
  today,
  deadline,
}: {
  members: { addedDay: string; reconnectedDay: string | null }[];
  startDay: string;
  today: string;
  deadline: string;
}): BurnDownPoint[] {
  const end = Math.max(dayOf(today), dayOf(deadline));
  const start = Math.max(dayOf(startDay), end - (BURN_DOWN_MAX_DAYS - 1) * DAY_MS);
  const points: BurnDownPoint[] = [];
  for (let t = start; t <= end; t += DAY_MS) {
    const day = isoDay(t);
    if (day > today) {
      points.push({ day, remaining: null });
      continue;
    }
    const remaining = members.filter((m) => m.addedDay <= day && (m.reconnectedDay === null || m.reconnectedDay > day)).length;
    points.push({ day, remaining });
  }
  return points;
}
