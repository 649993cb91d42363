import { randomUUID } from "node:crypto";
import { inTransaction, type Db, type DbOrTx } from "../../db/client.ts";
import { queueMessages, type OutgoingMessage } from "../alerts/outbox.ts";
import { claimBriefing, getBriefingSubject, updateBriefing, type BriefingSubject } from "../../db/queries/briefings.ts";
import { applyAlertWork, type AlertWorkDeps } from "../alerts/apply.ts";
import type { Brand } from "../brand.ts";
import { buildEscalationPacket } from "../health/escalation.ts";
import type { DeliveryJobQueue } from "../jobs.ts";
import { holdReason, notSetUp, STALE_AFTER_HOURS } from "./hold.ts";
import type { BriefingEmailContext } from "./content.ts";
import type { BriefingEmail } from "./render.ts";
import type { BriefingReport } from "./report.ts";
import { isMonday } from "./calendar.ts";
import { briefingDayEnd, briefingDueAt } from "./schedule.ts";
import type { MetricsRecorder } from "../metrics.ts";
import { recordEvents } from "../events/record.ts";

/**
 * Delivers one clinic's briefing of one week, EXACTLY ONCE (docs/decisions/0040-briefing-delivery.md).
 * In ONE transaction: claim the week's row (primary key clinic + week; a second worker waits on the
 * row lock and then finds it decided), decide (skipped / held / go), compose, render, store one
 * outgoing email per recipient in alert_notifications and enqueue its `deliver` job on the same
 * transaction — the one path every email takes (SMTP when configured, else the outbox). A worker
 * killed anywhere before the commit leaves nothing behind; its retried job starts over.
 */

type ComposeResult = { ok: true; report: BriefingReport } | { ok: false; reason: "no_connection" | "no_synced_data"; message: string };

export interface BriefingDeliveryDeps {
  db: Db | DbOrTx;
  /** domain/briefings/compose.ts composeBriefing. */
  compose: (deps: { db: DbOrTx }, input: { clinicId: string; weekStart: string; now?: Date }) => Promise<ComposeResult>;
  /** domain/briefings/render.ts renderBriefingEmail. */
  render: (report: BriefingReport, ctx: BriefingEmailContext) => BriefingEmail | Promise<BriefingEmail>;
  deliveries: DeliveryJobQueue;
  /** The alert machinery, for "briefing held" (support only, deduplicated). */
  alerts: AlertWorkDeps;
  brand: Brand;
  now?: () => Date;
  staleAfterHours?: number;
  /** Briefings sent, first held and skipped, for the operator's metrics; none = not recorded. */
  metrics?: Pick<MetricsRecorder, "briefing">;
}

export type BriefingOutcome =
  | { outcome: "sent"; late: boolean; notificationIds: string[] }
  | { outcome: "held"; reason: string }
  | { outcome: "skipped"; reason: string }
  | { outcome: "already_done"; state: "sent" | "skipped" }
  | { outcome: "not_due" };

/** Sent later than this after its due time without having been held, it is marked late too (the worker fleet was down). */
const LATE_AFTER_MS = 60 * 60_000;

export const TURNED_OFF = "Briefing turned off in the clinic's settings.";

export async function deliverBriefing(deps: BriefingDeliveryDeps, input: { clinicId: string; weekStart: string }): Promise<BriefingOutcome> {
  const now = deps.now?.() ?? new Date();
  if (!isMonday(input.weekStart)) throw new Error(`weekStart ${input.weekStart} is not a Monday`);
  // why: a held briefing is re-decided every sweep; only the first hold of a week counts as "held"
  let firstHold = false;
  const result = await inTransaction(deps.db, async (tx): Promise<BriefingOutcome> => {
    const subject = await getBriefingSubject({ clinicId: input.clinicId }, tx);
    if (!subject) return { outcome: "skipped", reason: "clinic not found" } as const;
    const zone = subject.clinic.timeZone;
    const dueAt = briefingDueAt(zone, input.weekStart);
    if (now.getTime() < dueAt.getTime()) return { outcome: "not_due" } as const;
    const row = await claimBriefing({ clinicId: input.clinicId, weekStart: input.weekStart, dueAt }, tx);
    if (row.state === "sent" || row.state === "skipped") return { outcome: "already_done", state: row.state } as const;
    const key = { clinicId: input.clinicId, weekStart: input.weekStart, now };

    const skip = async (reason: string): Promise<BriefingOutcome> => {
      await updateBriefing({ ...key, patch: { state: "skipped", skippedReason: reason } }, tx);
      if (row.state === "held") await resolveHeld(deps, subject, now, tx);
      return { outcome: "skipped", reason };
    };

    if (subject.clinic.archivedAt) return skip("The clinic is archived.");
    if (subject.settings && !subject.settings.enabled) return skip(TURNED_OFF);
    const c = subject.connection;
    if (!c) return skip("The clinic has no connection to its practice system.");
    if (notSetUp(c)) return skip("Not set up yet: the connection has not finished its first sync.");
    const dayEnd = briefingDayEnd(zone, input.weekStart);
    if (now.getTime() >= dayEnd.getTime()) {
      return skip(row.heldReason ? `Held all Monday, then skipped for the week. ${row.heldReason}` : "Monday ended before the briefing could go out.");
    }
    const recipients = subject.settings?.recipients?.length ? subject.settings.recipients : subject.clinic.adminEmail ? [subject.clinic.adminEmail] : [];
    if (recipients.length === 0) return skip("No recipients: no briefing recipients are set and the clinic has no admin email.");

    const hold = async (reason: string): Promise<BriefingOutcome> => {
      firstHold = !row.heldAt;
      await updateBriefing({ ...key, patch: { state: "held", heldReason: reason, heldAt: row.heldAt ?? now } }, tx);
      await raiseHeld(deps, subject, input.weekStart, reason, now, tx);
      // why once: a held briefing is re-checked every sweep until Monday ends; integrations hear of the hold once
      if (firstHold) {
        const { about, fields } = briefingAbout(subject);
        await recordEvents(tx, [{ type: "briefing.held", ...about, data: { ...fields, weekStart: input.weekStart, reason } }]);
      }
      return { outcome: "held", reason };
    };
    const reason = holdReason(c, now, deps.staleAfterHours ?? STALE_AFTER_HOURS);
    if (reason) return hold(reason);

    const composed = await deps.compose({ db: tx }, { clinicId: input.clinicId, weekStart: input.weekStart, now });
    if (!composed.ok) return composed.reason === "no_connection" ? skip(composed.message) : hold(composed.message);
    const late = row.state === "held" || now.getTime() - dueAt.getTime() > LATE_AFTER_MS;
    const email = await deps.render(composed.report, { brand: deps.brand, vendor: c.vendor, late: late ? { dueAt: dueAt.toISOString() } : null });

    const notifications: OutgoingMessage[] = recipients.map((target) => ({
      id: randomUUID(),
      clinicId: input.clinicId,
      connectionId: c.id,
      alertIds: [],
      event: "briefing",
      channel: "email",
      audience: "clinic_admin",
      target,
      content: { kind: "email", subject: email.subject, text: email.text, html: email.html },
      createdAt: now,
    }));
    await queueMessages(notifications, tx, deps.deliveries);
    const notificationIds = notifications.map((n) => n.id);
    await updateBriefing(
      { ...key, patch: { state: "sent", sentAt: now, late, report: composed.report as unknown as Record<string, unknown>, recipients, notificationIds } },
      tx,
    );
    const { about, fields } = briefingAbout(subject);
    await recordEvents(tx, [{ type: "briefing.sent", ...about, data: { ...fields, weekStart: input.weekStart, late, recipientCount: recipients.length } }]);
    if (row.state === "held") await resolveHeld(deps, subject, now, tx);
    return { outcome: "sent", late, notificationIds };
  });
  // why: counted after the commit, so a rolled-back decision is never counted
  if (result.outcome === "sent" || result.outcome === "skipped" || (result.outcome === "held" && firstHold)) deps.metrics?.briefing(result.outcome);
  return result;
}

/** Who a briefing event is about: the clinic and its connection (held and sent both have one). */
function briefingAbout(subject: BriefingSubject) {
  const c = subject.connection!;
  return {
    about: { clinicId: subject.clinic.id, connectionId: c.id },
    fields: { clinicId: subject.clinic.id, clinicName: subject.clinic.name, connectionId: c.id, vendor: c.vendor },
  };
}

function packetFor(subject: BriefingSubject, weekStart: string, reason: string | null) {
  const c = subject.connection!;
  const packet = buildEscalationPacket({
    organisationName: subject.clinic.name,
    vendor: c.vendor,
    region: c.region,
    apiVersion: c.apiVersion,
    state: c.state,
    failureCode: c.failureCode,
    evidence: null,
    keyHint: c.keyHint,
    keyUpdatedAt: c.keyUpdatedAt,
    firstFailureAt: c.firstFailureAt,
    lastSuccessAt: c.lastSuccessAt,
    visiblePatients: c.visiblePatientCount,
  });
  if (reason) {
    packet.briefingHeld = { weekStart, reason };
    packet.exactError = reason;
  }
  return packet;
}

/** "Briefing held" to support, deduplicated by the alert machinery (one open alert per connection and kind). */
async function raiseHeld(deps: BriefingDeliveryDeps, subject: BriefingSubject, weekStart: string, reason: string, now: Date, tx: DbOrTx): Promise<void> {
  await applyAlertWork(
    {
      connectionId: subject.connection!.id,
      clinicId: subject.clinic.id,
      open: ["briefing_held"],
      resolve: [],
      recovered: false,
      packet: packetFor(subject, weekStart, reason),
      now,
    },
    tx,
    deps.alerts,
  );
}

/** The held briefing went out or was skipped: its alert resolves quietly (the briefing, or its history row, is the news). */
async function resolveHeld(deps: BriefingDeliveryDeps, subject: BriefingSubject, now: Date, tx: DbOrTx): Promise<void> {
  if (!subject.connection) return;
  await applyAlertWork(
    {
      connectionId: subject.connection.id,
      clinicId: subject.clinic.id,
      open: [],
      resolve: ["briefing_held"],
      recovered: false,
      packet: packetFor(subject, "", null),
      now,
    },
    tx,
    deps.alerts,
  );
}
