import { randomUUID } from "node:crypto";
import { formatBriefingMoment, nextBriefing } from "../briefings/schedule.ts";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { insertConnectionEvents } from "../../db/queries/connections.ts";
import { recordKeyCheck } from "../health/key-check.ts";
import { findClinicsByNameKeys, insertClinics, insertConnections, lockClinicNames } from "../../db/queries/clinic-records.ts";
import { checkKeyIdentity, type OtherClinic } from "../connections/key-identity.ts";
import { sealApiKey, type Keyring } from "../connections/key-storage.ts";
import { DomainError } from "../errors.ts";
import { acceptWorkingKey } from "../health/accept-key.ts";
import type { VendorAccess } from "../health/probe.ts";
import { verifyCandidateKey, type KeyVerdict } from "../health/verify-key.ts";
import { ClinicDetailsSchema, nameKey, type ClinicDetails } from "./clinic-fields.ts";
import type { Actor } from "./console-actions.ts";
import { type FailureCode, NOOKAL_REGIONS, VENDORS } from "../vocabulary.ts";
import { formatPatientsVisible } from "../patient-count.ts";

/**
 * Adding one clinic by hand: the key is checked live with the vendor first and the clinic is
 * saved only when the key works, so a clinic added this way starts healthy with real facts
 * (who the key belongs to, how many patients it sees) instead of waiting for the first probe.
 */

export const AddClinicSchema = ClinicDetailsSchema.extend({
  vendor: z.enum(VENDORS, "Pick Cliniko or Nookal"),
  key: z.string().min(1, "Paste the clinic's API key").max(2000, "That is far longer than any API key"),
  // why: Cliniko keys name their shard; only Nookal needs the person to pick a region
  region: z.enum(NOOKAL_REGIONS).optional().catch(undefined),
  apiVersion: z.enum(["v2", "v3"]).optional().catch(undefined),
  /** The one-click choice after a wrong-region verdict: a Nookal region or a Cliniko shard the key works in. */
  useRegion: z
    .string()
    .regex(/^(au|eu|us|[a-z]{2}\d{1,2})$/)
    .optional()
    .catch(undefined),
}).superRefine((v, ctx) => {
  if (v.vendor === "nookal" && !v.region && !v.useRegion)
    ctx.addIssue({ code: "custom", path: ["region"], message: "Pick the Nookal region the clinic signs in to" });
});
export type AddClinicInput = z.output<typeof AddClinicSchema>;

/** What the page shows about a verification, in plain words; it never carries the key. */
export interface VerdictView {
  ok: boolean;
  title: string;
  failureCode: FailureCode | null;
  /** What to tell the clinic (taxonomy's clinic-facing message). */
  clinicMessage: string | null;
  supportMessage: string | null;
  /** The specific reason: the local parse message or the vendor's classified answer. */
  detail: string | null;
  /** What was cleaned from the paste. */
  notes: string[];
  suggestedRegion: string | null;
  connectedAs: string | null;
  visiblePatients: number | null;
  /** The count stopped at a cap: at least `visiblePatients` are visible. */
  visiblePatientsAtLeast: boolean;
}

export function describeVerdict(v: KeyVerdict): VerdictView {
  if (v.ok) {
    return {
      ok: true,
      title: "The key works",
      failureCode: null,
      clinicMessage: null,
      supportMessage: null,
      detail: null,
      notes: v.notes,
      suggestedRegion: null,
      connectedAs: `${v.verified.user.name}${v.verified.user.role ? ` (${v.verified.user.role})` : ""}`,
      visiblePatients: v.verified.visiblePatients,
      visiblePatientsAtLeast: v.verified.visiblePatientsAtLeast === true,
    };
  }
  return {
    ok: false,
    title: v.info.title,
    failureCode: v.failureCode,
    clinicMessage: v.info.clinicMessage,
    supportMessage: v.info.supportMessage,
    detail: v.detail,
    notes: v.notes,
    suggestedRegion: v.suggestedRegion,
    connectedAs: v.verified ? v.verified.user.name : null,
    visiblePatients: v.verified ? v.verified.visiblePatients : null,
    visiblePatientsAtLeast: v.verified?.visiblePatientsAtLeast === true,
  };
}

/** The name is in use (by an archived clinic too): a 400 next to the name field. */
export function clinicNameTaken(name: string, archived: boolean): DomainError {
  return new DomainError(
    400,
    archived ? `An archived clinic is already called "${name}"; restore it instead of adding it again.` : `A clinic called "${name}" already exists.`,
    { field: "name", code: "clinic_name_taken" },
  );
}

/** The key already serves another clinic (docs/decisions/0026): a 400 next to the key field. */
export function keyInUse(others: OtherClinic[]): DomainError {
  const names = others.map((o) => `"${o.clinicName}"`).join(", ");
  return new DomainError(400, `This key is already connected for ${names}. One key never serves two clinics: ask the clinic to create a new key of its own.`, {
    field: "key",
    code: "key_in_use",
    details: { otherClinicIds: others.map((o) => o.clinicId) },
  });
}

export interface AddClinicDeps {
  db: Db;
  keyring: Keyring;
  vendors: VendorAccess;
}

export type AddClinicResult =
  | {
      ok: true;
      clinicId: string;
      verdict: VerdictView;
      keyHint: string;
      /** When the clinic's first weekly briefing arrives: "Monday 7 Dec, 07:00 Australia/Melbourne". */
      firstBriefing: string;
    }
  | { ok: false; verdict: VerdictView };

async function assertNameFree(name: string, tx: Parameters<typeof findClinicsByNameKeys>[1]) {
  const [taken] = await findClinicsByNameKeys({ keys: [nameKey(name)] }, tx);
  if (taken) throw clinicNameTaken(taken.name, taken.archivedAt !== null);
}

/**
 * Verifies the key live and, when it works, creates the clinic, its healthy connection (sealed
 * key + what the check learned), the "created" timeline event and the audit entry in one
 * transaction. A key that fails comes back as a verdict and nothing is written.
 * Throws a DomainError (field name) when the name is in use (checked before and after the vendor call).
 */
export async function addClinicByHand(
  { input, actor, now = new Date() }: { input: AddClinicInput; actor: Actor; now?: Date },
  deps: AddClinicDeps,
): Promise<AddClinicResult> {
  // why: answer a taken name before spending a vendor round trip on the key
  await assertNameFree(input.name, deps.db);
  const nookalRegion =
    input.vendor === "nookal" && input.useRegion && (NOOKAL_REGIONS as readonly string[]).includes(input.useRegion) ? input.useRegion : input.region;
  const verdict = await verifyCandidateKey(
    {
      vendor: input.vendor,
      rawKey: input.key,
      region: nookalRegion,
      apiVersion: input.apiVersion,
      ...(input.vendor === "cliniko" && input.useRegion ? { clinikoShard: input.useRegion } : {}),
    },
    deps.vendors,
  );
  const view = describeVerdict(verdict);
  if (!verdict.ok) return { ok: false, verdict: view };

  const verified = verdict.verified;
  return deps.db.transaction(async (tx) => {
    await lockClinicNames(tx);
    await assertNameFree(input.name, tx);
    // a new clinic has no account yet; the shared-key rule still applies
    const identity = await checkKeyIdentity({ keyring: deps.keyring, vendor: input.vendor, key: verdict.key, verified, connection: null }, tx);
    if (!identity.ok) throw keyInUse(identity.reason === "shared_key" ? identity.otherClinics : []);
    const [clinic] = await insertClinics(
      [
        {
          name: input.name,
          timeZone: input.timeZone,
          country: input.country,
          adminName: input.adminName,
          adminEmail: input.adminEmail,
          createdAt: now,
          updatedAt: now,
        },
      ],
      tx,
    );
    const clinicId = clinic!.id;
    const connectionId = randomUUID();
    const sealed = sealApiKey(deps.keyring, connectionId, { vendor: input.vendor, key: verdict.key, region: verdict.region }, now);
    await insertConnections(
      [
        {
          id: connectionId,
          clinicId,
          vendor: input.vendor,
          region: verdict.region,
          apiVersion: verdict.apiVersion,
          ...sealed,
          // the one "key accepted" transition, from no connection: healthy with what the check learned
          ...acceptWorkingKey({ connection: null, verified, now, by: { kind: "console" } }).patch,
          vendorAccount: identity.identity,
          keyFingerprint: identity.fingerprint,
        },
      ],
      tx,
    );
    await insertConnectionEvents(
      [
        {
          connectionId,
          clinicId,
          at: now,
          kind: "created",
          toState: "healthy",
          actor: `user:${actor.userId}`,
          message: `Added by ${actor.label}; the key ${sealed.keyHint} was checked live: connected as ${view.connectedAs}${identity.identity ? ` (${identity.identity.name})` : ""}, ${formatPatientsVisible(verified.visiblePatients, verified.visiblePatientsAtLeast)}.`,
          details: {
            keyHint: sealed.keyHint,
            region: verdict.region,
            apiVersion: verdict.apiVersion,
            visiblePatients: verified.visiblePatients,
            visiblePatientsAtLeast: view.visiblePatientsAtLeast,
            cleaned: verdict.notes,
            account: identity.identity,
          },
        },
      ],
      tx,
    );
    // why (issue 11): the key was just checked live; the probe strip starts with that check, not "no probes yet"
    await recordKeyCheck({ connectionId, accepted: { patch: { failureCode: null }, nextState: "healthy" }, now }, tx);
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "clinic.created",
        clinicId,
        details: {
          via: "form",
          vendor: input.vendor,
          region: verdict.region,
          apiVersion: verdict.apiVersion,
          keyHint: sealed.keyHint,
          visiblePatients: verified.visiblePatients,
          visiblePatientsAtLeast: view.visiblePatientsAtLeast,
        },
      },
      tx,
    );
    return {
      ok: true as const,
      clinicId,
      verdict: view,
      keyHint: sealed.keyHint,
      firstBriefing: formatBriefingMoment(input.timeZone, nextBriefing(input.timeZone, now).dueAt),
    };
  });
}

/**
 * Adds a clinic with no connection yet (the JSON API's create without `connection`): the same
 * details and name rule as the form, under the same name lock, with its audit entry. The clinic
 * gets its connection later, from a key (PUT …/key needs one) or the CSV import.
 */
export async function addClinicWithoutConnection(
  { input, actor, now = new Date() }: { input: ClinicDetails; actor: Actor; now?: Date },
  deps: { db: Db },
): Promise<{ clinicId: string }> {
  return deps.db.transaction(async (tx) => {
    await lockClinicNames(tx);
    await assertNameFree(input.name, tx);
    const [clinic] = await insertClinics(
      [
        {
          name: input.name,
          timeZone: input.timeZone,
          country: input.country,
          adminName: input.adminName,
          adminEmail: input.adminEmail,
          createdAt: now,
          updatedAt: now,
        },
      ],
      tx,
    );
    await recordAudit(
      { actorUserId: actor.userId, actorLabel: actor.label, action: "clinic.created", clinicId: clinic!.id, details: { via: "api", connection: false } },
      tx,
    );
    return { clinicId: clinic!.id };
  });
}
