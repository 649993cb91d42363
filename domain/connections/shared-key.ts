import { inTransaction, type DbOrTx } from "../../db/client.ts";
import { insertConnectionEvents, mergeSupportFindings } from "../../db/queries/connections.ts";
import { findClinicsUsingKey } from "../../db/queries/identity.ts";
import { keyFingerprintCandidates } from "../secrets/key-fingerprint.ts";
import type { Keyring } from "../secrets/key-crypto.ts";
import type { Vendor } from "../vocabulary.ts";

/**
 * Two clinics found sharing one key after the fact (docs/decisions/0026 left this open): keys
 * stored before fingerprints existed (or by CSV rows of two files) get their fingerprint lazily at
 * the next probe, and only then can a shared key be seen. Called by the probe ONLY when it has just
 * written a fingerprint that was missing or stale, so the common probe pays nothing. Both sides get
 * a support finding (in the escalation packet) and a timeline note; nothing is disconnected — which
 * clinic the key really belongs to is a person's call. The later of two concurrent backfills sees
 * the earlier one's committed fingerprint and flags both.
 */
export async function flagSharedKey(
  {
    connectionId,
    clinicId,
    clinicName,
    vendor,
    key,
    now,
  }: { connectionId: string; clinicId: string; clinicName: string; vendor: Vendor; key: string; now: Date },
  deps: { db: DbOrTx; keyring: Keyring },
): Promise<number> {
  const others = await findClinicsUsingKey({ fingerprints: keyFingerprintCandidates(deps.keyring, vendor, key), exceptConnectionId: connectionId }, deps.db);
  if (others.length === 0) return 0;
  const at = now.toISOString();
  await inTransaction(deps.db, async (tx) => {
    const sides = [{ connectionId, clinicId, clinicName }, ...others];
    for (const side of sides) {
      const rest = sides.filter((s) => s.connectionId !== side.connectionId).map((s) => ({ clinicId: s.clinicId, clinicName: s.clinicName }));
      await mergeSupportFindings({ connectionId: side.connectionId, patch: { sharedKey: { at, clinics: rest } } }, tx);
      await insertConnectionEvents(
        [
          {
            connectionId: side.connectionId,
            clinicId: side.clinicId,
            at: now,
            kind: "note",
            actor: "probe",
            message: `This clinic's stored key is also stored for ${rest.map((r) => `"${r.clinicName}"`).join(", ")}: one key must never serve two clinics. Find out whose key it is and ask the other clinic for a key of its own.`,
            details: { reason: "shared_key_found", otherClinicIds: rest.map((r) => r.clinicId) },
          },
        ],
        tx,
      );
    }
  });
  return others.length;
}
