import type { Db } from "../../db/client.ts";
import { getLinkMessage } from "../../db/queries/alerts.ts";
import { clinicWithConnection } from "./clinic-page.ts";
import { DomainError } from "../errors.ts";
import type { ProbeReport } from "../health/probe.ts";
import { applySuggestedRegion, resumeConnection, type Actor } from "./console-actions.ts";
import { sendReconnectLink, type LinkSendDeps } from "./live.ts";
import { type Vendor, VENDOR_LABELS } from "../vocabulary.ts";

/**
 * The clinic page's actions that chain steps. Each is a workflow over console actions; the probe is
 * one injected step (`probe`), so the page passes probeNow and a later "probe and apply the outcome"
 * function can take its place without touching these.
 */

export type ProbeStep = (input: { clinicId: string; connectionId: string; actor: Actor }) => Promise<ProbeReport>;

/** wrong_region's one click: store the region the key works in, then re-probe so the page shows the result. */
export async function applyRegionAndReprobe(
  { clinicId, actor }: { clinicId: string; actor: Actor },
  deps: { db: Db; probe: ProbeStep },
): Promise<{ region: string; report: ProbeReport }> {
  const { connectionId, region } = await applySuggestedRegion({ clinicId, actor }, deps.db);
  const report = await deps.probe({ clinicId, connectionId, actor });
  return { region, report };
}

/** Resume a paused connection (back to setup_pending), then probe it to see where it stands. */
export async function resumeAndReprobe(
  { clinicId, actor }: { clinicId: string; actor: Actor },
  deps: { db: Db; probe: ProbeStep },
): Promise<{ report: ProbeReport }> {
  const { connectionId } = await resumeConnection({ clinicId, actor }, deps.db);
  return { report: await deps.probe({ clinicId, connectionId, actor }) };
}

export interface LinkClinic {
  id: string;
  name: string;
  adminName: string | null;
  adminEmail: string | null;
}

/**
 * The clinic page's "Create link" / "Create and email": emailing needs an admin address on file
 * (a 400 next to the purpose otherwise), and the email speaks of the clinic's vendor.
 */
export async function createClinicReconnectLink(
  {
    clinic,
    vendor,
    purpose,
    email,
    actor,
    publicUrl,
    ttlHours,
  }: { clinic: LinkClinic; vendor: Vendor; purpose: string; email: boolean; actor: Actor; publicUrl: string; ttlHours: number },
  deps: LinkSendDeps,
) {
  if (email && !clinic.adminEmail)
    throw new DomainError(400, "This clinic has no admin email; create the link and send it yourself.", { field: "purpose", code: "no_admin_email" });
  return sendReconnectLink(
    {
      clinicId: clinic.id,
      purpose,
      email,
      actor,
      publicUrl,
      ttlHours,
      admin: { name: clinic.adminName, email: clinic.adminEmail, clinicName: clinic.name, vendorLabel: VENDOR_LABELS[vendor] },
    },
    deps,
  );
}

/**
 * The outbox's "Resend a new link": a stored message shows its link redacted and its token is gone
 * once it settled, so the old link is never shown again; instead a NEW link is made for the same
 * purpose and emailed to the clinic admin (revoking the old one), exactly like "Create and email".
 */
export async function resendReconnectLink(
  { notificationId, actor, publicUrl, ttlHours }: { notificationId: string; actor: Actor; publicUrl: string; ttlHours: number },
  deps: LinkSendDeps & { db: Db },
) {
  const message = await getLinkMessage({ notificationId }, deps.db);
  if (!message || message.audience !== "clinic_admin" || !message.clinicId)
    throw new DomainError(404, "No clinic email with a reconnect link has that id.", { code: "not_found" });
  const { clinic, connection } = await clinicWithConnection(message.clinicId, deps.db);
  return createClinicReconnectLink({ clinic, vendor: connection.vendor, purpose: message.purpose, email: true, actor, publicUrl, ttlHours }, deps);
}
