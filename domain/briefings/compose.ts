import type { DbOrTx } from "../../db/client.ts";
import { DomainError } from "../errors.ts";
import { loadBriefingContext, loadBriefingData, recordSetHasData } from "../../db/queries/briefing-data.ts";
import { proposeActions } from "./actions.ts";
import { addDays, isMonday, zonedInstant } from "./calendar.ts";
import { AR_WINDOW_WEEKS, COMPARISON_WEEKS, computeMetrics } from "./metrics.ts";
import { currencyFor } from "./money.ts";
import { BriefingReportSchema, type BriefingReport } from "./report.ts";

export type ComposeResult = { ok: true; report: BriefingReport } | { ok: false; reason: "no_connection" | "no_synced_data"; message: string };

/**
 * One clinic's weekly briefing from its current record set (issue 14): settings + clinic + data →
 * metrics → actions → validated report. Reads only; scheduling, holding and sending are elsewhere.
 */
export async function composeBriefing(deps: { db: DbOrTx }, input: { clinicId: string; weekStart: string; now?: Date }): Promise<ComposeResult> {
  const now = input.now ?? new Date();
  if (!isMonday(input.weekStart)) throw new DomainError(400, `weekStart must be a local Monday (YYYY-MM-DD), got ${input.weekStart}`, { field: "weekStart" });
  const ctx = await loadBriefingContext({ clinicId: input.clinicId }, deps.db);
  if (!ctx) throw new DomainError(404, `No clinic ${input.clinicId}.`);
  if (!ctx.connectionId) return { ok: false, reason: "no_connection", message: `${ctx.clinicName} has no practice-system connection.` };
  if (!ctx.recordSetId || !ctx.lastSyncSuccessAt || !ctx.vendor)
    return { ok: false, reason: "no_synced_data", message: `${ctx.clinicName}'s connection has not finished a sync yet.` };

  const tz = ctx.timeZone;
  const firstMonday = addDays(input.weekStart, -7 * COMPARISON_WEEKS);
  const weekEnd = new Date(zonedInstant(addDays(input.weekStart, 7), "00:00", tz));
  const sunday = addDays(input.weekStart, 6);
  const range = {
    recordSetId: ctx.recordSetId,
    from: new Date(zonedInstant(firstMonday, "00:00", tz)),
    to: weekEnd,
    now,
    invoicesFromDate: addDays(addDays(firstMonday, 6), -(7 * AR_WINDOW_WEEKS - 1)),
    revenueFromDate: firstMonday,
    weekEnds: [0, 1, 2, 3, 4].map((i) => new Date(zonedInstant(addDays(input.weekStart, 7 - 7 * i), "00:00", tz))),
    invoicesToDate: sunday,
    weekEnd,
  };
  const data = await loadBriefingData(range, deps.db);
  if (data.appointments.length === 0 && data.invoices.length === 0 && !(await recordSetHasData({ recordSetId: ctx.recordSetId }, deps.db)))
    return { ok: false, reason: "no_synced_data", message: `${ctx.clinicName}'s synced data holds no appointments or invoices yet.` };

  const cur = currencyFor(ctx.currency, ctx.country);
  const metrics = computeMetrics({
    timeZone: tz,
    currency: cur.currency,
    vendor: ctx.vendor,
    weekStart: input.weekStart,
    now,
    settings: {
      practitionerIds: ctx.practitionerIds ?? null,
      excludedAppointmentTypeIds: ctx.excludedAppointmentTypeIds ?? null,
      workingHours: ctx.workingHours ?? {},
    },
    data,
  });
  const { actions, fewerActionsReason } = proposeActions(metrics.facts);
  const notes = [...metrics.notes];
  if (!cur.known) notes.push(`Amounts are shown in ${cur.currency}: set the clinic's currency on the briefing setup page.`);

  const report: BriefingReport = {
    version: 1,
    clinicId: ctx.clinicId,
    clinicName: ctx.clinicName,
    timeZone: tz,
    currency: cur.currency,
    week: { start: input.weekStart, end: sunday },
    comparisonWeeks: metrics.comparisonWeeks,
    dataAsOf: ctx.lastSyncSuccessAt.toISOString(),
    practitioners: metrics.practitioners,
    totals: metrics.totals,
    ar: metrics.ar,
    actions,
    fewerActionsReason,
    notes,
  };
  return { ok: true, report: BriefingReportSchema.parse(report) };
}
