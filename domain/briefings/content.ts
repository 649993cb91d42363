import { brandContactLine, type Brand } from "../brand.ts";
import { VENDOR_LABELS, type Vendor } from "../vocabulary.ts";
import { compareMoney, formatHours, formatLocalMoment, formatRate, formatWeek, moneyShare } from "./format.ts";
import { formatMoney } from "./money.ts";
import type { BriefingAction, BriefingReport } from "./report.ts";

/**
 * What the weekly briefing email says (issue 14), worked out once from the report: the HTML
 * (render.tsx) and the plain-text part are both drawn from this, so they can never say different
 * things. Everything here is text; escaping is the HTML renderer's job (React escapes by construction).
 */

export interface BriefingEmailContext {
  brand: Brand;
  /** Set when the briefing was held at its Monday 07:00 slot and is sent later (ISO instant it was due). */
  late?: { dueAt: string } | null;
  /** Where the clinic changes recipients and settings. */
  setupUrl?: string | null;
  /** The practice system, so the footnotes can name the reports they follow; neutral wording when absent. */
  vendor?: Vendor | null;
}

export type Trend = "up" | "down" | "same";

export interface Figure {
  key: string;
  label: string;
  value: string;
  /** Extra context under the figure ("48 h of 70 h available"). */
  sub: string | null;
  /** The previous-weeks average, formatted; null without history. */
  previous: string | null;
  trend: Trend | null;
  /** "4 pts", "$535.00", "2": the size of the change, without sign (the trend says which way). */
  change: string | null;
  /** Whether the change is good news for the clinic. */
  tone: "good" | "bad" | "neutral";
  footnote: number;
}

interface PractitionerRow {
  name: string;
  configuredHours: boolean;
  utilisation: string;
  utilisationPrevious: string | null;
  /** Bar widths, whole percent of 100% utilisation. */
  bar: number | null;
  barPrevious: number | null;
  trend: Trend | null;
  tone: Figure["tone"];
  counts: string;
  revenue: string;
  revenuePrevious: string | null;
  perHour: string | null;
}

interface ArRow {
  label: string;
  count: number;
  amount: string;
  /** Share of the open total, whole percent, for the bar. */
  share: number;
}

export interface BriefingContent {
  productName: string;
  logoUrl: string | null;
  subject: string;
  preheader: string;
  title: string;
  week: string;
  late: string | null;
  comparison: string;
  figures: Figure[];
  practitioners: PractitionerRow[];
  practitionerFootnote: number;
  ar: { rows: ArRow[]; openTotal: string; rate: string; partialPaymentsNote: string | null; footnote: number };
  actions: BriefingAction[];
  fewerActionsReason: string | null;
  notes: string[];
  footnotes: string[];
  dataAsOf: string;
  contact: string | null;
  setupUrl: string | null;
}

/** Where each definition comes from, in the words of the practice system's own reports (../shared/BRIEFING.md). */
const SOURCES = {
  revenue: {
    cliniko: ", as Cliniko's transactions list dates them and its practitioner performance report counts revenue (paid and open).",
    nookal: ", as Nookal's weekly revenue and top revenue by provider count it.",
    other: ".",
  },
  newPatients: { cliniko: "", nookal: " (Nookal's new clients: attended their first consultation in the period)", other: "" },
  rebooking: { cliniko: ", as Cliniko's rebook rate", nookal: "", other: "" },
  ageing: { cliniko: ` (status "Open" or "Open credit")`, nookal: ", in 30-day buckets as Nookal's ageing debts report", other: "" },
} as const;

function oneLine(s: string): string {
  // why: a clinic name with a newline or control characters must not break the subject line
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

/** The direction at the precision the figure is shown with: 71% beside 71% is "same", whatever the third digit. */
function rateTrend(value: number | null, previous: number | null, digits = 0): Trend | null {
  if (value === null || previous === null) return null;
  const scale = 100 * 10 ** digits;
  const points = Math.round(value * scale) - Math.round(previous * scale);
  return points > 0 ? "up" : points < 0 ? "down" : "same";
}

function tone(trend: Trend | null, better: "up" | "down"): Figure["tone"] {
  if (!trend || trend === "same") return "neutral";
  return trend === better ? "good" : "bad";
}

function rateFigure(
  key: string,
  label: string,
  v: { value: number | null; previous: number | null },
  better: "up" | "down",
  footnote: number,
  { sub = null, digits = 0 }: { sub?: string | null; digits?: number } = {},
): Figure {
  const trend = rateTrend(v.value, v.previous, digits);
  const scale = 100 * 10 ** digits;
  const points = v.value !== null && v.previous !== null ? Math.abs(Math.round(v.value * scale) - Math.round(v.previous * scale)) / 10 ** digits : null;
  return {
    key,
    label,
    value: formatRate(v.value, digits),
    sub,
    previous: v.previous === null ? null : formatRate(v.previous, digits),
    trend,
    change: points === null ? null : `${points.toFixed(digits)} pt${points === 1 ? "" : "s"}`,
    tone: tone(trend, better),
    footnote,
  };
}

function countFigure(key: string, label: string, v: { value: number; previous: number | null }, better: "up" | "down", footnote: number): Figure {
  const trend = v.previous === null ? null : v.value > v.previous ? "up" : v.value < v.previous ? "down" : "same";
  return {
    key,
    label,
    value: String(v.value),
    sub: null,
    previous: v.previous === null ? null : String(v.previous),
    trend,
    change: v.previous === null ? null : String(Math.abs(v.value - v.previous)),
    tone: tone(trend, better),
    footnote,
  };
}

function moneyFigure(
  key: string,
  label: string,
  v: { value: string | null; previous: string | null },
  currency: string,
  footnote: number,
  sub: string | null = null,
): Figure {
  const trend = v.value === null || v.previous === null ? null : ({ "-1": "down", "0": "same", "1": "up" } as const)[compareMoney(v.value, v.previous)];
  return {
    key,
    label,
    value: v.value === null ? "—" : formatMoney(v.value, currency),
    sub,
    previous: v.previous === null ? null : formatMoney(v.previous, currency),
    trend,
    // why no difference: subtracting money here would be arithmetic outside the metrics module; the two figures sit side by side
    change: null,
    tone: tone(trend, "up"),
    footnote,
  };
}

function barWidth(rate: number | null): number | null {
  return rate === null ? null : Math.max(0, Math.min(100, Math.round(rate * 100)));
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function briefingContent(report: BriefingReport, ctx: BriefingEmailContext): BriefingContent {
  const { brand } = ctx;
  const currency = report.currency;
  const clinic = oneLine(report.clinicName);
  const system = ctx.vendor ? VENDOR_LABELS[ctx.vendor] : null;
  const source = ctx.vendor ?? "other";
  const t = report.totals;
  const anyConfigured = report.practitioners.some((p) => p.availabilitySource === "configured");

  // footnote numbers, in the order the figures appear
  const FN = { utilisation: 1, ar: 2, revenue: 3, perHour: 4, dna: 5, cancellation: 6, newPatients: 7, rebooking: 8, ageing: 9, previous: 10 };
  const u = t.utilisation;
  const figures: Figure[] = [
    rateFigure("utilisation", "Utilisation", { value: u.value.rate, previous: u.previous?.rate ?? null }, "up", FN.utilisation, {
      sub: `${formatHours(u.value.bookedMinutes)} booked of ${formatHours(u.value.availableMinutes)} available`,
    }),
    rateFigure("arRate", "AR rate", report.ar.rate, "down", FN.ar, { sub: `${formatMoney(report.ar.openTotal, currency)} open in total`, digits: 1 }),
    moneyFigure("revenue", "Invoiced", t.revenue, currency, FN.revenue, `${plural(report.practitioners.length, "practitioner")}`),
    moneyFigure("revenuePerAttendedHour", "Revenue per attended hour", t.revenuePerAttendedHour, currency, FN.perHour),
    rateFigure("dnaRate", "Did not arrive", t.dnaRate, "down", FN.dna, { digits: 1 }),
    rateFigure("cancellationRate", "Cancellations", t.cancellationRate, "down", FN.cancellation, { digits: 1 }),
    rateFigure("lateCancellationRate", "Late cancellations", t.lateCancellationRate, "down", FN.cancellation, { sub: "under 24 hours’ notice", digits: 1 }),
    countFigure("newPatients", "New patients", t.newPatients, "up", FN.newPatients),
    rateFigure("rebookingRate", "Rebooking rate", t.rebookingRate, "up", FN.rebooking),
    countFigure("attended", "Attended appointments", t.attended, "up", FN.revenue),
  ];

  const practitioners: PractitionerRow[] = report.practitioners.map((p) => {
    const trend = rateTrend(p.utilisation.value.rate, p.utilisation.previous?.rate ?? null);
    const cancelled = p.lateCancelled ? `${p.cancelled} cancelled (${p.lateCancelled} late)` : `${p.cancelled} cancelled`;
    return {
      name: oneLine(p.name),
      configuredHours: p.availabilitySource === "configured",
      utilisation: formatRate(p.utilisation.value.rate),
      utilisationPrevious: p.utilisation.previous ? formatRate(p.utilisation.previous.rate) : null,
      bar: barWidth(p.utilisation.value.rate),
      barPrevious: p.utilisation.previous ? barWidth(p.utilisation.previous.rate) : null,
      trend,
      tone: tone(trend, "up"),
      counts: `${p.attended} attended · ${p.didNotArrive} DNA · ${cancelled}`,
      revenue: formatMoney(p.revenue.value, currency),
      revenuePrevious: p.revenue.previous === null ? null : formatMoney(p.revenue.previous, currency),
      perHour: p.revenuePerAttendedHour === null ? null : `${formatMoney(p.revenuePerAttendedHour, currency)} per attended hour`,
    };
  });

  const partialPaymentsNote = report.ar.partialPaymentsVisible
    ? null
    : `Partial payments are not visible: ${system ?? "your practice system"} does not share payments with ${brand.productName}, so a partly paid invoice counts here in full.`;

  const weeks = report.comparisonWeeks;
  const comparison =
    weeks === 0 ? "No earlier weeks to compare with yet." : `Each figure beside your average of the previous ${weeks === 1 ? "week" : `${weeks} weeks`}.`;

  const footnotes = [
    `Utilisation: booked minutes ÷ available minutes. Booked = attended and did-not-arrive appointments (a did-not-arrive still held the slot; cancelled and deleted appointments free it; overlapping appointments of one practitioner count once). Available = daily availability + availability blocks − unavailable blocks, in ${report.timeZone} time${anyConfigured ? "; where the practice system holds no availability, the working hours set up for the briefing stand in (marked †)" : ""}.`,
    `AR rate: value of invoices issued in the last ${plural(report.ar.windowWeeks, "week")} that are still open ÷ value invoiced in those weeks.${partialPaymentsNote ? " A partly paid invoice counts in full." : ""}`,
    `Invoiced: invoices issued this week (by issue date), paid and open, deleted ones excluded, in ${currency}${SOURCES.revenue[source]} The clinic total counts every invoice, also those without a counted practitioner; a practitioner's figure counts the invoices of that practitioner. Attended appointments are those marked attended (or booked and already past).`,
    "Revenue per attended hour: invoiced value ÷ hours of attended appointments (service hours).",
    "Did not arrive: appointments marked did-not-arrive ÷ all appointments booked for the week (attended, did not arrive and cancelled).",
    "Cancellations: cancelled appointments ÷ all appointments booked for the week. Late cancellations are those cancelled less than 24 hours before the start; they are included in cancellations.",
    `New patients: patients whose first attended appointment was this week${SOURCES.newPatients[source]}.`,
    `Rebooking rate: share of attended patients with a future booking at the end of the week (cancelled and did-not-arrive excluded)${SOURCES.rebooking[source]}.`,
    `AR ageing: open invoices at the end of the week by days since the invoice was issued${SOURCES.ageing[source]}.${partialPaymentsNote ? " Without payments data, a partly paid invoice counts in full." : " Payments recorded against an invoice reduce what is open."}`,
    weeks === 0
      ? "Previous weeks: none yet; comparisons start once there is a full earlier week."
      : `Previous: the average of the ${weeks === 1 ? "week" : `${weeks} weeks`} before this one. ▲/▼ show the direction of the change; green is better for the clinic, red worse.`,
  ];

  const util = u.value.rate === null ? null : formatRate(u.value.rate);
  const invoiced = formatMoney(t.revenue.value, currency, { whole: true });
  const late = ctx.late
    ? `It was due ${formatLocalMoment(ctx.late.dueAt, report.timeZone)} but was held until the connection to your practice system was working again, so the figures are complete.`
    : null;
  const subject = `${ctx.late ? "Late: " : ""}Your week at ${clinic}: ${util ? `${util} utilisation, ` : ""}${invoiced} invoiced`;
  const firstAction = report.actions[0]?.title;
  const preheader = `${formatWeek(report.week)}. ${util ? `Utilisation ${util}. ` : ""}${firstAction ? `Top action: ${firstAction}` : ""}`.trim();

  return {
    productName: brand.productName,
    logoUrl: brand.logoUrl,
    subject,
    preheader,
    title: `Your week at ${clinic}`,
    week: formatWeek(report.week),
    late,
    comparison,
    figures,
    practitioners,
    practitionerFootnote: FN.utilisation,
    ar: {
      rows: report.ar.buckets.map((b) => ({
        label: `${b.label} days`,
        count: b.count,
        amount: formatMoney(b.amount, currency),
        share: moneyShare(b.amount, report.ar.openTotal),
      })),
      openTotal: formatMoney(report.ar.openTotal, currency),
      rate: formatRate(report.ar.rate.value, 1),
      partialPaymentsNote,
      footnote: FN.ageing,
    },
    actions: report.actions.map((a) => ({ ...a, title: oneLine(a.title) })),
    fewerActionsReason: report.actions.length < 3 ? (report.fewerActionsReason ?? "The data supports fewer than three actions this week.") : null,
    notes: report.notes,
    footnotes,
    dataAsOf: `Figures from your practice system as of ${formatLocalMoment(report.dataAsOf, report.timeZone)} (${report.timeZone}).`,
    contact: brandContactLine(brand),
    setupUrl: ctx.setupUrl ?? null,
  };
}

// ---- the plain-text part

function trendWords(f: { trend: Trend | null; change: string | null; previous: string | null }): string {
  if (f.previous === null) return "";
  const arrow = f.trend === "up" ? "▲ up" : f.trend === "down" ? "▼ down" : "= same as";
  if (f.trend === "same") return ` (${arrow} the average ${f.previous})`;
  return ` (${arrow}${f.change ? ` ${f.change}` : ""} from ${f.previous} avg)`;
}

export function briefingText(c: BriefingContent): string {
  const lines: string[] = [];
  const section = (title: string) => lines.push("", title.toUpperCase(), "-".repeat(title.length));
  lines.push(c.productName, "", c.title, c.week);
  if (c.late) lines.push("", `LATE BRIEFING. ${c.late}`);
  lines.push("", c.comparison);

  section("This week at a glance");
  for (const f of c.figures) lines.push(`- ${f.label}: ${f.value}${trendWords(f)}${f.sub ? ` — ${f.sub}` : ""} [${f.footnote}]`);

  section(`Three actions for this week`);
  c.actions.forEach((a, i) => lines.push(`${i + 1}. ${a.title}`, `   ${a.detail}`));
  if (c.fewerActionsReason) lines.push(`${c.actions.length ? "" : "No actions this week. "}${c.fewerActionsReason}`);

  section("Practitioners");
  lines.push(`Utilisation this week (previous average) [${c.practitionerFootnote}], appointments, invoiced [3].`);
  for (const p of c.practitioners) {
    const prev = p.utilisationPrevious === null ? "" : ` (avg ${p.utilisationPrevious})`;
    lines.push(
      `- ${p.name}${p.configuredHours ? " †" : ""}: utilisation ${p.utilisation}${prev}; ${p.counts}; invoiced ${p.revenue}${p.perHour ? ` (${p.perHour})` : ""}`,
    );
  }

  section("Accounts receivable");
  lines.push(`Open invoices: ${c.ar.openTotal} · AR rate ${c.ar.rate} [2]`, `By age since issue [${c.ar.footnote}]:`);
  for (const r of c.ar.rows) lines.push(`- ${r.label}: ${r.amount} (${r.count} invoice${r.count === 1 ? "" : "s"})`);
  if (c.ar.partialPaymentsNote) lines.push(c.ar.partialPaymentsNote);

  if (c.notes.length) {
    section("Notes");
    for (const n of c.notes) lines.push(`- ${n}`);
  }

  section("How these figures are defined");
  c.footnotes.forEach((f, i) => lines.push(`[${i + 1}] ${f}`));

  lines.push("", c.dataAsOf);
  if (c.setupUrl) lines.push(`Change recipients or settings: ${c.setupUrl}`);
  if (c.contact) lines.push(c.contact);
  lines.push(`Sent by ${c.productName}.`);
  return lines.join("\n").concat("\n");
}
