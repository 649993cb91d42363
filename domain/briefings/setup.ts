import { z } from "zod";
import type { Db, DbOrTx } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import {
  getBriefingSettings,
  getBriefingSubject,
  listBriefingHistory,
  listSetupAppointmentTypes,
  listSetupPractitioners,
  saveBriefingSettings,
  type BriefingSettingsWrite,
} from "../../db/queries/briefings.ts";
import type { WorkingHoursSpan } from "../../db/schema/briefings.ts";
import type { Actor } from "../clinics/console-actions.ts";
import { DomainError } from "../errors.ts";
import { holdReason, notSetUp } from "./hold.ts";
import { EXCLUDED_TYPE_NAME } from "./metrics.ts";
import { currencyFor } from "./money.ts";
import { formatBriefingMoment, latestDueBriefing, nextBriefing, weekLabel } from "./schedule.ts";
import { BRIEFING_STATE_LABELS } from "../vocabulary.ts";

/**
 * The briefing setup page on a clinic (issue 14; docs/decisions/0040-briefing-delivery.md): what an
 * onboarding call maps — recipients, the practitioners who count, appointment types left out,
 * working hours where the vendor has no availability, currency, on/off — with a readiness checklist,
 * when the first briefing arrives, and the history of sent, held and skipped weeks.
 */

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;

/** "Mon-Fri 09:00-17:00; Sat 09:00-12:00" → spans (ISO weekday, local HH:MM). Returns an error sentence when it cannot. */
export function parseWorkingHours(text: string): WorkingHoursSpan[] | string {
  const spans: WorkingHoursSpan[] = [];
  for (const part of text
    .split(/[;\n]+/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z]{3})(?:\s*[-–]\s*([A-Za-z]{3}))?\s+(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$/.exec(part);
    const day = (d: string | undefined) => (d ? DAYS.findIndex((x) => x.toLowerCase() === d.toLowerCase()) + 1 : 0);
    if (!m) return `Write hours like "Mon-Fri 09:00-17:00; Sat 09:00-12:00" (could not read "${part.slice(0, 40)}")`;
    const from = day(m[1]);
    const to = m[2] ? day(m[2]) : from;
    const [h1, m1, h2, m2] = [m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number];
    if (!from || !to || to < from) return `Unknown days in "${part.slice(0, 40)}": use Mon, Tue, Wed, Thu, Fri, Sat, Sun`;
    if (h1 > 23 || h2 > 24 || m1 > 59 || m2 > 59 || h1 * 60 + m1 >= h2 * 60 + m2)
      return `"${part.slice(0, 40)}": the end must be after the start, within one day`;
    const two = (n: number) => String(n).padStart(2, "0");
    for (let d = from; d <= to; d++) spans.push({ dayOfWeek: d, startsAt: `${two(h1)}:${two(m1)}`, endsAt: `${two(h2)}:${two(m2)}` });
  }
  return spans;
}

function formatWorkingHours(spans: readonly WorkingHoursSpan[]): string {
  return spans.map((s) => `${DAYS[s.dayOfWeek - 1]} ${s.startsAt}-${s.endsAt}`).join("; ");
}

const list = z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(z.string().min(1).max(64)).max(500));

/** The setup form. Working hours come as `hours:<practitioner id>` fields. */
export const BriefingSetupSchema = z
  .object({
    enabled: z.preprocess((v) => v === "on", z.boolean()),
    recipients: z
      .string()
      .max(2000, "Keep the list under 2,000 characters")
      .transform((s) => [
        ...new Set(
          s
            .split(/[\s,;]+/)
            .map((e) => e.trim().toLowerCase())
            .filter(Boolean),
        ),
      ])
      .pipe(z.array(z.email("One of these is not an email address")).max(20, "At most 20 recipients")),
    practitionersChoice: z.enum(["default", "chosen"], "Choose which practitioners count"),
    practitionerIds: list,
    typesChoice: z.enum(["default", "chosen"], "Choose which appointment types are left out"),
    excludedTypeIds: list,
    currency: z
      .string()
      .trim()
      .toUpperCase()
      .refine((c) => c === "" || /^[A-Z]{3}$/.test(c), "A three-letter currency code, like AUD"),
  })
  .catchall(z.unknown())
  .superRefine((v, ctx) => {
    if (v.practitionersChoice === "chosen" && v.practitionerIds.length === 0) {
      ctx.addIssue({ code: "custom", path: ["practitionerIds"], message: "Tick at least one practitioner, or use the default" });
    }
    for (const [key, value] of Object.entries(v)) {
      if (!key.startsWith("hours:") || typeof value !== "string" || value.trim() === "") continue;
      const parsed = parseWorkingHours(value);
      if (typeof parsed === "string") ctx.addIssue({ code: "custom", path: [key], message: parsed });
    }
  })
  .transform((v): BriefingSettingsWrite => {
    const workingHours: Record<string, WorkingHoursSpan[]> = {};
    for (const [key, value] of Object.entries(v)) {
      if (!key.startsWith("hours:") || typeof value !== "string" || value.trim() === "") continue;
      workingHours[key.slice("hours:".length)] = parseWorkingHours(value) as WorkingHoursSpan[];
    }
    return {
      enabled: v.enabled,
      recipients: v.recipients.length ? v.recipients : null,
      practitionerIds: v.practitionersChoice === "chosen" ? v.practitionerIds : null,
      excludedAppointmentTypeIds: v.typesChoice === "chosen" ? v.excludedTypeIds : null,
      workingHours,
      currency: v.currency || null,
      updatedBy: null,
    };
  });
export type BriefingSetupInput = z.output<typeof BriefingSetupSchema>;

/** "Your first briefing arrives Monday 7 Dec, 07:00 Australia/Melbourne" (or "next" once one was sent). Clinic-facing words. */
function briefingArrivalLine(timeZone: string, now: Date, first = true): string {
  return `Your ${first ? "first" : "next"} briefing arrives ${formatBriefingMoment(timeZone, nextBriefing(timeZone, now).dueAt)}.`;
}

/** The arrival line for a clinic, or null when its briefing is turned off: what the reconnect and add-clinic successes say. */
export async function briefingArrivalFor({ clinicId, timeZone, now }: { clinicId: string; timeZone: string; now: Date }, db: DbOrTx): Promise<string | null> {
  const settings = await getBriefingSettings({ clinicId }, db);
  if (settings && !settings.enabled) return null;
  const history = await listBriefingHistory({ clinicId, limit: 12 }, db);
  return briefingArrivalLine(timeZone, now, !history.some((h) => h.state === "sent"));
}

const FOUR_WEEKS_MS = 28 * 86_400_000;

export async function loadBriefingSetup({ clinicId, now = new Date() }: { clinicId: string; now?: Date }, db: Db) {
  const subject = await getBriefingSubject({ clinicId }, db);
  if (!subject) return null;
  const { clinic, connection } = subject;
  const saved = await getBriefingSettings({ clinicId }, db);
  const [practitioners, types, history] = await Promise.all([
    connection ? listSetupPractitioners({ connectionId: connection.id, from: new Date(now.getTime() - FOUR_WEEKS_MS), to: now }, db) : [],
    connection ? listSetupAppointmentTypes({ connectionId: connection.id }, db) : [],
    listBriefingHistory({ clinicId, limit: 12 }, db),
  ]);
  const defaultPractitioners = practitioners.filter((p) => p.active && p.appointments > 0).map((p) => p.id);
  const counted = saved?.practitionerIds ?? defaultPractitioners;
  const excluded = saved?.excludedAppointmentTypeIds ?? types.filter((t) => EXCLUDED_TYPE_NAME.test(t.name)).map((t) => t.id);
  const recipients = saved?.recipients?.length ? saved.recipients : clinic.adminEmail ? [clinic.adminEmail] : [];
  const enabled = saved?.enabled ?? true;
  const healthy = connection ? holdReason({ ...connection, lastSyncSuccessAt: connection.lastSyncSuccessAt ?? now }, now) === null : false;
  const clinicPage = `/clinics/${clinicId}`;
  const checklist = [
    {
      key: "connected",
      label: "Connected and healthy",
      done: healthy,
      next: { label: connection ? "Fix the connection on the clinic page" : "Connect the practice system", href: clinicPage },
    },
    {
      key: "synced",
      label: "First full sync done",
      done: Boolean(connection?.lastSyncSuccessAt),
      next: { label: "Run a sync from the clinic page", href: `${clinicPage}#sync-h` },
    },
    {
      key: "practitioners",
      label: "Practitioners mapped",
      done: counted.length > 0,
      next: { label: "Choose the practitioners who count", href: "#practitioners-h" },
    },
    { key: "recipients", label: "Someone to send it to", done: recipients.length > 0, next: { label: "Add a recipient", href: "#settings-h" } },
    { key: "enabled", label: "Briefing turned on", done: enabled, next: { label: "Turn the briefing on", href: "#settings-h" } },
  ];
  const ready = checklist.every((c) => c.done);
  const sentBefore = history.some((h) => h.state === "sent");
  const current = latestDueBriefing(clinic.timeZone, now);
  const currentRow = history.find((h) => h.weekStart === current.weekStart);
  return {
    clinic: {
      id: clinic.id,
      name: clinic.name,
      timeZone: clinic.timeZone,
      country: clinic.country,
      adminEmail: clinic.adminEmail,
      archived: clinic.archivedAt !== null,
    },
    hasConnection: connection !== null,
    notSetUp: connection ? notSetUp(connection) : true,
    settings: {
      saved: saved !== null,
      enabled,
      recipients: saved?.recipients ?? [],
      practitionersChoice: saved?.practitionerIds ? ("chosen" as const) : ("default" as const),
      typesChoice: saved?.excludedAppointmentTypeIds ? ("chosen" as const) : ("default" as const),
      currency: saved?.currency ?? "",
      // why: the same default compose uses, so the page says what the email will show
      defaultCurrency: currencyFor(null, clinic.country).currency,
      workingHours: Object.fromEntries(Object.entries(saved?.workingHours ?? {}).map(([id, spans]) => [id, formatWorkingHours(spans)])),
    },
    practitioners: practitioners.map((p) => ({ ...p, counted: counted.includes(p.id), byDefault: defaultPractitioners.includes(p.id) })),
    appointmentTypes: types.map((t) => ({ ...t, excluded: excluded.includes(t.id), byDefault: EXCLUDED_TYPE_NAME.test(t.name) })),
    recipients,
    checklist,
    ready,
    arrival: ready ? briefingArrivalLine(clinic.timeZone, now, !sentBefore) : null,
    /** This Monday's briefing is still held (it may go out late today). */
    heldNow: currentRow?.state === "held" ? currentRow.heldReason : null,
    history: history.map((h) => ({
      weekStart: h.weekStart,
      week: weekLabel(h.weekStart),
      state: h.state,
      stateLabel: BRIEFING_STATE_LABELS[h.state],
      late: h.late,
      sentAt: h.sentAt ? formatBriefingMoment(clinic.timeZone, h.sentAt) : null,
      reason: h.state === "skipped" ? h.skippedReason : h.heldReason,
      recipients: h.recipients,
    })),
  };
}
export type BriefingSetupPage = NonNullable<Awaited<ReturnType<typeof loadBriefingSetup>>>;

/** Saves the setup, audited with what changed (like every console action). */
export async function saveBriefingSetup(
  { clinicId, input, actor, now = new Date() }: { clinicId: string; input: BriefingSetupInput; actor: Actor; now?: Date },
  db: Db | DbOrTx,
): Promise<{ changed: string[] }> {
  return db.transaction(async (tx) => {
    const subject = await getBriefingSubject({ clinicId }, tx);
    if (!subject) throw new DomainError(404, "No clinic has that id.");
    if (subject.clinic.archivedAt) throw new DomainError(409, "This clinic is archived; restore it before changing its briefing.");
    const before = await getBriefingSettings({ clinicId }, tx);
    const after = { ...input, updatedBy: actor.userId };
    const fields = ["enabled", "recipients", "practitionerIds", "excludedAppointmentTypeIds", "workingHours", "currency"] as const;
    const changed = fields.filter((f) => JSON.stringify(before?.[f] ?? defaults[f]) !== JSON.stringify(after[f]));
    if (changed.length === 0 && before) return { changed: [] };
    await saveBriefingSettings({ clinicId, settings: after, now }, tx);
    const changes = Object.fromEntries(changed.map((f) => [f, { from: before?.[f] ?? defaults[f], to: after[f] }]));
    await recordAudit({ actorUserId: actor.userId, actorLabel: actor.label, action: "briefing.settings_updated", clinicId, details: { changes } }, tx);
    return { changed: changed.map((f) => LABELS[f]) };
  });
}

const defaults = { enabled: true, recipients: null, practitionerIds: null, excludedAppointmentTypeIds: null, workingHours: {}, currency: null };
const LABELS = {
  enabled: "on/off",
  recipients: "recipients",
  practitionerIds: "practitioners",
  excludedAppointmentTypeIds: "excluded appointment types",
  workingHours: "working hours",
  currency: "currency",
} as const;
