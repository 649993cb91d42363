import { inTransaction, type DbOrTx } from "../../db/client.ts";
import { randomUUID } from "node:crypto";
import { getClinicContact, latestResolvedAlerts, resolveAlerts, upsertAlertSighting, type AlertRow } from "../../db/queries/alerts.ts";
import { clearAlertHold, getOpenIncident, holdAlert } from "../../db/queries/incidents.ts";
import type { Brand } from "../brand.ts";
import { DomainError } from "../errors.ts";
import { recordAlertEvents } from "../events/alerts.ts";
import { playbookFor, TAXONOMY } from "../health/taxonomy.ts";
import type { DeliveryJobQueue } from "../jobs.ts";
import { sealReconnectToken } from "../reconnect/email.ts";
import { createReconnectLink } from "../reconnect/links.ts";
import { redactReconnectLink } from "../reconnect/tokens.ts";
import type { Keyring } from "../secrets/key-crypto.ts";
import { renderEmail, type AlertSnapshot, type MessageContext } from "./messages.ts";
import { queueMessages, type OutgoingMessage } from "./outbox.ts";
import { countsTowardIncident, incidentSummary, type IncidentSettings } from "../incidents/rules.ts";
import { type AlertEvent, type AlertKind, type EscalationPacket, VENDOR_LABELS } from "../vocabulary.ts";

/**
 * Alert rules (docs/decisions/0006-alerts.md):
 * - At most one unresolved alert per connection and kind (a partial unique index enforces it).
 *   A repeat counts on it (count, last_seen_at, latest packet) and notifies nobody.
 * - A recurrence after resolution opens a NEW row linked to the old one (`reopened_from_id`), so
 *   every incident keeps its own first-seen, count and resolution; it notifies as "reopened".
 *   A mute still running on the resolved alert carries over, so a flapping connection stays quiet.
 * - A muted alert counts repeats and notifies nobody until its date.
 * - A recovery resolves the alerts decide() names and sends ONE "recovered" message per target
 *   (each email recipient) covering all of them — unless every one was muted, or
 *   nothing was open (a blip that never alerted recovers silently).
 * - Messages are rendered now and delivered by `deliver` jobs enqueued in the same
 *   transaction as the alert rows: no job for a rolled-back write, no write without its job.
 * - The clinic admin hears only what they can act on (docs/decisions/0027): an "action needed"
 *   email carries a FRESH reconnect link minted in this transaction (its token sealed on the
 *   message, the stored copy redacted); a wrong region is support's to fix alone, so the clinic
 *   gets no email when it opens — the "works again" email after the fix says what was changed.
 */

export interface AlertRecipients {
  /** Email the clinic admin (clinics.admin_email), in clinic-facing words. */
  emailClinicAdmin: boolean;
  /** The support team's address, in support-facing words with the escalation packet. */
  supportEmail: string | null;
  /** Console base URL, for a link to the clinic page. */
  consoleUrl: string | null;
  /** The vendor's product name and support contact in clinic-facing emails; default DEFAULT_BRAND. */
  brand?: Brand;
}

/** What minting a reconnect link for an "action needed" email needs; absent: the email asks the clinic to reply for one. */
interface AlertLinkSettings {
  keyring: Keyring;
  /** PUBLIC_URL: the address the clinic opens. */
  publicUrl: string;
  ttlHours: number;
}

/** Enqueues delivery jobs on the caller's transaction; workers/queues.ts provides the pg-boss one. */
export interface AlertWorkDeps {
  queue: DeliveryJobQueue;
  recipients: AlertRecipients;
  links?: AlertLinkSettings | null;
  /** Vendor-incident thresholds (docs/decisions/0049); default DEFAULT_INCIDENT_SETTINGS. */
  incidents?: IncidentSettings;
}

/**
 * What the clinic admin is told when an alert opens: "action" (steps for them, with a fresh link),
 * "info" (nothing for them to do; said plainly, never under an "Action needed" subject) or nothing
 * (support fixes it alone: a wrong region).
 */
function clinicAlertEmail(packet: EscalationPacket): "action" | "info" | null {
  const code = packet.failureCode && packet.failureCode in TAXONOMY ? packet.failureCode : null;
  if (code === "wrong_region") return null;
  if (code && playbookFor(code, packet.vendor).clinicSteps.length > 0) return "action";
  return "info";
}

export interface AlertWorkInput {
  connectionId: string;
  clinicId: string;
  open: readonly AlertKind[];
  resolve: readonly AlertKind[];
  /** decide() saw a recovery: resolved alerts produce a "recovered" message. */
  recovered: boolean;
  packet: EscalationPacket;
  now: Date;
}

/** Alert ids by what happened to them, and how many delivery jobs were enqueued. */
export interface AlertWorkResult {
  opened: string[];
  reopened: string[];
  repeated: string[];
  resolved: string[];
  deliveriesQueued: number;
}

interface PendingEvent {
  event: AlertEvent;
  alerts: AlertRow[];
}

function isMuted(alert: Pick<AlertRow, "mutedUntil">, now: Date): boolean {
  return alert.mutedUntil !== null && alert.mutedUntil.getTime() > now.getTime();
}

export async function applyAlertWork(input: AlertWorkInput, db: DbOrTx, deps: AlertWorkDeps): Promise<AlertWorkResult> {
  const result: AlertWorkResult = { opened: [], reopened: [], repeated: [], resolved: [], deliveriesQueued: 0 };
  const open = [...new Set(input.open)];
  // why: a kind both opened and resolved in one call is contradictory; the sighting wins
  const resolve = [...new Set(input.resolve)].filter((k) => !open.includes(k));
  // why: the healthy probe that changes nothing (the common case) costs no query at all
  if (open.length === 0 && resolve.length === 0) return result;
  const { connectionId, clinicId, now, packet } = input;

  return inTransaction(db, async (tx) => {
    const events: PendingEvent[] = [];
    // why (docs/decisions/0049): an alert seen while its vendor region has an open incident names it in
    // its packet; a degraded one is grouped under it and held — the incident's own message tells support
    const region = open.length > 0 ? await getOpenIncident({ vendor: packet.vendor, region: packet.region }, tx) : undefined;
    const incident = region?.incident;
    const sighted: EscalationPacket = region
      ? { ...packet, vendorIncident: { id: region.incident.id, summary: incidentSummary(region.incident, region.failing, region.connections) } }
      : packet;
    const work = sighted === packet ? input : { ...input, packet: sighted };

    const resolvedRows = await resolveAlerts({ connectionId, kinds: resolve, now }, tx);
    result.resolved = resolvedRows.map((a) => a.id);
    // why: a held alert was never announced, so its recovery is not either
    const told = resolvedRows.filter((a) => a.hold === null);
    if (input.recovered && told.some((a) => !isMuted(a, now))) events.push({ event: "recovered", alerts: told });

    const previous = await latestResolvedAlerts({ connectionId, kinds: open }, tx);
    const inserted: AlertRow[] = [];
    for (const kind of open) {
      const prev = previous.get(kind);
      const grouped = incident && kind === "degraded_too_long" && countsTowardIncident(packet.failureCode) ? incident.id : null;
      const alert = await upsertAlertSighting(
        {
          connectionId,
          clinicId,
          kind,
          now,
          packet: sighted,
          reopenedFromId: prev?.id ?? null,
          mutedUntil: prev && isMuted(prev, now) ? prev.mutedUntil : null,
          incidentId: grouped,
        },
        tx,
      );
      if (!alert.inserted) {
        result.repeated.push(alert.id);
        if (alert.hold === null) continue;
        if (grouped) {
          // why: held under an incident that ended while a new one opened: held under the new one
          if (alert.incidentId !== grouped) await holdAlert({ alertId: alert.id, incidentId: grouped }, tx);
          continue;
        }
        // why: held, and no incident stands for it any more (it resolved, even while this alert was
        // being opened): it is this clinic's own problem now, announced once as a first opening —
        // deciding here, not when the incident resolves, keeps hundreds recovering in the same minute quiet
        await clearAlertHold({ alertId: alert.id }, tx);
        inserted.push(alert);
        if (!isMuted(alert, now)) events.push({ event: alert.reopenedFromId ? "reopened" : "opened", alerts: [alert] });
        continue;
      }
      const event: AlertEvent = prev ? "reopened" : "opened";
      (event === "reopened" ? result.reopened : result.opened).push(alert.id);
      if (alert.hold === "held") continue;
      inserted.push(alert);
      if (!isMuted(alert, now)) events.push({ event, alerts: [alert] });
    }

    await recordAlertEvents(tx, { opened: inserted, resolved: told, reason: input.recovered ? "recovered" : "cleared" });
    if (events.length) result.deliveriesQueued = await queueNotifications(work, events, tx, deps);
    return result;
  });
}

function snapshot(a: AlertRow): AlertSnapshot {
  return {
    id: a.id,
    kind: a.kind,
    status: a.status,
    count: a.count,
    firstSeenAt: a.firstSeenAt,
    lastSeenAt: a.lastSeenAt,
    resolvedAt: a.resolvedAt,
    packet: a.packet,
  };
}

/** Renders one message per target for each event, stores them, and enqueues their jobs. */
async function queueNotifications(input: AlertWorkInput, events: PendingEvent[], tx: DbOrTx, deps: AlertWorkDeps): Promise<number> {
  const clinic = await getClinicContact({ clinicId: input.clinicId }, tx);
  if (!clinic) throw new Error(`clinic ${input.clinicId} not found for alert delivery`);
  const { recipients } = deps;

  const rows: OutgoingMessage[] = [];
  for (const { event, alerts } of events) {
    const base = {
      clinicId: input.clinicId,
      connectionId: input.connectionId,
      alertIds: alerts.map((a) => a.id),
      event,
      createdAt: input.now,
    };
    const context = (notificationId: string): MessageContext => ({
      event,
      notificationId,
      clinic,
      connectionId: input.connectionId,
      packet: input.packet,
      alerts: alerts.map(snapshot),
      now: input.now,
      consoleUrl: recipients.consoleUrl,
      ...(recipients.brand ? { brand: recipients.brand } : {}),
    });
    const add = (
      row: Omit<OutgoingMessage, "id" | "content" | keyof typeof base>,
      render: (ctx: MessageContext) => Record<string, unknown>,
      id: string = randomUUID(),
    ) => {
      rows.push({ ...base, ...row, id, content: render(context(id)) });
    };
    // why: a held briefing is support's to chase (docs/decisions/0040); the clinic already heard about its connection
    const tell = alerts.every((a) => a.kind === "briefing_held") ? null : event === "recovered" ? "recovered" : clinicAlertEmail(alerts[0]!.packet);
    if (recipients.emailClinicAdmin && clinic.adminEmail && tell) {
      const id = randomUUID();
      let link: { token: string; url: string; expiresAt: Date; linkId: string } | null = null;
      if (tell === "action" && deps.links) {
        const code = alerts[0]!.packet.failureCode;
        // why: a clinic that cannot have a link (archived meanwhile) still gets the email, asking it to reply
        const created = await createReconnectLink(
          {
            clinicId: input.clinicId,
            // why: the reconnect page shows this as "why you got this link": name the vendor the clinic knows
            purpose: (code
              ? TAXONOMY[code].clinicMessage.replace(/^Your practice-management system/, VENDOR_LABELS[alerts[0]!.packet.vendor])
              : "Your connection needs a new API key."
            ).slice(0, 200),
            createdBy: "system",
            ttlHours: deps.links.ttlHours,
            now: input.now,
            forAlertEmail: true,
          },
          tx,
        ).catch((err: unknown) => {
          if (err instanceof DomainError) return null;
          throw err;
        });
        const token = created ? created.path.slice("/reconnect/".length) : "";
        if (created) link = { token, url: `${deps.links.publicUrl.replace(/\/+$/, "")}${created.path}`, expiresAt: created.expiresAt, linkId: created.linkId };
      }
      add(
        {
          channel: "email",
          audience: "clinic_admin",
          target: clinic.adminEmail,
          // why: the token exists only sealed on this row and in the email sent; the stored copy is redacted
          ...(link ? { linkId: link.linkId, ...sealReconnectToken(deps.links!.keyring, id, link.token) } : {}),
        },
        (ctx) => {
          const email = renderEmail({ ...ctx, reconnect: link ? { url: link.url, expiresAt: link.expiresAt } : null }, "clinic_admin");
          return link ? { ...email, text: redactReconnectLink(email.text, link.token), html: redactReconnectLink(email.html, link.token) } : email;
        },
        id,
      );
    }
    if (recipients.supportEmail) {
      add({ channel: "email", audience: "support", target: recipients.supportEmail }, (ctx) => renderEmail(ctx, "support"));
    }
  }
  return queueMessages(rows, tx, deps.queue);
}
