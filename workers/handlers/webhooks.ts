import type { Job, JobResult, PgBoss } from "pg-boss";
import { attemptDelivery, type WebhookDeliveryDeps } from "../../domain/webhooks/deliver.ts";
import { listenForEvents } from "../../db/queries/events.ts";
import { dispatchEvents } from "../../domain/webhooks/dispatch.ts";
import type { Logger } from "../../lib/logger.ts";
import { QUEUES } from "../catalog.ts";
import type { Queues } from "../queues.ts";

/** The webhook queues (docs/decisions/0048-webhook-subscriptions.md): glue around domain/webhooks. */

const DELIVER = QUEUES["webhook-deliver"];
const DISPATCH = QUEUES["webhook-dispatch"];

type WebhookHandlerDeps = WebhookDeliveryDeps & { logger: Logger };

/** One attempt per job. A failed attempt completes its job (the next attempt is its own job); only a crash retries. */
async function handleWebhookDeliverBatch(jobs: Job<object>[], deps: WebhookHandlerDeps): Promise<JobResult[]> {
  return Promise.all(
    jobs.map(async (job): Promise<JobResult> => {
      const payload = DELIVER.schema.safeParse(job.data);
      if (!payload.success) return { id: job.id, status: "deadletter", output: { error: "invalid payload" } };
      try {
        const outcome = await attemptDelivery({ deliveryId: payload.data.deliveryId }, deps);
        if (outcome === "dead") deps.logger.warn({ deliveryId: payload.data.deliveryId }, "webhook delivery gave up");
        return { id: job.id, status: "completed", output: { outcome } };
      } catch (err) {
        deps.logger.error({ err, deliveryId: payload.data.deliveryId }, "webhook delivery crashed");
        return { id: job.id, status: "failed", output: { error: (err as Error).name } };
      }
    }),
  );
}

/**
 * Registers both handlers, runs the dispatcher whenever a transaction that recorded events commits
 * and every minute besides (a missed notification, a re-enabled subscription, an overdue attempt),
 * and once now. Returns the way to stop listening.
 */
export async function workWebhookQueues(boss: PgBoss, deps: WebhookHandlerDeps, dispatch: Queues["webhookDispatch"]): Promise<() => Promise<void>> {
  await boss.work(DELIVER.name, DELIVER.work, (jobs: Job<object>[]) => handleWebhookDeliverBatch(jobs, deps));
  await boss.work(DISPATCH.name, DISPATCH.work, async () => {
    const { deliveries, requeued } = await dispatchEvents({}, deps);
    if (deliveries + requeued > 0) deps.logger.info({ deliveries, requeued }, "webhook dispatch");
  });
  // why: the minute cron is the safety net; committed events ask for a run at once (the queue keeps at most one waiting)
  await boss.schedule(DISPATCH.name, "* * * * *");
  const unlisten = await listenForEvents(deps.db, () => {
    dispatch.enqueue([{ data: {} }]).catch((err: unknown) => deps.logger.warn({ err }, "webhook dispatch not requested"));
  });
  await dispatch.enqueue([{ data: {} }]);
  return unlisten;
}
