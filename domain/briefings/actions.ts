import type { ActionFacts, FreeSlot } from "./metrics.ts";
import { divRound, formatMoney, moneyString, parseMoney } from "./money.ts";
import type { BriefingAction } from "./report.ts";

/**
 * The briefing's action rules, all here (issue 14). Each rule reads the week's facts and proposes
 * candidates that cite their numbers, or says why it proposes none. Candidates are ranked by the
 * money at stake: money stakes as they are, hour stakes × revenue per attended hour (rankValue);
 * the best of each rule first, then the rest, three in all. Fewer only when fewer rules fire, and
 * then `fewerActionsReason` gathers the rules' reasons.
 */

/** Targets the rules compare with (clinic consultants quote 75–85% utilisation; unverified). */
const TARGETS = { utilisation: 0.8, utilisationDropPoints: 0.1, dnaRate: 0.03, lateRate: 0.02, rebooking: 0.7 } as const;

type RuleResult = { candidates: BriefingAction[] } | { none: string };
export type Rule = (f: ActionFacts) => RuleResult;

const WEEKDAYS = ["", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const pct = (r: number) => `${Math.round(r * 100)}%`;
const hoursText = (h: number) => `${h.toFixed(1).replace(/\.0$/, "")} hour${h === 1 ? "" : "s"}`;
const round1 = (h: number) => Math.round(h * 10) / 10;

/** hours × rate per hour, exact, as a decimal string (0 without a rate). */
export function hoursValue(hours: number, perHour: string | null): string {
  if (perHour === null) return "0.00";
  return moneyString(divRound(parseMoney(perHour) * BigInt(Math.round(hours * 100)), 100n));
}

const moneyAction = (rule: string, title: string, detail: string, amount: string): BriefingAction => ({
  rule,
  title,
  detail,
  stake: { kind: "money", amount },
  rankValue: amount,
});
const hoursAction = (rule: string, title: string, detail: string, hours: number, perHour: string | null): BriefingAction => ({
  rule,
  title,
  detail,
  stake: { kind: "hours", hours: round1(hours) },
  rankValue: hoursValue(round1(hours), perHour),
});

/** "Tuesday and Thursday afternoons", "Monday morning and Friday afternoon" — the two half-days with the most free time. */
export function describeSlots(slots: readonly FreeSlot[]): string | null {
  const top = slots.slice(0, 2).sort((a, b) => a.weekday - b.weekday);
  if (top.length === 0) return null;
  if (top.length === 2 && top[0]!.half === top[1]!.half) return `${WEEKDAYS[top[0]!.weekday]} and ${WEEKDAYS[top[1]!.weekday]} ${top[0]!.half}s`;
  return top.map((s) => `${WEEKDAYS[s.weekday]} ${s.half}`).join(" and ");
}

export const chaseOverdueInvoices: Rule = (f) => {
  if (f.overdue.count === 0 || parseMoney(f.overdue.amount) <= 0n) return { none: "no invoices are open more than 30 days" };
  const amount = formatMoney(f.overdue.amount, f.currency);
  const n = f.overdue.count;
  return {
    candidates: [
      moneyAction(
        "chase_overdue_invoices",
        `Chase the ${n} invoice${n === 1 ? "" : "s"} over 30 days: ${amount} outstanding`,
        `${n} invoice${n === 1 ? " was" : "s were"} still open more than 30 days after issue at the end of the week, ${amount} in all. A reminder this week is usually enough for most of them.`,
        f.overdue.amount,
      ),
    ],
  };
};

export const practitionerUtilisationDrop: Rule = (f) => {
  const candidates: BriefingAction[] = [];
  for (const p of f.practitioners) {
    if (p.rate === null || p.previousRate === null || p.availableMinutes === 0) continue;
    const drop = p.previousRate - p.rate;
    if (drop < TARGETS.utilisationDropPoints) continue;
    const hours = (drop * p.availableMinutes) / 60;
    const slots = describeSlots(p.freeSlots);
    candidates.push(
      hoursAction(
        "practitioner_utilisation_drop",
        `${p.name}'s utilisation fell to ${pct(p.rate)} from ${pct(p.previousRate)}: open ${slots ?? "their free time"} to online booking`,
        `${p.name} was booked ${hoursText(round1(p.bookedMinutes / 60))} of ${hoursText(round1(p.availableMinutes / 60))} available; at the previous rate that is ${hoursText(round1(hours))} more.${slots ? ` Their most free time was ${slots}.` : ""}`,
        hours,
        p.revenuePerAttendedHour ?? f.revenuePerAttendedHour,
      ),
    );
  }
  return candidates.length > 0
    ? { candidates }
    : { none: `no practitioner's utilisation fell by ${Math.round(TARGETS.utilisationDropPoints * 100)} points or more` };
};

export const unusedCapacity: Rule = (f) => {
  const { rate, availableMinutes, bookedMinutes } = f.utilisation;
  if (rate === null || availableMinutes === 0) return { none: "no availability to measure unused capacity against" };
  const hours = (TARGETS.utilisation * availableMinutes - bookedMinutes) / 60;
  if (hours < 1) return { none: `utilisation was ${pct(rate)}, at or above the ${pct(TARGETS.utilisation)} target` };
  const slots = describeSlots(f.freeSlots);
  return {
    candidates: [
      hoursAction(
        "unused_capacity",
        `Fill ${hoursText(Math.round(hours))} of unused capacity${slots ? `, mostly ${slots}` : ""}`,
        `Utilisation was ${pct(rate)} (${hoursText(round1(bookedMinutes / 60))} booked of ${hoursText(round1(availableMinutes / 60))} available); reaching ${pct(TARGETS.utilisation)} means ${hoursText(round1(hours))} more. Offer these times to waitlisted and overdue patients.`,
        hours,
        f.revenuePerAttendedHour,
      ),
    ],
  };
};

export const dnaReminders: Rule = (f) => {
  const { count, minutes, rate, previous } = f.dna;
  if (rate === null || count === 0) return { none: "no did-not-arrives last week" };
  const up = previous !== null && rate > previous;
  if (rate < TARGETS.dnaRate && !(up && count >= 3)) return { none: `the did-not-arrive rate was ${pct(rate)}, under ${pct(TARGETS.dnaRate)}` };
  const hours = minutes / 60;
  const trend = previous === null ? "" : up ? `, up from ${pct(previous)}` : `, against ${pct(previous)} before`;
  return {
    candidates: [
      hoursAction(
        "dna_reminders",
        `Send reminders the day before: ${count} did-not-arrive${count === 1 ? "" : "s"} (${pct(rate)}${trend}) held ${hoursText(round1(hours))}`,
        `${count} of ${f.appointments} appointments were did-not-arrives last week. An SMS or email reminder 24 hours ahead, with a reply-to-confirm, cuts most of them.`,
        hours,
        f.revenuePerAttendedHour,
      ),
    ],
  };
};

export const lateCancellationPolicy: Rule = (f) => {
  const { count, minutes, rate, previous } = f.late;
  if (rate === null || count < 2 || rate < TARGETS.lateRate)
    return { none: `late cancellations (under 24 hours) were ${rate === null ? "none" : pct(rate)}, under ${pct(TARGETS.lateRate)}` };
  const hours = minutes / 60;
  return {
    candidates: [
      hoursAction(
        "late_cancellation_policy",
        `Apply the 24-hour cancellation policy: ${count} late cancellations (${pct(rate)}${previous === null ? "" : `, ${pct(previous)} before`}) left ${hoursText(round1(hours))} hard to refill`,
        `${count} appointments were cancelled less than 24 hours before they started. State the policy in confirmations and reminders, and keep a waitlist to refill short-notice gaps.`,
        hours,
        f.revenuePerAttendedHour,
      ),
    ],
  };
};

export const rebookAtCheckout: Rule = (f) => {
  const { patients, rebooked, rate, previous } = f.rebooking;
  if (rate === null || patients === 0) return { none: "no attended patients to rebook" };
  if (rate >= TARGETS.rebooking) return { none: `the rebooking rate was ${pct(rate)}, at or above ${pct(TARGETS.rebooking)}` };
  const missing = Math.ceil(TARGETS.rebooking * patients - rebooked);
  const hours = (missing * (f.meanAttendedMinutes ?? 0)) / 60;
  return {
    candidates: [
      hoursAction(
        "rebook_at_checkout",
        `Rebook at checkout: only ${pct(rate)} of patients seen left with a next booking (${rebooked} of ${patients})`,
        `${patients - rebooked} patients seen last week have no future booking${previous === null ? "" : ` (the earlier weeks' rate: ${pct(previous)})`}. ${missing} more rebooked would reach ${pct(TARGETS.rebooking)}: about ${hoursText(round1(hours))} of appointments.`,
        hours,
        f.revenuePerAttendedHour,
      ),
    ],
  };
};

const RULES: readonly Rule[] = [chaseOverdueInvoices, practitionerUtilisationDrop, unusedCapacity, dnaReminders, lateCancellationPolicy, rebookAtCheckout];

const byValue = (a: BriefingAction, b: BriefingAction) => {
  const d = parseMoney(b.rankValue) - parseMoney(a.rankValue);
  return d > 0n ? 1 : d < 0n ? -1 : a.rule.localeCompare(b.rule);
};

/** Three actions ranked by money at stake: each rule's best first, then the next best of any rule. */
export function proposeActions(f: ActionFacts, rules: readonly Rule[] = RULES): { actions: BriefingAction[]; fewerActionsReason: string | null } {
  const results = rules.map((r) => r(f));
  const firing = results.flatMap((r) => ("candidates" in r ? [[...r.candidates].sort(byValue)] : []));
  const firsts = firing.map((c) => c[0]!).sort(byValue);
  const rest = firing.flatMap((c) => c.slice(1)).sort(byValue);
  const actions = [...firsts, ...rest].slice(0, 3);
  if (actions.length === 3) return { actions, fewerActionsReason: null };
  const reasons = results.flatMap((r) => ("none" in r ? [r.none] : []));
  const what = actions.length === 0 ? "No action this week" : `Only ${actions.length === 1 ? "one action" : "two actions"} this week`;
  return { actions, fewerActionsReason: `${what}: ${reasons.join("; ")}.` };
}
