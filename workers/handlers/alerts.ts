import { sql } from "drizzle-orm";
import { fromDrizzle, type Job, type JobResult, type PgBoss } from "pg-boss";
import type { Env } from "../../config/env.ts";
import { publicUrl, webhookTargetPolicy } from "../../config/runtime.ts";
import type { Db } from "../../db/client.ts";
import type { AlertRecipients, AlertWorkDeps, DeliveryJobQueue } from "../../domain/alerts/apply.ts";
import { DeliveryError, deliverNotification, failNotification, type DeliveryDeps } from "../../domain/alerts/deliver.ts";
import { smtpEmailSender } from "../../domain/alerts/email.ts";
import type { Keyring } from "../../domain/secrets/key-crypto.ts";
import type { Logger } from "../../lib/logger.ts";
import { QUEUES } from "../catalog.ts";

/**
 * The pg-boss side of alerts: enqueueing `alert-deliver` jobs on the caller's drizzle transaction,
 * and the handlers for `alert-deliver` and its dead-letter queue. The rules live in domain/alerts.
 */

const DELIVER = QUEUES["alert-deliver"];
const DEAD = QUEUES["alert-deliver-dead"];

/** Enqueues on the transaction that writes the alert, so the jobs commit or roll back with it. */
export function pgBossDeliveryQueue(boss: PgBoss): DeliveryJobQueue {
  return {
    async enqueue(jobs, tx) {
      if (jobs.length === 0) return;
      await boss.insert(
        DELIVER.name,
        jobs.map((j) => ({ id: j.jobId, data: DELIVER.schema.parse({ notificationId: j.notificationId }) })),
        { db: fromDrizzle(tx, sql) },
      );
    },
  };
}

export function alertRecipients(env: Env): AlertRecipients {
  return {
    emailClinicAdmin: env.ALERT_EMAIL_CLINIC_ADMINS,
    supportEmail: env.ALERT_SUPPORT_EMAIL ?? null,
    consoleUrl: publicUrl(env),
  };
}

/** What applyAlertWork needs in the worker: pass `alerts.work` as its third argument. */
export interface AlertWorker {
  work: AlertWorkDeps;
  delivery: DeliveryDeps & { logger: Logger };
  close(): void;
}

export function alertWorker({ env, db, boss, logger, keyring }: { env: Env; db: Db; boss: PgBoss; logger: Logger; keyring: Keyring }): AlertWorker {
  const email = env.SMTP_URL ? smtpEmailSender(env.SMTP_URL, { requireTLS: env.SMTP_REQUIRE_TLS }) : null;
  if (!email) logger.info("SMTP_URL not set: alert emails wait in the email outbox");
  return {
    work: { queue: pgBossDeliveryQueue(boss), recipients: alertRecipients(env) },
    delivery: { db, email, fromEmail: env.ALERT_FROM_EMAIL, webhookTimeoutMs: env.WEBHOOK_TIMEOUT_MS, keyring, webhookTargets: webhookTargetPolicy(env), logger },
    close: () => email?.close(),
  };
}

/** One attempt per job; a failed attempt retries alone (perJobResults), an unreadable one goes straight to dead letter. */
export async function handleAlertDeliverBatch(jobs: Job<object>[], deps: DeliveryDeps & { logger: Logger }): Promise<JobResult[]> {
  return Promise.all(
    jobs.map(async (job): Promise<JobResult> => {
      const payload = DELIVER.schema.safeParse(job.data);
      if (!payload.success) return { id: job.id, status: "deadletter", output: { error: "invalid payload" } };
      const { notificationId } = payload.data;
      try {
        const outcome = await deliverNotification({ notificationId }, deps);
        return { id: job.id, status: "completed", output: { outcome } };
      } catch (err) {
        if (err instanceof DeliveryError) {
          deps.logger.warn({ notificationId, attempt: err.attempt, error: err.message }, "alert delivery failed");
          return { id: job.id, status: err.retryable ? "failed" : "deadletter", output: { error: err.message } };
        }
        deps.logger.error({ err, notificationId }, "alert delivery crashed");
        return { id: job.id, status: "failed", output: { error: (err as Error).message } };
      }
    }),
  );
}

/** Retries exhausted: the notification is marked failed (its attempts are already recorded). */
export async function handleAlertDeadBatch(jobs: Job<object>[], deps: DeliveryDeps & { logger: Logger }): Promise<void> {
  for (const job of jobs) {
    const payload = DEAD.schema.safeParse(job.data);
    if (!payload.success) continue;
    const changed = await failNotification(payload.data, deps);
    if (changed) deps.logger.warn({ notificationId: payload.data.notificationId }, "alert delivery gave up");
  }
}

/** Registers both handlers on a started worker instance. */
export async function workAlertQueues(boss: PgBoss, deps: DeliveryDeps & { logger: Logger }): Promise<void> {
  await boss.work(DELIVER.name, DELIVER.work, (jobs: Job<object>[]) => handleAlertDeliverBatch(jobs, deps));
  await boss.work(DEAD.name, DEAD.work, (jobs: Job<object>[]) => handleAlertDeadBatch(jobs, deps));
}
