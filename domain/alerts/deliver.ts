import type { DbOrTx } from "../../db/client.ts";
import {
  allAlertsMuted,
  beginDeliveryAttempt,
  ensureOutboxEmail,
  getNotification,
  isLinkLive,
  markOutboxEmail,
  noteNotificationError,
  recordDeliveryAttempt,
  settleNotification,
} from "../../db/queries/alerts.ts";
import { unsealReconnectToken } from "../reconnect/email.ts";
import { revealReconnectLink } from "../reconnect/tokens.ts";
import { KeyCryptoError, type Keyring } from "../secrets/key-crypto.ts";
import type { EmailSender } from "./email.ts";
import { EmailContentSchema } from "./messages.ts";
import type { DeliveryAttemptStatus, NotificationStatus } from "../vocabulary.ts";

/**
 * Delivers one stored notification: one attempt, recorded in alert_deliveries whatever happens.
 * Throws DeliveryError when the attempt failed, so the job runner retries with backoff; after the
 * last retry the dead-letter handler calls failNotification.
 */

export interface DeliveryDeps {
  db: DbOrTx;
  /** null when SMTP is not configured: emails wait in email_outbox for the console. */
  email: EmailSender | null;
  fromEmail: string;
  /** The display name on clinic-facing emails: the vendor's product (BRAND_PRODUCT_NAME), never "Relink". */
  fromName?: string;
  /** Opens the reconnect-link tokens sealed on link emails. */
  keyring: Keyring;
  now?: () => Date;
}

export type DeliveryOutcome = NotificationStatus | "skipped";

export class DeliveryError extends Error {
  /** false: retrying cannot help (the stored message is unreadable); go straight to dead letter. */
  readonly retryable: boolean;
  readonly attempt: number;
  constructor(message: string, attempt: number, retryable = true) {
    super(message);
    this.name = "DeliveryError";
    this.retryable = retryable;
    this.attempt = attempt;
  }
}

export async function deliverNotification({ notificationId }: { notificationId: string }, deps: DeliveryDeps): Promise<DeliveryOutcome> {
  const { db } = deps;
  const now = () => deps.now?.() ?? new Date();
  const n = await getNotification({ notificationId }, db);
  // why: a job can run twice (a worker died between sending and completing); a settled message is never re-sent
  if (!n || n.status !== "queued") return "skipped";
  const attempt = await beginDeliveryAttempt({ notificationId }, db);
  if (attempt === null) return "skipped";

  const record = async (status: DeliveryAttemptStatus, extra: { httpStatus?: number | null; error?: string | null; durationMs?: number } = {}) => {
    await recordDeliveryAttempt(
      {
        notificationId,
        channel: n.channel,
        target: n.target,
        event: n.event,
        attempt,
        status,
        httpStatus: extra.httpStatus ?? null,
        error: extra.error ?? null,
        durationMs: extra.durationMs ?? null,
        at: now(),
      },
      db,
    );
  };
  const settle = async (status: NotificationStatus, error: string | null = null) => {
    await settleNotification({ notificationId, status, error, at: now() }, db);
    return status;
  };
  const fail = async (error: string, extra: { httpStatus?: number | null; durationMs?: number } = {}, retryable = true): Promise<never> => {
    await record("failed", { ...extra, error });
    await noteNotificationError({ notificationId, error }, db);
    throw new DeliveryError(error, attempt, retryable);
  };

  // why: a link used, revoked or expired before its email went out must not reach the clinic
  // (a reconnect-link email, or an "action needed" alert email carrying a fresh link)
  const carriesLink = n.event === "reconnect_link" || n.linkId !== null;
  if (carriesLink && (!n.linkId || !(await isLinkLive({ linkId: n.linkId, now: now() }, db)))) {
    await record("suppressed", { error: "reconnect link no longer live" });
    return settle("suppressed", "the reconnect link was used, revoked or expired before the email went out");
  }
  // why: support muted the alert after this message was queued; recoveries are filtered when queued
  if (
    n.event !== "recovered" &&
    n.event !== "reconnect_link" &&
    n.event !== "briefing" &&
    n.event !== "webhook_disabled" &&
    (await allAlertsMuted({ alertIds: n.alertIds, now: now() }, db))
  ) {
    await record("suppressed", { error: "alert muted" });
    return settle("suppressed", "alert muted before delivery");
  }

  if (n.channel === "email") {
    const content = EmailContentSchema.safeParse(n.content);
    if (!content.success) return fail("stored email content is unreadable", {}, false);
    const { subject, text, html } = content.data;
    // why: the stored text (and the outbox copy) carries the link redacted; only the message sent has the token
    let sendText = text;
    let sendHtml = html;
    if (carriesLink) {
      let token: string | null = null;
      try {
        token = deps.keyring ? unsealReconnectToken(deps.keyring, n) : null;
      } catch (err) {
        if (!(err instanceof KeyCryptoError)) throw err;
      }
      if (!token) return fail("the link token cannot be unsealed with the configured master keys", {}, false);
      sendText = revealReconnectLink(text, token);
      sendHtml = revealReconnectLink(html, token);
    }
    const outbox = await ensureOutboxEmail({ notificationId, to: n.target, subject, text, html }, db);
    if (outbox.sentAt) {
      await record("delivered", { error: "already sent on an earlier attempt" });
      return settle("delivered");
    }
    if (!deps.email) {
      await record("outboxed");
      return settle("outboxed");
    }
    const started = performance.now();
    try {
      const sent = await deps.email.send({
        from: n.audience === "clinic_admin" && deps.fromName ? { name: deps.fromName, address: deps.fromEmail } : deps.fromEmail,
        to: n.target,
        subject,
        text: sendText,
        html: sendHtml,
        // why: mail clients thread every message about one alert together
        // (neutral names: a clinic admin may read the headers, and never heard of Relink)
        headers: { "X-Notification-Id": notificationId, "X-Notification-Event": n.event },
      });
      const durationMs = Math.round(performance.now() - started);
      await markOutboxEmail({ id: outbox.id, sentAt: now(), messageId: sent.messageId }, db);
      await record("delivered", { durationMs });
      return settle("delivered");
    } catch (err) {
      const error = `SMTP: ${(err as Error).message}`.slice(0, 500);
      await markOutboxEmail({ id: outbox.id, error }, db);
      return fail(error, { durationMs: Math.round(performance.now() - started) });
    }
  }

  // why: alert webhooks became event subscriptions (domain/webhooks, docs/decisions/0048); an old
  // queued webhook row is settled by that migration, so this only meets a row written by a stale process
  await record("suppressed", { error: "webhook receivers were replaced by webhook subscriptions" });
  return settle("suppressed", "webhook receivers were replaced by webhook subscriptions");
}

/** Called from the dead-letter queue: retries are exhausted, the notification failed for good. */
export async function failNotification({ notificationId }: { notificationId: string }, deps: Pick<DeliveryDeps, "db" | "now">): Promise<boolean> {
  const n = await getNotification({ notificationId }, deps.db);
  if (!n) return false;
  const attempts = `${n.attempts} attempt${n.attempts === 1 ? "" : "s"}`;
  return settleNotification(
    {
      notificationId,
      status: "failed",
      error: n.lastError ? `gave up after ${attempts}: ${n.lastError}` : `gave up after ${attempts}`,
      at: deps.now?.() ?? new Date(),
    },
    deps.db,
  );
}
