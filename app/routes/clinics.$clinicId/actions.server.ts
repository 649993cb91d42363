import { data } from "@remix-run/node";
import { z } from "zod";
import { publicUrl } from "../../../config/runtime.ts";
import { addNote, NoteSchema, pauseConnection, PauseReasonSchema, setManualNotes, type Actor } from "../../../domain/clinics/console-actions.ts";
import { clinicWithConnection } from "../../../domain/clinics/clinic-page.ts";
import { confirmAccountChange, discardAccountChange } from "../../../domain/clinics/account-change.ts";
import { PreapprovalNoteSchema, preapproveAccountChange, withdrawPreapproval } from "../../../domain/clinics/preapproval.ts";
import { enterKeyForClinic, SupportKeySchema } from "../../../domain/clinics/support-key.ts";
import { applyRegionAndReprobe, createClinicReconnectLink, resumeAndReprobe } from "../../../domain/clinics/clinic-workflows.ts";
import { lookupPatients, PatientNameSchema, probeNow, ReconnectPurposeSchema, type LiveDeps } from "../../../domain/clinics/live.ts";
import { requestSync } from "../../../domain/sync/sync-card.ts";
import type { Services } from "../../services.server.ts";
import { redirectWithFlash } from "../../session.server.ts";

/**
 * The clinic page's actions, beside the route that posts them: the form schema and, per intent, the
 * one domain call with its deps and the words the agent reads after it (the route only runs it).
 */

export const ClinicActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("probe") }),
  z.object({ intent: z.literal("apply-region") }),
  z.object({ intent: z.literal("pause"), reason: PauseReasonSchema }),
  z.object({ intent: z.literal("resume") }),
  z.object({ intent: z.literal("note"), note: NoteSchema }),
  z.object({ intent: z.literal("lookup"), patientName: PatientNameSchema }),
  z.object({ intent: z.literal("link-create"), purpose: ReconnectPurposeSchema }),
  z.object({ intent: z.literal("link-email"), purpose: ReconnectPurposeSchema }),
  z.object({ intent: z.literal("manual-notes-on"), manualNote: z.string().trim().max(200, "Keep it under 200 characters").optional() }),
  z.object({ intent: z.literal("manual-notes-off") }),
  z.object({ intent: z.literal("account-confirm") }),
  z.object({ intent: z.literal("account-discard") }),
  z.object({ intent: z.literal("sync") }),
  SupportKeySchema.extend({ intent: z.literal("key-enter") }),
  z.object({ intent: z.literal("account-preapprove"), preapprovalNote: PreapprovalNoteSchema }),
  z.object({ intent: z.literal("account-preapprove-withdraw") }),
]);

const liveDeps = (s: Services): LiveDeps => ({
  db: s.db,
  keyring: s.keyring,
  vendors: s.vendors,
  vendorSettings: s.vendor,
  vendorDeps: s.vendorDeps,
  alerts: s.alerts,
  probes: s.queues.probe,
  metrics: s.metrics.recorder,
});
const probeStep = (s: Services) => (i: { clinicId: string; connectionId: string; actor: Actor }) => probeNow(i, liveDeps(s));

/** One intent of the clinic page: the domain call, then its answer (inline data, or a redirect with a flash). */
export async function runClinicIntent({
  input,
  clinicId,
  actor,
  services,
  request,
}: {
  input: z.output<typeof ClinicActionSchema>;
  clinicId: string;
  actor: Actor;
  services: Services;
  request: Request;
}) {
  const { clinic, connection } = await clinicWithConnection(clinicId, services.db);
  const here = `/clinics/${clinicId}`;
  const flash = (message: string) => redirectWithFlash(request, services, here, message);
  switch (input.intent) {
    case "probe": {
      const report = await probeNow({ clinicId, connectionId: connection.id, actor }, liveDeps(services));
      return data({
        ok: true as const,
        intent: "probe" as const,
        probe: {
          outcome: report.outcome,
          failureCode: report.failureCode,
          state: report.state,
          ms: report.ms,
          visiblePatients: report.verify?.visiblePatients ?? null,
          visiblePatientsAtLeast: report.verify?.visiblePatientsAtLeast === true,
        },
      });
    }
    case "lookup": {
      const lookup = await lookupPatients({ clinicId, connectionId: connection.id, name: input.patientName, actor }, liveDeps(services));
      return data({ ok: true as const, intent: "lookup" as const, lookup, searched: input.patientName });
    }
    case "link-create":
    case "link-email": {
      const link = await createClinicReconnectLink(
        {
          clinic,
          vendor: connection.vendor,
          purpose: input.purpose,
          email: input.intent === "link-email",
          actor,
          publicUrl: publicUrl(services.env),
          ttlHours: services.env.RECONNECT_LINK_TTL_HOURS,
        },
        { db: services.db, keyring: services.keyring, deliveries: services.queues.deliver, brand: services.brand },
      );
      return data({
        ok: true as const,
        intent: "link" as const,
        link: { url: link.url, expiresAt: link.expiresAt.toISOString(), emailedTo: link.emailQueuedTo },
      });
    }
    case "apply-region": {
      const { region } = await applyRegionAndReprobe({ clinicId, actor }, { db: services.db, probe: probeStep(services) });
      return flash(`Region set to ${region} and re-probed.`);
    }
    case "pause":
      await pauseConnection({ clinicId, reason: input.reason || undefined, actor }, services.db);
      return flash("Connection paused. Nothing is probed until you resume it.");
    case "resume":
      await resumeAndReprobe({ clinicId, actor }, { db: services.db, probe: probeStep(services) });
      return flash("Connection resumed and probed.");
    case "note":
      await addNote({ clinicId, text: input.note, actor }, services.db);
      return flash("Note added to the timeline.");
    case "manual-notes-on":
    case "manual-notes-off":
      await setManualNotes(
        { clinicId, on: input.intent === "manual-notes-on", note: input.intent === "manual-notes-on" ? input.manualNote : undefined, actor },
        services.db,
      );
      return flash(
        input.intent === "manual-notes-on"
          ? "Recorded: the clinic is copying notes by hand today (in the escalation packet)."
          : "Recorded: the clinic stopped copying notes by hand.",
      );
    case "account-confirm": {
      const { accountName } = await confirmAccountChange(
        { clinicId, actor },
        { db: services.db, keyring: services.keyring, vendors: services.vendors, alerts: services.alerts },
      );
      return flash(`Account change confirmed: connected to ${accountName}.`);
    }
    case "sync":
      await requestSync({ clinicId, connectionId: connection.id, actor }, { db: services.db, queue: services.queues.sync });
      return flash("Sync requested: the card below shows its progress.");
    case "account-discard":
      await discardAccountChange({ clinicId, actor }, { db: services.db, alerts: services.alerts });
      return flash("The held key was discarded; the connection keeps its account.");
    case "key-enter": {
      const entered = await enterKeyForClinic(
        {
          target: { clinicId, connectionId: connection.id, vendor: connection.vendor, region: connection.region, apiVersion: connection.apiVersion },
          input,
          actor,
        },
        { db: services.db, keyring: services.keyring, vendors: services.vendors, alerts: services.alerts },
      );
      if (entered.kind === "refused") return data({ ok: true as const, intent: "key" as const, verdict: entered.verdict }, { status: 422 });
      if (entered.kind === "account_held")
        return flash(
          `Not connected: this key belongs to ${entered.accountName}, not ${entered.previousName}. Confirm the account change below only if that is intended.`,
        );
      return flash(
        `New key ${entered.keyHint} stored and working${entered.accountName ? ` (${entered.accountName})` : ""}${entered.worksAgainQueued ? "; a works-again message is queued to whoever was alerted" : ""}.`,
      );
    }
    case "account-preapprove":
      await preapproveAccountChange({ clinicId, note: input.preapprovalNote, actor }, services.db);
      return flash("Account change pre-approved: the next key of another account connects without asking the clinic.");
    case "account-preapprove-withdraw":
      await withdrawPreapproval({ clinicId, actor }, services.db);
      return flash("Pre-approval withdrawn.");
  }
}
