import type { DbOrTx } from "../../db/client.ts";
import { listWebhookSecretsToReseal, replaceWebhookSecret, type WebhookSecretColumns } from "../../db/queries/alerts.ts";
import { decryptWebhookSecret, encryptWebhookSecret, needsRotation, reencryptWebhookSecret, type Keyring } from "../secrets/key-crypto.ts";

/**
 * Webhook signing secrets at rest: sealed with the API-key keyring (AES-256-GCM), bound to the
 * endpoint row, rotated by `npm run keys:rotate`. docs/decisions/0024-secrets-webhooks-hardening.md.
 */

export interface SealedSecretColumns {
  secretCiphertext: Buffer;
  secretIv: Buffer;
  secretTag: Buffer;
  secretKeyId: string;
}

export function sealWebhookSecret(keyring: Keyring, endpointId: string, secret: string): SealedSecretColumns {
  const parts = encryptWebhookSecret(keyring, endpointId, secret);
  return { secretCiphertext: parts.ciphertext, secretIv: parts.iv, secretTag: parts.tag, secretKeyId: parts.keyId };
}

/**
 * The plaintext secret to sign with. A row from before sealing (plaintext until the worker's start
 * seals it) is read as is. Throws KeyCryptoError when the sealed form does not open.
 */
export function openWebhookSecret(keyring: Keyring, row: WebhookSecretColumns): string {
  if (row.secretCiphertext && row.secretIv && row.secretTag && row.secretKeyId) {
    return decryptWebhookSecret(keyring, row.id, { ciphertext: row.secretCiphertext, iv: row.secretIv, tag: row.secretTag, keyId: row.secretKeyId });
  }
  if (row.legacySecret) return row.legacySecret;
  throw new Error(`webhook endpoint ${row.id} has no signing secret`);
}

export interface WebhookSecretReport {
  /** Plaintext secrets from before sealing, now sealed. */
  sealed: number;
  /** Secrets re-encrypted under the current master key. */
  reencrypted: number;
  /** Endpoints whose sealed secret no configured key opens (left untouched). */
  unreadable: string[];
}

/**
 * Seals every plaintext secret and, with `rotate`, re-encrypts every secret sealed under a retired
 * master key. Each row is its own guarded update: safe while workers deliver, and safe to re-run.
 */
export async function resealWebhookSecrets(
  { keyring, rotate, pageSize = 200 }: { keyring: Keyring; rotate: boolean; pageSize?: number },
  db: DbOrTx,
): Promise<WebhookSecretReport> {
  const report: WebhookSecretReport = { sealed: 0, reencrypted: 0, unreadable: [] };
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const rows = await listWebhookSecretsToReseal({ currentKeyId: keyring.current.id, after, limit: pageSize }, db);
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.legacySecret) {
        if (await replaceWebhookSecret({ id: row.id, sealed: sealWebhookSecret(keyring, row.id, row.legacySecret), was: { legacy: true } }, db))
          report.sealed++;
        continue;
      }
      if (!rotate || !row.secretKeyId || !needsRotation(keyring, row.secretKeyId)) continue;
      try {
        const next = reencryptWebhookSecret(keyring, row.id, {
          ciphertext: row.secretCiphertext!,
          iv: row.secretIv!,
          tag: row.secretTag!,
          keyId: row.secretKeyId,
        });
        const sealed = { secretCiphertext: next.ciphertext, secretIv: next.iv, secretTag: next.tag, secretKeyId: next.keyId };
        if (await replaceWebhookSecret({ id: row.id, sealed, was: { keyId: row.secretKeyId } }, db)) report.reencrypted++;
      } catch {
        report.unreadable.push(row.id);
      }
    }
    after = rows[rows.length - 1]!.id;
  }
  return report;
}
