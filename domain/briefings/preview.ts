import type { Db } from "../../db/client.ts";
import { getClinic } from "../../db/queries/clinics.ts";
import type { Brand } from "../brand.ts";
import type { Vendor } from "../vocabulary.ts";
import { addDays, previousWeekStart } from "./calendar.ts";
import { composeBriefing } from "./compose.ts";
import { renderBriefingEmail } from "./render.ts";
import type { BriefingReport } from "./report.ts";

/**
 * The briefing email as the clinic will receive it, for the console's preview (issue 14): the same
 * renderer as the Monday send, so the preview cannot drift from the email. Shown in a sandboxed
 * iframe under BRIEFING_PREVIEW_CSP: no script, no form, no network except the brand's logo.
 */
export function previewHtml(report: BriefingReport, brand: Brand, { vendor = null }: { vendor?: Vendor | null } = {}): string {
  return renderBriefingEmail(report, { brand, vendor }).html;
}

/**
 * The policy the preview is served under: nothing runs, nothing is submitted, only the console
 * itself may frame it. `sandbox` without allow-scripts/allow-same-origin: even an escaping bug in
 * the email could not reach the console's session.
 */
export const BRIEFING_PREVIEW_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "img-src https: data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
  "sandbox",
].join("; ");

/** The week the clinic's next Monday 07:00 briefing covers: the week in progress, or (before Monday 07:00) the one just ended. */
export function nextBriefingWeekStart(timeZone: string, now: Date): string {
  // why 7 hours back: until Monday 07:00 local the next send is today's, which covers the week that just ended
  return addDays(previousWeekStart(timeZone, new Date(now.getTime() - 7 * 3_600_000)), 7);
}

export type BriefingPreview = { ok: true; html: string } | { ok: false; status: 404 | 409; html: string };

/** The preview's report (what the HTML renders), or why there is none: the console's iframe and the JSON API both start here. */
export type BriefingPreviewReport =
  | { ok: true; report: BriefingReport; vendor: Vendor | null }
  | { ok: false; status: 404 | 409; title: string; message: string; code: "clinic_not_found" | "no_connection" | "no_synced_data" };

/** The clinic's week (next Monday's by default) composed from synced data, exactly as the Monday send would compose it. */
export async function composeBriefingPreview(
  deps: { db: Db },
  { clinicId, weekStart, now = new Date() }: { clinicId: string; weekStart?: string | null; now?: Date },
): Promise<BriefingPreviewReport> {
  const row = await getClinic({ clinicId }, deps.db);
  if (!row || row.clinic.archivedAt)
    return { ok: false, status: 404, title: "No such clinic", message: "That clinic does not exist or was archived.", code: "clinic_not_found" };
  const week = weekStart ?? nextBriefingWeekStart(row.clinic.timeZone ?? "UTC", now);
  const result = await composeBriefing({ db: deps.db }, { clinicId, weekStart: week });
  if (!result.ok) return { ok: false, status: 409, title: "No preview yet", message: result.message, code: result.reason };
  return { ok: true, report: result.report, vendor: row.connection?.vendor ?? null };
}

/**
 * The console's preview of a clinic's briefing (issue 14): the composed report rendered by the same
 * function as the Monday send; when it cannot be composed, a short page saying why, for the same iframe.
 */
export async function loadBriefingPreview(
  deps: { db: Db; brand: Brand },
  input: { clinicId: string; weekStart?: string | null; now?: Date },
): Promise<BriefingPreview> {
  const preview = await composeBriefingPreview(deps, input);
  if (!preview.ok) return { ok: false, status: preview.status, html: noticeHtml(preview.title, preview.message) };
  return { ok: true, html: previewHtml(preview.report, deps.brand, { vendor: preview.vendor }) };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A one-paragraph page for the preview frame when there is no briefing to show. */
function noticeHtml(title: string, message: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:system-ui,sans-serif;margin:24px;color:#111827"><h1 style="font-size:18px;margin:0 0 8px">${escapeHtml(title)}</h1><p style="margin:0;color:#4b5563">${escapeHtml(message)}</p></body></html>`;
}
