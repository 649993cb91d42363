import type { DbOrTx } from "../../db/client.ts";
import { brokenSince, recordConnectionChange } from "../events/connection.ts";
import type { KeyAccepted } from "../health/accept-key.ts";
import type { ConnectionSnapshot } from "../health/decide.ts";
import { forgetSharedKey, updateConnection } from "../../db/queries/connections.ts";
import { findClinicsUsingKey, lockKeyFingerprint } from "../../db/queries/identity.ts";
import { keyFingerprint, keyFingerprintCandidates } from "../secrets/key-fingerprint.ts";
import type { Keyring } from "../secrets/key-crypto.ts";
import type { SealedKeyColumns } from "./key-storage.ts";
import type { VerifyResult } from "../vendors/types.ts";
import type { AccountChangePreapproval, Vendor, VendorAccountIdentity } from "../vocabulary.ts";
import { compareAccounts, identityOf, patientDrop, type AccountMatch, type PatientDrop } from "./identity.ts";

/**
 * The one identity check every key entry calls (reconnect link, add clinic, CSV import, support
 * confirming an account change, and the JSON API when it stores keys): inside the caller's
 * transaction it locks the key's fingerprint, refuses a key another clinic already uses, and
 * compares the vendor account with the one recorded for the connection (docs/decisions/0026).
 */

export interface KeyIdentityInput {
  keyring: Keyring;
  vendor: Vendor;
  /** The cleaned key, plaintext only for this call. */
  key: string;
  /** What the live check learned; null when the key is stored without one (CSV import). */
  verified: Pick<VerifyResult, "vendor" | "user" | "locations" | "practice" | "visiblePatients" | "visiblePatientsAtLeast"> | null;
  /** The connection the key is for (locked by the caller); null for a clinic being created. */
  connection: {
    id: string;
    vendorAccount: VendorAccountIdentity | null;
    visiblePatientCount: number | null;
    /** Support expects a move to another account: a different account connects without a question (the caller consumes it). */
    accountChangePreapproval?: AccountChangePreapproval | null;
  } | null;
  /** Support confirmed a change of account: the account rule does not refuse it. */
  accountChangeConfirmed?: boolean;
}

export interface OtherClinic {
  clinicId: string;
  clinicName: string;
}

export type KeyIdentityCheck =
  | {
      ok: true;
      fingerprint: string;
      /** The identity to store (null when nothing was verified). */
      identity: VendorAccountIdentity | null;
      match: AccountMatch;
      previous: VendorAccountIdentity | null;
      drop: PatientDrop | null;
    }
  | { ok: false; reason: "shared_key"; fingerprint: string; otherClinics: OtherClinic[] }
  | {
      ok: false;
      reason: "account_changed";
      fingerprint: string;
      identity: VendorAccountIdentity;
      previous: VendorAccountIdentity;
      drop: PatientDrop | null;
    };

export async function checkKeyIdentity(input: KeyIdentityInput, tx: DbOrTx): Promise<KeyIdentityCheck> {
  const fingerprint = keyFingerprint(input.keyring, input.vendor, input.key);
  // why: two clinics entering the same key at once must not both see "unused"
  await lockKeyFingerprint({ fingerprint }, tx);
  const others = await findClinicsUsingKey(
    { fingerprints: keyFingerprintCandidates(input.keyring, input.vendor, input.key), exceptConnectionId: input.connection?.id ?? null },
    tx,
  );
  if (others.length > 0) {
    return { ok: false, reason: "shared_key", fingerprint, otherClinics: others.map((o) => ({ clinicId: o.clinicId, clinicName: o.clinicName })) };
  }
  const previous = input.connection?.vendorAccount ?? null;
  if (!input.verified) return { ok: true, fingerprint, identity: null, match: { kind: previous ? "unknown" : "first" }, previous, drop: null };
  const identity = identityOf(input.verified);
  const match = compareAccounts(previous, identity, input.vendor);
  const drop = patientDrop(input.connection?.visiblePatientCount, input.verified.visiblePatients, input.verified.visiblePatientsAtLeast === true);
  // why: an account whose key saw no patients is the "fresh key on the wrong account" symptom, not
  // the practice's account; a key of another account that does see patients is its cure, not a change to question
  const previousSawNobody = input.connection?.visiblePatientCount === 0 && input.verified.visiblePatients > 0;
  const preapproved = input.connection?.accountChangePreapproval != null;
  if (match.kind === "different" && previous && !input.accountChangeConfirmed && !previousSawNobody && !preapproved) {
    return { ok: false, reason: "account_changed", fingerprint, identity, previous, drop };
  }
  // why: "unknown" keeps what is stored rather than forgetting the account it was
  const keep = match.kind === "unknown" && previous ? previous : identity;
  return { ok: true, fingerprint, identity: keep, match, previous, drop };
}

type Accepted = Extract<KeyIdentityCheck, { ok: true }>;

/** The account change a working key makes, when it makes one (a pre-approval is then consumed). */
export function accountChangeOf(identity: Accepted): { from: VendorAccountIdentity; to: VendorAccountIdentity } | null {
  return identity.match.kind === "different" && identity.previous && identity.identity ? { from: identity.previous, to: identity.identity } : null;
}

/**
 * The connection columns every entry writes for a newly accepted key: the sealed key, where it
 * works, the key-accepted transition's patch, who it belongs to, and (when the account changed)
 * the pre-approval cleared. One place, so the reconnect link, support's entry and a confirmed
 * account change cannot drift apart.
 */
function newKeyPatch<P extends object>({
  sealed,
  region,
  apiVersion,
  accepted,
  identity,
  clearPreapproval,
}: {
  sealed: SealedKeyColumns;
  region: string;
  apiVersion: string;
  accepted: { patch: P };
  identity: Accepted;
  clearPreapproval: boolean;
}) {
  return {
    ...sealed,
    region,
    apiVersion,
    ...accepted.patch,
    vendorAccount: identity.identity,
    keyFingerprint: identity.fingerprint,
    ...(clearPreapproval ? { accountChangePreapproval: null } : {}),
  };
}

/**
 * Stores a newly accepted key on its connection (newKeyPatch's columns) inside the caller's
 * transaction. A clinic that had been found sharing its key with others now has one of its own:
 * the shared-key finding leaves its escalation packet, and it leaves its partners' lists too.
 */
export async function storeNewKey(
  {
    connectionId,
    clinicId,
    clearPreapproval,
    before,
    now,
    ...key
  }: Omit<Parameters<typeof newKeyPatch>[0], "clearPreapproval" | "accepted"> & {
    connectionId: string;
    clinicId: string;
    clearPreapproval?: boolean;
    accepted: KeyAccepted;
    /** The connection as locked before the key: what the state change and a recovery are measured from. */
    before: Pick<ConnectionSnapshot, "state" | "failureCode" | "firstFailureAt" | "stateChangedAt">;
    now: Date;
  },
  tx: DbOrTx,
): Promise<void> {
  // why: a pre-approval is consumed by the account change it expected (accountChangeOf), or when the caller says so
  const clear = clearPreapproval ?? accountChangeOf(key.identity) !== null;
  await updateConnection({ connectionId, patch: newKeyPatch({ ...key, clearPreapproval: clear }) }, tx);
  await forgetSharedKey({ connectionId, clinicId }, tx);
  // why here: every entry of a working key (link, support, confirmed account change) tells integrations the same way
  await recordConnectionChange(tx, connectionId, {
    from: { state: before.state, failureCode: before.failureCode },
    to: { state: key.accepted.nextState, failureCode: key.accepted.patch.failureCode },
    recovery: key.accepted.recovered ? { brokenSince: brokenSince(before, now) } : null,
    now,
  });
}
