import { randomUUID } from "node:crypto";
import type { Db, DbOrTx } from "../../db/client.ts";
import { queueMessages } from "../alerts/outbox.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import {
  claimDelivery,
  disableSubscriptionRow,
  getEventForDelivery,
  getSigningTarget,
  listActiveAdminEmails,
  noteSubscriptionFailure,
  noteSubscriptionSuccess,
  recordAttempt,
} from "../../db/queries/webhooks.ts";
import { renderWebhookDisabledEmail } from "../alerts/messages.ts";
import { eventEnvelope } from "../events/catalog.ts";
import type { DeliveryJobQueue, WebhookDeliveryJobQueue } from "../jobs.ts";
import type { MetricsRecorder } from "../metrics.ts";
import type { Keyring } from "../secrets/key-crypto.ts";
import { nextAttemptAfterFailure, shouldAutoDisable } from "./schedule.ts";
import { openWebhookSecret } from "./secrets.ts";
import { postWebhook, type WebhookPostResult } from "./send.ts";
import type { WebhookTargetPolicy } from "./target.ts";

/**
 * One attempt of one webhook delivery (docs/decisions/0048-webhook-subscriptions.md): claim it,
 * sign the event's envelope, POST it, record the attempt, schedule the next one or give up, and
 * disable the subscription after sustained failure. At least once: the claim is a lease, so an
 * attempt whose worker died is claimed again once the lease runs out.
 */

export interface WebhookDeliveryDeps {
  db: Db;
  keyring: Keyring;
  /** Per attempt: no answer within this is a failure (WEBHOOK_TIMEOUT_MS, 10 s by default). */
  timeoutMs: number;
  /** Where receivers may be (config/runtime.ts webhookTargetPolicy); default strict. */
  targets?: WebhookTargetPolicy;
  /** The webhook delivery queue: a failed attempt enqueues the next one, delayed. */
  deliveries: WebhookDeliveryJobQueue;
  /** The `deliver` queue: the email to admins when a subscription is disabled. */
  emails: DeliveryJobQueue;
  metrics: Pick<MetricsRecorder, "webhookDelivery">;
  /** Base URL of the console, for the link in the admins' email. */
  consoleUrl?: string | null;
}

export type AttemptOutcome = "skipped" | "succeeded" | "failed" | "dead";

// why: long enough for the request (timeout) and the bookkeeping after it; a killed worker's delivery waits this long at most
const LEASE_EXTRA_MS = 60_000;

export async function attemptDelivery(
  { deliveryId, now = new Date() }: { deliveryId: string; now?: Date },
  deps: WebhookDeliveryDeps,
): Promise<AttemptOutcome> {
  const { db } = deps;
  const claimed = await claimDelivery({ id: deliveryId, now, leaseUntil: new Date(now.getTime() + deps.timeoutMs + LEASE_EXTRA_MS) }, db);
  if (!claimed) return "skipped";
  const [target, event] = await Promise.all([getSigningTarget({ id: claimed.subscriptionId }, db), getEventForDelivery({ id: claimed.eventId }, db)]);
  if (!target) return "skipped";

  let posted: WebhookPostResult;
  if (!event) {
    // why: nothing to send will ever come back; the log says so instead of retrying for three days
    posted = { ok: false, outcome: "not_sent", httpStatus: null, error: "the event is no longer stored (events are kept 30 days)", durationMs: 0 };
  } else {
    let secret: string | null = null;
    try {
      secret = openWebhookSecret(deps.keyring, target);
    } catch {
      // why: our own configuration fault (master key); the message names no key material
    }
    posted = secret
      ? await postWebhook(
          { url: target.url, secret },
          JSON.stringify(eventEnvelope(event)),
          { id: event.id },
          { timeoutMs: deps.timeoutMs, ...(deps.targets ? { targets: deps.targets } : {}) },
        )
      : { ok: false, outcome: "not_sent", httpStatus: null, error: "the signing secret cannot be opened with the configured master keys", durationMs: 0 };
  }

  const next = posted.ok ? null : event ? nextAttemptAfterFailure({ attempt: claimed.attempt, scheduleStartedAt: claimed.scheduleStartedAt, now }) : null;
  const status = posted.ok ? "succeeded" : next ? "failed" : "dead";
  await db.transaction(async (tx) => {
    await recordAttempt(
      {
        deliveryId,
        attempt: claimed.attempt,
        at: now,
        ok: posted.ok,
        httpStatus: posted.httpStatus,
        durationMs: posted.durationMs,
        error: posted.error,
        status,
        nextAttemptAt: next ?? now,
      },
      tx,
    );
    if (posted.ok) {
      await noteSubscriptionSuccess({ id: claimed.subscriptionId, at: now }, tx);
      return;
    }
    if (next)
      await deps.deliveries.enqueue(
        [{ data: { deliveryId, due: next.toISOString() }, startAfter: Math.max(0, Math.ceil((next.getTime() - now.getTime()) / 1000)) }],
        tx,
      );
    const streak = await noteSubscriptionFailure({ id: claimed.subscriptionId, at: now }, tx);
    if (streak && shouldAutoDisable({ failureStreak: streak.failureStreak, failingSince: streak.failingSince, now })) {
      await autoDisable(
        { subscriptionId: claimed.subscriptionId, url: streak.url, failureStreak: streak.failureStreak, failingSince: streak.failingSince!, now },
        deps,
        tx,
      );
    }
  });
  deps.metrics.webhookDelivery(posted.outcome);
  if (status === "dead") deps.metrics.webhookDelivery("dead");
  return status;
}

/** Disables the subscription, writes the audit entry, and emails every admin (through the outbox and the `deliver` queue). */
async function autoDisable(
  { subscriptionId, url, failureStreak, failingSince, now }: { subscriptionId: string; url: string; failureStreak: number; failingSince: Date; now: Date },
  deps: WebhookDeliveryDeps,
  tx: DbOrTx,
): Promise<void> {
  const hours = Math.floor((now.getTime() - failingSince.getTime()) / 3_600_000);
  const reason = `Disabled automatically: ${failureStreak} attempts in a row failed over ${hours} hours (since ${failingSince.toISOString()}), none succeeded.`;
  if (!(await disableSubscriptionRow({ id: subscriptionId, reason, at: now }, tx))) return;
  await recordAudit(
    {
      actorUserId: null,
      actorLabel: "system",
      action: "webhook.auto_disable",
      clinicId: null,
      details: { subscriptionId, url, failureStreak, failingSince: failingSince.toISOString() },
    },
    tx,
  );
  const content = renderWebhookDisabledEmail({ url, reason, subscriptionId, consoleUrl: deps.consoleUrl ?? null });
  const rows = (await listActiveAdminEmails(tx)).map((to) => ({
    id: randomUUID(),
    clinicId: null,
    connectionId: null,
    alertIds: [],
    event: "webhook_disabled" as const,
    channel: "email" as const,
    audience: "support" as const,
    target: to,
    content,
    createdAt: now,
  }));
  await queueMessages(rows, tx, deps.emails);
  deps.metrics.webhookDelivery("disabled");
}
