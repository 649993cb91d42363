import { randomUUID } from "node:crypto";
import type { DbOrTx } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { insertConnectionEvents } from "../../db/queries/connections.ts";
import { closeOpenAccountChanges, findOpenAccountChange, insertAccountChange, updateAccountChange } from "../../db/queries/identity.ts";
import { applyAlertWork } from "../alerts/apply.ts";
import { sealApiKey } from "../connections/key-storage.ts";
import type { KeyIdentityCheck } from "../connections/key-identity.ts";
import type { PatientDrop } from "../connections/identity.ts";
import { buildEscalationPacket } from "../health/escalation.ts";
import type { KeyVerdict } from "../health/verify-key.ts";
import { encryptApiKey, type Keyring } from "../secrets/key-crypto.ts";
import type { ActiveLink } from "./links.ts";
import type { ReconnectDeps } from "./submit.ts";
import type { Vendor, VendorAccountIdentity } from "../vocabulary.ts";

/**
 * The reconnect page's identity outcomes (docs/decisions/0026): a key another clinic already uses
 * is refused; a key for a different vendor account than the connection's is not connected — the
 * clinic admin is asked whether it is their practice, and a "yes" holds it for support to confirm.
 */

/** AAD of a held key: bound to its account-change row, never replayable onto a connection. */
export function accountChangeAad(changeId: string): string {
  return `account-change:${changeId}`;
}

/** What the page asks, in plain words. Holds nothing about the key. */
export interface AccountQuestion {
  /** "This key belongs to <accountName>." */
  accountName: string;
  /** Patients this key sees, and how many were visible before when that is a large drop. */
  visiblePatients: number;
  visiblePatientsAtLeast: boolean;
  drop: PatientDrop | null;
}

type IdentityRefusal = Extract<KeyIdentityCheck, { ok: false }>;

function describeAccount(a: VendorAccountIdentity): string {
  const ids = a.accountIds.length ? ` (${a.accountIds.join(", ")})` : "";
  return `${a.name}${ids}${a.userId ? `, user ${a.userId}` : ""}`;
}

/** A key already serving another clinic: a timeline note for support; nothing is stored. */
export async function noteSharedKey(link: ActiveLink, check: Extract<IdentityRefusal, { reason: "shared_key" }>, now: Date, tx: DbOrTx): Promise<void> {
  await insertConnectionEvents(
    [
      {
        connectionId: link.connectionId,
        clinicId: link.clinicId,
        at: now,
        kind: "note",
        actor: "link",
        message: `A key entered through the reconnect link was refused: it is already connected for ${check.otherClinics.map((c) => `"${c.clinicName}"`).join(", ")}. One key never serves two clinics.`,
        details: { linkId: link.linkId, reason: "shared_key", otherClinicIds: check.otherClinics.map((c) => c.clinicId) },
      },
    ],
    tx,
  );
}

/**
 * Seals a key of a different account into a new account-change row (its AAD binds it to that row),
 * closing any older open question first: one open question per connection, the newest key wins.
 * Used by the reconnect page ("asked") and by support's own entry ("awaiting_support").
 */
export async function holdAccountChangeKey(
  {
    conn,
    vendor,
    linkId,
    status,
    verdict,
    region,
    check,
    keyHint,
    now,
    by,
  }: {
    conn: { id: string; clinicId: string; visiblePatientCount: number | null };
    vendor: Vendor;
    linkId: string | null;
    status: "asked" | "awaiting_support";
    verdict: Extract<KeyVerdict, { ok: true }>;
    region: string;
    check: Extract<IdentityRefusal, { reason: "account_changed" }>;
    keyHint: string;
    now: Date;
    by: string;
  },
  keyring: Keyring,
  tx: DbOrTx,
): Promise<string> {
  const { verified } = verdict;
  await closeOpenAccountChanges({ connectionId: conn.id, status: "discarded", now, by }, tx);
  const id = randomUUID();
  const sealed = encryptApiKey(keyring, accountChangeAad(id), verdict.key);
  await insertAccountChange(
    {
      id,
      connectionId: conn.id,
      clinicId: conn.clinicId,
      status,
      vendor,
      linkId,
      keyCiphertext: sealed.ciphertext,
      keyIv: sealed.iv,
      keyTag: sealed.tag,
      keyId: sealed.keyId,
      keyHint,
      keyFingerprint: check.fingerprint,
      region,
      apiVersion: verdict.apiVersion,
      account: check.identity,
      previousAccount: check.previous,
      visiblePatients: verified.visiblePatients,
      visiblePatientsAtLeast: verified.visiblePatientsAtLeast === true,
      previousVisiblePatients: conn.visiblePatientCount,
      vendorUserName: verified.user.name,
      vendorUserRole: verified.user.role ?? null,
      createdAt: now,
      ...(status === "awaiting_support" ? { answeredAt: now } : {}),
    },
    tx,
  );
  return id;
}

/**
 * A key of a different account: sealed into an account-change row ("asked"), a timeline note for
 * support, and the question for the page. The connection is not touched.
 */
export async function askAboutAccount(
  link: ActiveLink,
  conn: { id: string; clinicId: string; visiblePatientCount: number | null },
  verdict: Extract<KeyVerdict, { ok: true }>,
  region: string,
  check: Extract<IdentityRefusal, { reason: "account_changed" }>,
  now: Date,
  deps: ReconnectDeps,
  tx: DbOrTx,
): Promise<AccountQuestion> {
  const { verified } = verdict;
  const hint = sealApiKey(deps.keyring, conn.id, { vendor: link.view.vendor, key: verdict.key, region }, now).keyHint;
  const id = await holdAccountChangeKey(
    { conn, vendor: link.view.vendor, linkId: link.linkId, status: "asked", verdict, region, check, keyHint: hint, now, by: "link" },
    deps.keyring,
    tx,
  );
  const drop = check.drop ? ` Visible patients would fall from ${check.drop.before} to ${check.drop.after}.` : "";
  await insertConnectionEvents(
    [
      {
        connectionId: conn.id,
        clinicId: conn.clinicId,
        at: now,
        kind: "note",
        actor: "link",
        message: `A key for a different account was entered through the reconnect link (${hint}): it belongs to ${describeAccount(check.identity)}; this connection's account is ${describeAccount(check.previous)}. Not connected; the clinic admin is asked whether it is their practice.${drop}`,
        details: { linkId: link.linkId, accountChangeId: id, account: check.identity, previousAccount: check.previous, drop: check.drop },
      },
    ],
    tx,
  );
  return {
    accountName: check.identity.name,
    visiblePatients: verified.visiblePatients,
    visiblePatientsAtLeast: verified.visiblePatientsAtLeast === true,
    drop: check.drop,
  };
}

export type AccountAnswerOutcome =
  /** "Yes": held for support, who are told (timeline, alert). */
  | { kind: "account_held"; accountName: string }
  /** "No": the key is dropped; the admin is asked for a key from their own account. */
  | { kind: "account_declined"; accountName: string }
  /** Nothing is waiting for an answer (answered in another tab, or replaced). */
  | { kind: "account_question_gone" };

/** The admin's answer to "Is that your practice?". A "yes" never connects by itself. */
export async function answerAccountQuestion(link: ActiveLink, answer: "yes" | "no", now: Date, deps: ReconnectDeps): Promise<AccountAnswerOutcome> {
  return deps.db.transaction(async (tx) => {
    const change = await findOpenAccountChange({ connectionId: link.connectionId, lock: true }, tx);
    if (!change || change.status !== "asked" || change.linkId !== link.linkId) return { kind: "account_question_gone" as const };
    const name = change.account.name;
    if (answer === "no") {
      await updateAccountChange(
        {
          id: change.id,
          patch: { status: "declined", answeredAt: now, decidedAt: now, decidedBy: "link", keyCiphertext: null, keyIv: null, keyTag: null, keyId: null },
        },
        tx,
      );
      await insertConnectionEvents(
        [
          {
            connectionId: change.connectionId,
            clinicId: change.clinicId,
            at: now,
            kind: "note",
            actor: "link",
            message: `The clinic admin said the key for ${name} (${change.keyHint}) is not their practice; it was not stored.`,
            details: { linkId: link.linkId, accountChangeId: change.id, answer: "no" },
          },
        ],
        tx,
      );
      return { kind: "account_declined" as const, accountName: name };
    }
    await updateAccountChange({ id: change.id, patch: { status: "awaiting_support", answeredAt: now } }, tx);
    await insertConnectionEvents(
      [
        {
          connectionId: change.connectionId,
          clinicId: change.clinicId,
          at: now,
          kind: "note",
          actor: "link",
          message: `The clinic admin confirmed the key for ${name} (${change.keyHint}) is their practice. Waiting for support to confirm the account change on the clinic page.`,
          details: { linkId: link.linkId, accountChangeId: change.id, answer: "yes" },
        },
      ],
      tx,
    );
    await recordAudit(
      {
        actorLabel: "reconnect link",
        action: "connection.account_change_requested",
        clinicId: change.clinicId,
        details: { linkId: link.linkId, accountChangeId: change.id, keyHint: change.keyHint, account: change.account, previousAccount: change.previousAccount },
      },
      tx,
    );
    // why: support must act; the existing alert machinery tells them (email/webhook, deduplicated)
    const packet = {
      ...buildEscalationPacket({
        organisationName: link.view.clinicName,
        vendor: link.view.vendor,
        region: change.region,
        apiVersion: change.apiVersion,
        failureCode: null,
        evidence: null,
        keyHint: change.keyHint,
        keyUpdatedAt: null,
        firstFailureAt: null,
        lastSuccessAt: null,
        visiblePatients: change.visiblePatients,
        visiblePatientsAtLeast: change.visiblePatientsAtLeast,
      }),
      failureTitle: `A key for a different account (${name}) is waiting for support to confirm`,
      suggestedAction: "Open the clinic page and confirm or discard the account change.",
    };
    await applyAlertWork(
      { connectionId: change.connectionId, clinicId: change.clinicId, open: ["account_change_pending"], resolve: [], recovered: false, packet, now },
      tx,
      deps.alerts,
    );
    return { kind: "account_held" as const, accountName: name };
  });
}
