import { and, asc, eq, gt, isNotNull, ne } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { connections } from "../../db/schema/index.ts";
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
    const rows = await db
      .select({ id: connections.id, keyCiphertext: connections.keyCiphertext, keyIv: connections.keyIv, keyTag: connections.keyTag, keyId: connections.keyId })
      .from(connections)
      .where(and(gt(connections.id, after), isNotNull(connections.keyId), ne(connections.keyId, keyring.current.id)))
      .orderBy(asc(connections.id))
      .limit(pageSize);
    if (rows.length === 0) break;
    for (const row of rows) {
      report.examined++;
      if (!needsRotation(keyring, row.keyId!)) continue;
      try {
        const next = reencryptApiKey(keyring, row.id, { ciphertext: row.keyCiphertext!, iv: row.keyIv!, tag: row.keyTag!, keyId: row.keyId! });
        const updated = await db
          .update(connections)
          .set({ keyCiphertext: next.ciphertext, keyIv: next.iv, keyTag: next.tag, keyId: next.keyId })
          .where(and(eq(connections.id, row.id), eq(connections.keyId, row.keyId!)))
          .returning({ id: connections.id });
        if (updated.length) report.reencrypted++;
      } catch {
        report.unreadable.push(row.id);
      }
    }
    after = rows[rows.length - 1]!.id;
  }
  return report;
}
