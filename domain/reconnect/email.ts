import { randomUUID } from "node:crypto";
import type { DbOrTx } from "../../db/client.ts";
import { queueMessages } from "../alerts/outbox.ts";
import type { DeliveryJobQueue } from "../jobs.ts";
import { decryptApiKey, encryptApiKey, type Keyring } from "../secrets/key-crypto.ts";
import { redactReconnectLink } from "./tokens.ts";

/**
 * A reconnect link by email (docs/decisions/0023-delivery-and-probe-reliability.md): one stored
 * message delivered by the `deliver` queue like every alert, enqueued on the caller's transaction
 * (the one that creates the link). What is stored is redacted (`/reconnect/…abcd`); the token is
 * kept AES-256-GCM sealed with the master keyring, bound to this message's id, and only the
 * delivery worker unseals it to put the real link into the email it sends.
 */

/** Associated data binding a sealed token to its message (never confused with an API key's binding). */
function binding(notificationId: string): string {
  return `reconnect-email:${notificationId}`;
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The plain text as simple HTML paragraphs (the link stays a plain, copyable URL). */
function htmlOf(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`)
    .join("\n");
}

/** Seals a link token for the stored message `notificationId`: only the delivery worker opens it. */
export function sealReconnectToken(keyring: Keyring, notificationId: string, token: string) {
  const sealed = encryptApiKey(keyring, binding(notificationId), token);
  return { tokenCiphertext: sealed.ciphertext, tokenIv: sealed.iv, tokenTag: sealed.tag, tokenKeyId: sealed.keyId };
}

export interface ReconnectEmailInput {
  clinicId: string;
  connectionId: string;
  linkId: string;
  token: string;
  to: string;
  subject: string;
  /** The message as the clinic receives it, with the full link in it. */
  text: string;
  now: Date;
}

export async function queueReconnectEmail(
  input: ReconnectEmailInput,
  tx: DbOrTx,
  deps: { keyring: Keyring; deliveries: DeliveryJobQueue },
): Promise<{ notificationId: string }> {
  const id = randomUUID();
  await queueMessages(
    [
      {
        id,
        clinicId: input.clinicId,
        connectionId: input.connectionId,
        alertIds: [],
        event: "reconnect_link",
        channel: "email",
        audience: "clinic_admin",
        target: input.to,
        content: {
          kind: "email",
          subject: input.subject,
          text: redactReconnectLink(input.text, input.token),
          html: redactReconnectLink(htmlOf(input.text), input.token),
        },
        linkId: input.linkId,
        ...sealReconnectToken(deps.keyring, id, input.token),
        createdAt: input.now,
      },
    ],
    tx,
    deps.deliveries,
  );
  return { notificationId: id };
}

/** The token a reconnect email carries, for the delivery worker only. Throws KeyCryptoError when unreadable. */
export function unsealReconnectToken(
  keyring: Keyring,
  n: { id: string; tokenCiphertext: Buffer | null; tokenIv: Buffer | null; tokenTag: Buffer | null; tokenKeyId: string | null },
): string | null {
  if (!n.tokenCiphertext || !n.tokenIv || !n.tokenTag || !n.tokenKeyId) return null;
  return decryptApiKey(keyring, binding(n.id), { ciphertext: n.tokenCiphertext, iv: n.tokenIv, tag: n.tokenTag, keyId: n.tokenKeyId });
}
