import { randomUUID } from "node:crypto";
import { VENDOR_LABELS } from "../vocabulary.ts";
import { z } from "zod";
import type { Db, DbOrTx } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { getConnectionForProbe, getProbeOutcome, mergeSupportFindings } from "../../db/queries/connections.ts";
import type { AlertWorkDeps } from "../alerts/apply.ts";
import type { DeliveryJobQueue, ProbeJobQueue } from "../jobs.ts";
import { getClinicContact } from "../../db/queries/alerts.ts";
import { READ_ONLY_NOTE } from "../alerts/messages.ts";
import { brandContactLine, clinicTime, DEFAULT_BRAND, type Brand } from "../brand.ts";
import { queueReconnectEmail } from "../reconnect/email.ts";
import { openApiKey, type Keyring } from "../connections/key-storage.ts";
import { probeConnection, type ProbeReport, type VendorAccess } from "../health/probe.ts";
import { createVendorClient } from "../vendors/factory.ts";
import { createReconnectLink } from "../reconnect/links.ts";
import { KeyCryptoError } from "../secrets/key-crypto.ts";
import type { VendorClientDeps } from "../vendors/client.ts";
import { isVendorError } from "../vendors/errors.ts";
import type { VendorSettings } from "../vendors/types.ts";
import type { Actor } from "./console-actions.ts";
import type { MetricsRecorder } from "../metrics.ts";

/**
 * The clinic page's live actions: they reach the vendor through the clinic's own key (decrypted
 * only here, server-side) or create something the clinic receives.
 */

export interface LiveDeps {
  db: Db;
  keyring: Keyring;
  vendors: VendorAccess;
  vendorSettings: VendorSettings;
  /** The process's vendor client deps (the shared Nookal token store); default: in-process only. */
  vendorDeps?: VendorClientDeps;
  /** A manual probe alerts exactly like a scheduled one (opens, resolves, "recovered"). */
  alerts: AlertWorkDeps;
  probes: ProbeJobQueue;
  /** A manual probe counts in the probe metrics like a scheduled one; none = not recorded. */
  metrics?: Pick<MetricsRecorder, "probe">;
}

/** What creating and emailing a reconnect link needs: the link and its email commit together. */
export interface LinkSendDeps {
  db: DbOrTx;
  keyring: Keyring;
  deliveries: DeliveryJobQueue;
  /** The product name and support contact the clinic knows; default DEFAULT_BRAND. */
  brand?: Brand;
}

/**
 * Probes one connection in the request and returns the classified result for the page to show
 * inline (docs/decisions/0010-console-probe-now-inline.md).
 */
export async function probeNow(
  { clinicId, connectionId, actor }: { clinicId: string; connectionId: string; actor: Actor },
  deps: LiveDeps,
): Promise<ProbeReport> {
  const report = await probeConnection(
    { db: deps.db, keyring: deps.keyring, vendors: deps.vendors, alerts: deps.alerts, probes: deps.probes, metrics: deps.metrics },
    { connectionId, probeId: randomUUID(), reason: "manual", requestedBy: `user:${actor.userId}` },
  );
  await recordAudit(
    {
      actorUserId: actor.userId,
      actorLabel: actor.label,
      action: "connection.probe",
      clinicId,
      details: { outcome: report.outcome, failureCode: report.failureCode, state: report.state, ms: report.ms },
    },
    deps.db,
  );
  return report;
}

export const PatientNameSchema = z.string().trim().min(2, "Type at least two letters of the name").max(100);

export type LookupResult = { ok: true; matches: number; capped: boolean } | { ok: false; message: string };

const LOOKUP_LIMIT = 50;

/**
 * "Is one patient missing?": searches the vendor by name through the clinic's key and returns only
 * how many match. The records themselves are never stored, logged or sent to the browser.
 */
export async function lookupPatients(
  { clinicId, connectionId, name, actor }: { clinicId: string; connectionId: string; name: string; actor: Actor },
  deps: LiveDeps,
): Promise<LookupResult> {
  const row = await getConnectionForProbe({ connectionId }, deps.db);
  if (!row) return { ok: false, message: "This clinic has no connection." };
  let key: string | null;
  try {
    key = openApiKey(deps.keyring, row.connection);
  } catch (err) {
    if (!(err instanceof KeyCryptoError)) throw err;
    key = null;
  }
  let result: LookupResult;
  if (!key)
    result = {
      ok: false,
      message: row.connection.keyId
        ? "The stored key cannot be decrypted with our master keys (an engineering problem, not the clinic's)."
        : "No key is stored; send the clinic a reconnect link first.",
    };
  else {
    try {
      const found = await createVendorClient(
        { vendor: row.connection.vendor, key, region: row.connection.region, apiVersion: row.connection.apiVersion },
        deps.vendorSettings,
        deps.vendorDeps,
      ).searchPatients(name, { limit: LOOKUP_LIMIT });
      result = { ok: true, matches: found.length, capped: found.length >= LOOKUP_LIMIT };
    } catch (err) {
      if (!isVendorError(err)) throw err;
      result = { ok: false, message: `The vendor refused the search: ${err.message}` };
    }
  }
  // why: the escalation packet says what support learned: "one patient missing" (no match while
  // others are visible) versus "no patients" — the count only, never the name
  if (result.ok)
    await mergeSupportFindings(
      { connectionId, patch: { patientLookup: { matches: result.matches, capped: result.capped, at: new Date().toISOString() } } },
      deps.db,
    );
  // why: the audit records that a lookup happened and its count, never the name searched for
  await recordAudit(
    {
      actorUserId: actor.userId,
      actorLabel: actor.label,
      action: "clinic.patient_lookup",
      clinicId,
      details: result.ok ? { matches: result.matches } : { failed: true },
    },
    deps.db,
  );
  return result;
}

export const ReconnectPurposeSchema = z.string().trim().min(1, "Say why the clinic should reconnect").max(200, "Keep it under 200 characters");

/**
 * Creates a reconnect link (revoking older ones) and, when asked, queues it by email to the clinic
 * admin — in ONE transaction, so there is never a link whose email was lost or an email for a
 * link that rolled back. The email is delivered by the worker's `deliver` queue: `emailQueued`
 * says it waits there ("Queued" in the console until it is really sent).
 */
export async function sendReconnectLink(
  {
    clinicId,
    purpose,
    email,
    actor,
    publicUrl,
    ttlHours,
    admin,
    now = new Date(),
  }: {
    clinicId: string;
    purpose: string;
    email: boolean;
    actor: Actor;
    publicUrl: string;
    ttlHours: number;
    admin: { name: string | null; email: string | null; clinicName: string; vendorLabel: string };
    now?: Date;
  },
  deps: LinkSendDeps,
): Promise<{ url: string; expiresAt: Date; emailQueuedTo: string | null; notificationId: string | null }> {
  return deps.db.transaction(async (tx) => {
    const link = await createReconnectLink({ clinicId, purpose, createdBy: actor.userId, actorLabel: actor.label, ttlHours, now }, tx);
    const url = `${publicUrl.replace(/\/$/, "")}${link.path}`;
    if (!email || !admin.email) return { url, expiresAt: link.expiresAt, emailQueuedTo: null, notificationId: null };
    const to = admin.email;
    const brand = deps.brand ?? DEFAULT_BRAND;
    const contact = brandContactLine(brand);
    // why: the clinic reads the expiry in its own time zone, as an exact moment
    const timeZone = (await getClinicContact({ clinicId: link.clinicId }, tx))?.timeZone ?? null;
    const vendorKey = admin.vendorLabel === VENDOR_LABELS.nookal ? "nookal" : "cliniko";
    const { notificationId } = await queueReconnectEmail(
      {
        clinicId: link.clinicId,
        connectionId: link.connectionId,
        linkId: link.linkId,
        token: link.path.slice("/reconnect/".length),
        to,
        subject: `Reconnect ${admin.vendorLabel} to ${brand.productName} — ${admin.clinicName}`,
        text: [
          `Hello${admin.name ? ` ${admin.name}` : ""},`,
          "",
          `${purpose.replace(/[.!?]?\s*$/, ".")}`,
          "",
          `Open this link and paste a new ${admin.vendorLabel} API key; it checks the key while you wait:`,
          url,
          "",
          `The link works once, until ${clinicTime(link.expiresAt, timeZone)}. Reconnecting loses no data.`,
          "",
          READ_ONLY_NOTE[vendorKey],
          "",
          `— The ${brand.productName} team${contact ? `. ${contact}` : ""}`,
        ].join("\n"),
        now,
      },
      tx,
      deps,
    );
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "reconnect_link.emailed",
        clinicId,
        details: { to, expiresAt: link.expiresAt.toISOString(), notificationId },
      },
      tx,
    );
    return { url, expiresAt: link.expiresAt, emailQueuedTo: to, notificationId };
  });
}

/** What a queued probe came to, once a probe finished after it was asked for. */
export interface QueuedProbeResult {
  state: string | null;
  failureCode: string | null;
  lastProbeAt: Date | null;
}

/**
 * "Probe now" through the probe queue (the JSON API, docs/decisions/0044-api-endpoints.md): the
 * request enqueues a manual probe — the worker runs it exactly like a scheduled one, alerts and all —
 * and records who asked, then waits up to `waitMs` for a probe to finish after the request.
 * why any probe, not only ours: the queue keeps one waiting probe per connection, so a request
 * while one waits is absorbed by it, and that probe's result is the fresh answer the caller wants.
 * Null when none finished in time (the caller polls the clinic).
 */
export async function probeThroughQueue(
  { clinicId, connectionId, actor, waitMs, pollMs = 200 }: { clinicId: string; connectionId: string; actor: Actor; waitMs: number; pollMs?: number },
  deps: { db: Db; probes: ProbeJobQueue },
): Promise<QueuedProbeResult | null> {
  const requestedAt = new Date();
  const probeId = randomUUID();
  await deps.db.transaction(async (tx) => {
    await deps.probes.enqueue([{ id: probeId, data: { connectionId, reason: "manual", requestedBy: `user:${actor.userId}` } }], tx);
    await recordAudit({ actorUserId: actor.userId, actorLabel: actor.label, action: "connection.probe_requested", clinicId, details: { probeId, waitMs } }, tx);
  });
  const deadline = requestedAt.getTime() + waitMs;
  for (;;) {
    const seen = await getProbeOutcome({ connectionId }, deps.db);
    if (seen?.lastProbeAt && seen.lastProbeAt.getTime() >= requestedAt.getTime()) return seen;
    if (Date.now() + pollMs > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
