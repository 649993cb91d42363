import type { Job, JobResult, PgBoss } from "pg-boss";
import { DeliveryError, deliverNotification, failNotification, type DeliveryDeps } from "../../domain/alerts/deliver.ts";
import type { Logger } from "../../lib/logger.ts";
import { QUEUES } from "../catalog.ts";

/**
 * The handlers of the ONE email delivery queue (`deliver`: alert, reconnect-link, briefing and
 * disabled-webhook emails) and its dead-letter queue. Enqueueing goes through workers/queues.ts; the rules live in
 * domain/alerts/deliver.ts.
 */

const DELIVER = QUEUES.deliver;
const DEAD = QUEUES["deliver-dead"];

export type DeliverHandlerDeps = DeliveryDeps & { logger: Logger };

/** One attempt per job; a failed attempt retries alone (perJobResults), an unreadable one goes straight to dead letter. */
export async function handleDeliverBatch(jobs: Job<object>[], deps: DeliverHandlerDeps): Promise<JobResult[]> {
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
          deps.logger.warn({ notificationId, attempt: err.attempt, error: err.message }, "delivery failed");
          return { id: job.id, status: err.retryable ? "failed" : "deadletter", output: { error: err.message } };
        }
        deps.logger.error({ err, notificationId }, "delivery crashed");
        return { id: job.id, status: "failed", output: { error: (err as Error).name } };
      }
    }),
  );
}

/** Retries exhausted: the notification is marked failed for good ("dead" in the console). */
export async function handleDeliverDeadBatch(jobs: Job<object>[], deps: DeliverHandlerDeps): Promise<void> {
  for (const job of jobs) {
    const payload = DEAD.schema.safeParse(job.data);
    if (!payload.success) continue;
    const changed = await failNotification(payload.data, deps);
    if (changed) deps.logger.warn({ notificationId: payload.data.notificationId }, "delivery gave up");
  }
}

/** Registers both handlers on a started worker instance. */
export async function workDeliverQueues(boss: PgBoss, deps: DeliverHandlerDeps): Promise<void> {
  await boss.work(DELIVER.name, DELIVER.work, (jobs: Job<object>[]) => handleDeliverBatch(jobs, deps));
  await boss.work(DEAD.name, DEAD.work, (jobs: Job<object>[]) => handleDeliverDeadBatch(jobs, deps));
}
