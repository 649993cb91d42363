import type { Job, JobResult, PgBoss } from "pg-boss";
import { deliverBriefing, type BriefingDeliveryDeps } from "../../domain/briefings/deliver.ts";
import { sweepBriefings } from "../../domain/briefings/sweep.ts";
import type { BriefingJobQueue } from "../../domain/jobs.ts";
import type { Db } from "../../db/client.ts";
import type { Logger } from "../../lib/logger.ts";
import { QUEUES } from "../catalog.ts";
import type { Queues } from "../queues.ts";

/** The weekly briefing's queues (docs/decisions/0040-briefing-delivery.md): glue around domain/briefings. */

const BRIEFING = QUEUES.briefing;
const SWEEP = QUEUES["briefing-sweep"];

export interface BriefingHandlerDeps {
  delivery: BriefingDeliveryDeps;
  db: Db;
  queue: BriefingJobQueue;
  logger: Logger;
}

/** One briefing per job; a job that throws retries alone (perJobResults). */
async function handleBriefingBatch(jobs: Job<object>[], deps: BriefingHandlerDeps): Promise<JobResult[]> {
  return Promise.all(
    jobs.map(async (job): Promise<JobResult> => {
      const payload = BRIEFING.schema.safeParse(job.data);
      if (!payload.success) return { id: job.id, status: "deadletter", output: { error: "invalid payload" } };
      try {
        const result = await deliverBriefing(deps.delivery, payload.data);
        if (result.outcome !== "already_done" && result.outcome !== "not_due") deps.logger.info({ ...payload.data, ...result }, "briefing");
        return { id: job.id, status: "completed", output: result };
      } catch (err) {
        deps.logger.error({ err, ...payload.data }, "briefing failed");
        return { id: job.id, status: "failed", output: { error: (err as Error).message.slice(0, 300) } };
      }
    }),
  );
}

async function handleBriefingSweep(deps: BriefingHandlerDeps): Promise<void> {
  const { enqueued } = await sweepBriefings({ db: deps.db, queue: deps.queue, now: deps.delivery.now?.() ?? new Date() });
  if (enqueued > 0) deps.logger.info({ enqueued }, "briefing sweep enqueued");
}

/** Registers both handlers and, given the sweep's door, its schedule (every 5 minutes) plus one sweep now. */
export async function workBriefingQueues(boss: PgBoss, deps: BriefingHandlerDeps, options: { schedule: Queues["briefingSweep"] | false }): Promise<void> {
  await boss.work(BRIEFING.name, BRIEFING.work, (jobs: Job<object>[]) => handleBriefingBatch(jobs, deps));
  await boss.work(SWEEP.name, SWEEP.work, () => handleBriefingSweep(deps));
  // why: a held briefing is re-checked every sweep, so a recovery goes out within minutes; cron has minute granularity
  if (options.schedule === false) return;
  await boss.schedule(SWEEP.name, "*/5 * * * *");
  // why: a worker (re)started at 07:02 on a Monday should not wait for the next five-minute mark
  await options.schedule.enqueue([{ data: {} }]);
}
