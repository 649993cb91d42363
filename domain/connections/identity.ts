import type { VerifyResult } from "../vendors/types.ts";
import type { Vendor, VendorAccountIdentity } from "../vocabulary.ts";

/**
 * Identity continuity, the pure part (docs/decisions/0026-identity-continuity.md): who a working
 * key belongs to, whether a new key belongs to the same vendor account as the stored one, and
 * whether the number of visible patients fell sharply.
 */

/** The identity a verify answer shows. Ids are compared as exact strings (Cliniko's exceed 2^53). */
export function identityOf(verified: Pick<VerifyResult, "vendor" | "user" | "locations" | "practice">): VendorAccountIdentity {
  const accountIds = [...new Set(verified.locations.map((l) => l.id))].sort();
  const names = verified.locations.map((l) => l.name).filter(Boolean);
  const name = verified.practice?.name || (names.length ? names.join(", ") : verified.user.name);
  return {
    // why: a Nookal key has no user; its "user" is a stand-in made from its locations
    userId: verified.vendor === "cliniko" ? verified.user.id : null,
    accountIds,
    practiceId: verified.practice?.id ?? null,
    name,
  };
}

export type AccountMatch =
  /** Nothing stored yet: this key's account becomes the connection's. */
  | { kind: "first" }
  /** The same account (same practice, user or an overlapping set of businesses / locations). */
  | { kind: "same"; by: "practice" | "user" | "accounts" }
  /** Neither side names anything to compare (a key that may not list its locations): cannot tell. */
  | { kind: "unknown" }
  | { kind: "different" };

function overlaps(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return b.some((id) => set.has(id));
}

/**
 * Compares the stored identity with the one a NEW key shows.
 * - A named practice decides on its own (Nookal practice ids, when the vendor sends them).
 * - Cliniko: one user belongs to one account, so the same user id is the same account; otherwise
 *   the account is the same when the key sees any business the old one saw (a second business,
 *   or one closed, is the same account).
 * - Nookal: keys are scoped to ticked locations; overlapping locations are the same practice.
 *   A key for other locations only is treated as different: it is the "wrong location" mistake as
 *   often as a new account, and either way someone should look.
 */
export function compareAccounts(stored: VendorAccountIdentity | null, seen: VendorAccountIdentity, vendor: Vendor): AccountMatch {
  if (!stored) return { kind: "first" };
  if (stored.practiceId && seen.practiceId) return stored.practiceId === seen.practiceId ? { kind: "same", by: "practice" } : { kind: "different" };
  if (vendor === "cliniko" && stored.userId && seen.userId && stored.userId === seen.userId) return { kind: "same", by: "user" };
  if (overlaps(stored.accountIds, seen.accountIds)) return { kind: "same", by: "accounts" };
  if (stored.accountIds.length === 0 && seen.accountIds.length === 0 && !(stored.userId && seen.userId)) return { kind: "unknown" };
  return { kind: "different" };
}

/**
 * The identity to keep after a probe of the SAME stored key: its businesses or locations may
 * change (one added, one closed) without it being another account, so the new view replaces the
 * old — except that an answer without ids (a probe that did not list them) keeps the stored ids.
 */
export function refreshedIdentity(stored: VendorAccountIdentity | null, seen: VendorAccountIdentity): VendorAccountIdentity {
  if (!stored) return seen;
  if (seen.accountIds.length === 0) return { ...stored, userId: seen.userId ?? stored.userId, practiceId: seen.practiceId ?? stored.practiceId };
  return seen;
}

export function sameIdentity(a: VendorAccountIdentity | null, b: VendorAccountIdentity | null): boolean {
  if (!a || !b) return a === b;
  return a.userId === b.userId && a.practiceId === b.practiceId && a.name === b.name && a.accountIds.join("\n") === b.accountIds.join("\n");
}

/** A drop worth calling out: at least half the patients gone, and at least 10 of them. */
export interface PatientDrop {
  before: number;
  after: number;
}

export function patientDrop(before: number | null | undefined, after: number, afterIsAtLeast = false): PatientDrop | null {
  if (before == null || before < 10) return null;
  // why: a capped count ("at least N") may hide more patients; it is a drop only if even the cap is low
  if (after * 2 > before) return null;
  if (before - after < 10) return null;
  if (afterIsAtLeast && after >= before) return null;
  return { before, after };
}
