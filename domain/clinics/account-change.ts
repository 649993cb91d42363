import type { Db } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { insertConnectionEvents } from "../../db/queries/connections.ts";
import { findOpenAccountChange, updateAccountChange } from "../../db/queries/identity.ts";
import { lockConnection, markLinkUsed, revokeLiveLinks } from "../../db/queries/reconnect-links.ts";
import type { AccountChange } from "../../db/schema/index.ts";
import { recordKeyCheck } from "../health/key-check.ts";
import { applyAlertWork, type AlertWorkDeps } from "../alerts/apply.ts";
import { checkKeyIdentity, storeNewKey } from "../connections/key-identity.ts";
import { sealApiKey, type Keyring } from "../connections/key-storage.ts";
import { DomainError } from "../errors.ts";
import { acceptWorkingKey } from "../health/accept-key.ts";
import { acceptedKeyPacket, buildEscalationPacket } from "../health/escalation.ts";
import type { VendorAccess } from "../health/probe.ts";
import { verifyCandidateKey, type KeyVerdict } from "../health/verify-key.ts";
import { accountChangeAad } from "../reconnect/account-change.ts";
import { decryptApiKey, KeyCryptoError } from "../secrets/key-crypto.ts";
import type { Actor } from "./console-actions.ts";
import type { VendorAccountIdentity } from "../vocabulary.ts";

/**
 * Support's side of an account change (docs/decisions/0026): a key of a different vendor account,
 * held from the reconnect page, is connected only when an agent confirms it on the clinic page —
 * checked live again, still refused if another clinic uses it — or discarded. Both are on the
 * timeline and in the audit log.
 */

export interface AccountChangeDeps {
  db: Db;
  keyring: Keyring;
  vendors: VendorAccess;
  alerts: AlertWorkDeps;
}

/** What the clinic page shows about a held change. Never the key. */
export interface AccountChangeView {
  id: string;
  status: AccountChange["status"];
  keyHint: string;
  account: VendorAccountIdentity;
  previousAccount: VendorAccountIdentity | null;
  visiblePatients: number;
  visiblePatientsAtLeast: boolean;
  previousVisiblePatients: number | null;
  vendorUser: string | null;
  /** Support pasted it on the clinic page (no reconnect link): support's own confirmation connects it. */
  enteredBySupport: boolean;
  createdAt: Date;
  answeredAt: Date | null;
}

export async function loadOpenAccountChange(clinicId: string, db: Db): Promise<AccountChangeView | null> {
  const c = await findOpenAccountChange({ clinicId }, db);
  if (!c) return null;
  return {
    id: c.id,
    status: c.status,
    keyHint: c.keyHint,
    account: c.account,
    previousAccount: c.previousAccount,
    visiblePatients: c.visiblePatients,
    visiblePatientsAtLeast: c.visiblePatientsAtLeast,
    previousVisiblePatients: c.previousVisiblePatients,
    vendorUser: c.vendorUserName ? `${c.vendorUserName}${c.vendorUserRole ? ` (${c.vendorUserRole})` : ""}` : null,
    enteredBySupport: c.linkId === null,
    createdAt: c.createdAt,
    answeredAt: c.answeredAt,
  };
}

const NOTHING_HELD = "No key for a different account is waiting for this clinic (it may have just been decided).";

function heldKey(keyring: Keyring, change: AccountChange): string {
  if (!change.keyCiphertext || !change.keyIv || !change.keyTag || !change.keyId) throw new DomainError(409, NOTHING_HELD, { code: "no_account_change" });
  try {
    return decryptApiKey(keyring, accountChangeAad(change.id), { ciphertext: change.keyCiphertext, iv: change.keyIv, tag: change.keyTag, keyId: change.keyId });
  } catch (err) {
    if (err instanceof KeyCryptoError)
      throw new DomainError(409, "The held key can no longer be opened (the master key changed). Discard it and send a new reconnect link.");
    throw err;
  }
}

function verifyHeld(change: AccountChange, key: string, vendors: VendorAccess): Promise<KeyVerdict> {
  if (change.vendor === "cliniko") {
    // why: the held key was checked on this shard; ask there again
    const pinned: VendorAccess = {
      verify: (t) => vendors.verify({ ...t, region: change.region }),
      findWorkingRegion: (t) => vendors.findWorkingRegion(t),
      readOnePage: (t, r) => vendors.readOnePage({ ...t, region: change.region }, r),
    };
    return verifyCandidateKey({ vendor: "cliniko", rawKey: key }, pinned);
  }
  return verifyCandidateKey({ vendor: "nookal", rawKey: key, region: change.region, apiVersion: change.apiVersion as "v2" | "v3" }, vendors);
}

/**
 * Connects the held key: verified live again, the shared-key rule applied, then the one "key
 * accepted" transition with the new account recorded, the link used up, alerts resolved.
 */
export async function confirmAccountChange(
  { clinicId, actor, now = new Date() }: { clinicId: string; actor: Actor; now?: Date },
  deps: AccountChangeDeps,
): Promise<{ accountName: string }> {
  const change = await findOpenAccountChange({ clinicId }, deps.db);
  if (!change) throw new DomainError(409, NOTHING_HELD, { code: "no_account_change" });
  const key = heldKey(deps.keyring, change);
  const verdict = await verifyHeld(change, key, deps.vendors);
  if (!verdict.ok) {
    throw new DomainError(409, `The held key no longer works (${verdict.info.title.toLowerCase()}): discard it and send the clinic a new reconnect link.`, {
      code: "account_change_key_failed",
    });
  }
  const { verified } = verdict;
  const region = verified.region || verdict.region;
  return deps.db.transaction(async (tx) => {
    const locked = await findOpenAccountChange({ connectionId: change.connectionId, lock: true }, tx);
    if (!locked || locked.id !== change.id) throw new DomainError(409, NOTHING_HELD, { code: "no_account_change" });
    const conn = await lockConnection({ connectionId: change.connectionId }, tx);
    if (!conn) throw new DomainError(404, "This clinic has no connection.");
    const identity = await checkKeyIdentity(
      { keyring: deps.keyring, vendor: conn.vendor, key: verdict.key, verified, connection: conn, accountChangeConfirmed: true },
      tx,
    );
    if (!identity.ok) {
      const names = identity.reason === "shared_key" ? identity.otherClinics.map((o) => `"${o.clinicName}"`).join(", ") : "another clinic";
      throw new DomainError(
        409,
        `This key is now connected for ${names}; one key never serves two clinics. Discard it and ask the clinic for a key of its own.`,
        {
          code: "key_in_use",
        },
      );
    }
    const sealed = sealApiKey(deps.keyring, conn.id, { vendor: conn.vendor, key: verdict.key, region }, now);
    const accepted = acceptWorkingKey({ connection: conn, verified, now, by: change.linkId ? { kind: "link" } : { kind: "support", label: actor.label } });
    // why clear a pre-approval: the change it expected has now happened
    await storeNewKey(
      {
        connectionId: conn.id,
        clinicId: conn.clinicId,
        sealed,
        region,
        apiVersion: verdict.apiVersion,
        accepted,
        before: conn,
        now,
        identity,
        clearPreapproval: true,
      },
      tx,
    );
    const from = change.previousAccount?.name ?? "the previous account";
    const to = identity.identity?.name ?? change.account.name;
    const actorTag = `user:${actor.userId}`;
    await insertConnectionEvents(
      [
        {
          connectionId: conn.id,
          clinicId,
          at: now,
          kind: "account_changed",
          fromState: conn.state,
          toState: accepted.nextState,
          actor: actorTag,
          message: `Account change confirmed by ${actor.label}: from ${from} to ${to}. The held key ${sealed.keyHint} was checked again and stored; ${verified.visiblePatients} patients visible.`,
          details: { accountChangeId: change.id, account: identity.identity, previousAccount: change.previousAccount, keyHint: sealed.keyHint, region },
        },
        ...(accepted.event ? [{ connectionId: conn.id, clinicId, at: now, ...accepted.event, actor: actorTag, details: { accountChangeId: change.id } }] : []),
      ],
      tx,
    );
    await recordKeyCheck({ connectionId: conn.id, accepted, now }, tx);
    await updateAccountChange(
      { id: change.id, patch: { status: "confirmed", decidedAt: now, decidedBy: actorTag, keyCiphertext: null, keyIv: null, keyTag: null, keyId: null } },
      tx,
    );
    if (change.linkId) await markLinkUsed({ linkId: change.linkId, now }, tx);
    // why: the connection works with the confirmed key; any other link still out is moot
    await revokeLiveLinks({ clinicId, now }, tx);
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "connection.account_change_confirmed",
        clinicId,
        details: {
          accountChangeId: change.id,
          keyHint: sealed.keyHint,
          account: identity.identity,
          previousAccount: change.previousAccount,
          fromState: conn.state,
          toState: accepted.nextState,
        },
      },
      tx,
    );
    const packet = acceptedKeyPacket({
      organisationName: to,
      vendor: conn.vendor,
      region,
      apiVersion: verdict.apiVersion,
      state: accepted.nextState,
      keyHint: sealed.keyHint,
      verified,
      now,
    });
    await applyAlertWork(
      {
        connectionId: conn.id,
        clinicId,
        open: [],
        resolve: [...accepted.alerts.resolve, "account_change_pending"],
        recovered: accepted.recovered,
        packet,
        now,
      },
      tx,
      deps.alerts,
    );
    return { accountName: to };
  });
}

/** Drops the held key: the connection keeps its account and key; the clinic can send another. */
export async function discardAccountChange(
  { clinicId, actor, now = new Date() }: { clinicId: string; actor: Actor; now?: Date },
  deps: Pick<AccountChangeDeps, "db" | "alerts">,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const change = await findOpenAccountChange({ clinicId, lock: true }, tx);
    if (!change) throw new DomainError(409, NOTHING_HELD, { code: "no_account_change" });
    const actorTag = `user:${actor.userId}`;
    await updateAccountChange(
      { id: change.id, patch: { status: "discarded", decidedAt: now, decidedBy: actorTag, keyCiphertext: null, keyIv: null, keyTag: null, keyId: null } },
      tx,
    );
    await insertConnectionEvents(
      [
        {
          connectionId: change.connectionId,
          clinicId,
          at: now,
          kind: "note",
          actor: actorTag,
          message: `${actor.label} discarded the held key ${change.keyHint} for ${change.account.name}; the connection keeps its account.`,
          details: { accountChangeId: change.id },
        },
      ],
      tx,
    );
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action: "connection.account_change_discarded",
        clinicId,
        details: { accountChangeId: change.id, keyHint: change.keyHint, account: change.account },
      },
      tx,
    );
    const packet = buildEscalationPacket({
      organisationName: change.account.name,
      vendor: change.vendor,
      region: change.region,
      apiVersion: change.apiVersion,
      failureCode: null,
      evidence: null,
      keyHint: change.keyHint,
      keyUpdatedAt: null,
      firstFailureAt: null,
      lastSuccessAt: null,
      visiblePatients: change.visiblePatients,
    });
    await applyAlertWork(
      { connectionId: change.connectionId, clinicId, open: [], resolve: ["account_change_pending"], recovered: false, packet, now },
      tx,
      deps.alerts,
    );
  });
}
