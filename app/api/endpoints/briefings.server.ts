import { z } from "zod";
import { isMonday } from "../../../domain/briefings/calendar.ts";
import { loadLatestBriefing } from "../../../domain/briefings/latest.ts";
import { composeBriefingPreview } from "../../../domain/briefings/preview.ts";
import { BriefingReportSchema } from "../../../domain/briefings/report.ts";
import { DomainError } from "../../../domain/errors.ts";
import { BRIEFING_STATES } from "../../../domain/vocabulary.ts";
import { defineEndpoint } from "../endpoint.server.ts";
import { ClinicParams, Instant, iso } from "./shared.server.ts";

/**
 * A clinic's weekly briefing (docs/decisions/0044-api-endpoints.md): the latest week as decided and
 * sent, and the preview — the same composition as the console's preview and the Monday send, as
 * JSON (metrics and the three actions), not the HTML.
 */

const ReportSchema = BriefingReportSchema.meta({
  id: "BriefingReport",
  description: "Money is an exact decimal string in `currency`; rates are fractions 0–1 (null when the denominator is zero)",
});

const LatestBriefingSchema = z
  .object({
    weekStart: z.iso.date().meta({ description: "The briefed week's Monday, in the clinic's calendar" }),
    state: z.enum(BRIEFING_STATES),
    dueAt: Instant,
    sentAt: Instant.nullable(),
    late: z.boolean(),
    heldReason: z.string().nullable(),
    skippedReason: z.string().nullable(),
    recipients: z.array(z.string()),
    report: ReportSchema.nullable().meta({ description: "As sent; null until it is" }),
  })
  .meta({ id: "Briefing" });

export const latestBriefingEndpoint = defineEndpoint({
  operationId: "getLatestBriefing",
  method: "get",
  path: "/clinics/{clinicId}/briefings/latest",
  summary: "The clinic's latest weekly briefing",
  description: "The newest week with a decision (due, held, sent or skipped), with the report as sent. 404 when no week has been decided yet.",
  tags: ["Briefings"],
  scope: "read",
  params: ClinicParams,
  responses: { 200: { description: "The latest briefing", schema: LatestBriefingSchema } },
  errors: [404],
  async handle({ params, services }) {
    const latest = await loadLatestBriefing({ clinicId: params.clinicId }, services.db);
    if (!latest) throw new DomainError(404, "This clinic has had no weekly briefing yet.", { code: "no_briefing" });
    return { status: 200, body: { ...latest, dueAt: latest.dueAt.toISOString(), sentAt: iso(latest.sentAt) } };
  },
});

export const previewBriefingEndpoint = defineEndpoint({
  operationId: "previewBriefing",
  method: "get",
  path: "/clinics/{clinicId}/briefings/preview",
  summary: "Preview the clinic's weekly briefing",
  description:
    "The briefing composed now from synced data, as the console's preview and the Monday send compose it: metrics and up to three actions. `week` (a Monday) picks the week; default the week next Monday's briefing covers. 409 when there is nothing to compose from yet (no connection, no finished sync).",
  tags: ["Briefings"],
  scope: "read",
  params: ClinicParams,
  query: z.strictObject({
    week: z.iso.date().refine(isMonday, "Must be a Monday").optional().meta({ description: "The week's Monday, YYYY-MM-DD, in the clinic's calendar" }),
  }),
  responses: { 200: { description: "The composed briefing", schema: z.object({ report: ReportSchema }) } },
  errors: [400, 404, 409],
  async handle({ params, query, services }) {
    const preview = await composeBriefingPreview({ db: services.db }, { clinicId: params.clinicId, weekStart: query.week ?? null });
    if (!preview.ok) throw new DomainError(preview.status, preview.message, { code: preview.code });
    return { status: 200, body: { report: preview.report } };
  },
});
