import { randomBytes } from "node:crypto";
import type { DbOrTx } from "../../db/client.ts";
import { listSecretsToReseal, replaceSubscriptionSecret, type SealedSecret, type SealedSecretRow } from "../../db/queries/webhooks.ts";
import { decryptWebhookSecret, encryptWebhookSecret, needsRotation, reencryptWebhookSecret, type Keyring } from "../secrets/key-crypto.ts";

/**
 * Webhook signing secrets: Standard Webhooks `whsec_<base64>` strings, sealed at rest with the
 * API-key keyring (AES-256-GCM) and bound to the subscription's id, rotated by `npm run keys:rotate`
 * (docs/decisions/0024-secrets-webhooks-hardening.md, 0048-webhook-subscriptions.md).
 */

const PREFIX = "whsec_";

/** A new signing secret: 256 random bits, standard base64 (what every Standard Webhooks library decodes). */
export function generateWebhookSecret(): string {
  return `${PREFIX}${randomBytes(32).toString("base64")}`;
}

/**
 * The key bytes a secret stands for. Secrets made before subscriptions (alert receivers) were
 * written in base64url; Node's base64 decoder reads both alphabets, so a migrated receiver keeps
 * the same key bytes (docs/webhooks.md says how to restate such a secret for other libraries).
 */
export function webhookSigningKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, "base64");
}

export function sealWebhookSecret(keyring: Keyring, subscriptionId: string, secret: string): SealedSecret {
  const parts = encryptWebhookSecret(keyring, subscriptionId, secret);
  return { secretCiphertext: parts.ciphertext, secretIv: parts.iv, secretTag: parts.tag, secretKeyId: parts.keyId };
}

/** The plaintext secret to sign with. Throws KeyCryptoError when no configured master key opens it. */
export function openWebhookSecret(keyring: Keyring, row: SealedSecretRow): string {
  return decryptWebhookSecret(keyring, row.id, { ciphertext: row.secretCiphertext, iv: row.secretIv, tag: row.secretTag, keyId: row.secretKeyId });
}

export interface WebhookSecretReport {
  /** Secrets re-encrypted under the current master key. */
  reencrypted: number;
  /** Subscriptions whose sealed secret no configured key opens (left untouched). */
  unreadable: string[];
}

/**
 * Re-encrypts every secret sealed under a retired master key. Each row is its own guarded update:
 * safe while workers deliver, and safe to re-run.
 */
export async function resealWebhookSecrets({ keyring, pageSize = 200 }: { keyring: Keyring; pageSize?: number }, db: DbOrTx): Promise<WebhookSecretReport> {
  const report: WebhookSecretReport = { reencrypted: 0, unreadable: [] };
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const rows = await listSecretsToReseal({ currentKeyId: keyring.current.id, after, limit: pageSize }, db);
    if (rows.length === 0) break;
    for (const row of rows) {
      if (!needsRotation(keyring, row.secretKeyId)) continue;
      try {
        const next = reencryptWebhookSecret(keyring, row.id, {
          ciphertext: row.secretCiphertext,
          iv: row.secretIv,
          tag: row.secretTag,
          keyId: row.secretKeyId,
        });
        const sealed = { secretCiphertext: next.ciphertext, secretIv: next.iv, secretTag: next.tag, secretKeyId: next.keyId };
        if (await replaceSubscriptionSecret({ id: row.id, sealed, wasKeyId: row.secretKeyId }, db)) report.reencrypted++;
      } catch {
        report.unreadable.push(row.id);
      }
    }
    after = rows[rows.length - 1]!.id;
  }
  return report;
}
