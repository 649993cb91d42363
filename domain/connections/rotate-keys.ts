import type { Db } from "../../db/client.ts";
import { listConnectionsSealedWithOtherKey, replaceSealedKey } from "../../db/queries/connections.ts";
import { needsRotation, reencryptApiKey, type Keyring } from "../secrets/key-crypto.ts";

export interface RotationReport {
  examined: number;
  reencrypted: number;
  /** Rows whose ciphertext no key in the ring opens (left untouched, listed by id). */
  unreadable: string[];
}

/**
 * Re-encrypts every stored API key that is not under the keyring's current master key, in pages,
 * each row in its own short update guarded by its old key id (safe to run while workers probe,
 * and safe to re-run after an interruption).
 */
export async function rotateStoredKeys({ keyring, pageSize = 500 }: { keyring: Keyring; pageSize?: number }, db: Db): Promise<RotationReport> {
  const report: RotationReport = { examined: 0, reencrypted: 0, unreadable: [] };
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const rows = await listConnectionsSealedWithOtherKey({ currentKeyId: keyring.current.id, after, limit: pageSize }, db);
    if (rows.length === 0) break;
    for (const row of rows) {
      report.examined++;
      if (!needsRotation(keyring, row.keyId!)) continue;
      try {
        const next = reencryptApiKey(keyring, row.id, { ciphertext: row.keyCiphertext!, iv: row.keyIv!, tag: row.keyTag!, keyId: row.keyId! });
        if (await replaceSealedKey({ connectionId: row.id, fromKeyId: row.keyId!, sealed: next }, db)) report.reencrypted++;
      } catch {
        report.unreadable.push(row.id);
      }
    }
    after = rows[rows.length - 1]!.id;
  }
  return report;
}
