import type { Job } from "pg-boss";
import { sweepSyncs } from "../../domain/sync/schedule.ts";
import { syncConnection, type SyncContext } from "../../domain/sync/run.ts";
import type { SyncJobQueue } from "../../domain/jobs.ts";
import type { Logger } from "../../lib/logger.ts";
import { QUEUES } from "../catalog.ts";

export interface SyncDeps {
  ctx: SyncContext;
  logger: Logger;
  queue: SyncJobQueue;
  intervalSeconds: number;
}

/** One sync job: validate, run the domain's sync (a retried job continues its run), log the outcome. */
export async function handleSyncJobs(jobs: Job<object>[], deps: SyncDeps): Promise<void> {
  for (const job of jobs) {
    const payload = QUEUES.sync.schema.safeParse(job.data);
    if (!payload.success) continue;
    const { connectionId, trigger, requestedBy } = payload.data;
    const report = await syncConnection({ ...deps.ctx, signal: job.signal }, { connectionId, jobId: job.id, trigger, requestedBy });
    deps.logger.info({ connectionId, outcome: report.outcome, pages: report.pages, changed: report.recordsChanged, failed: report.failedResource }, "sync");
  }
}

/** Every minute: the connections whose phase falls in this minute of the interval. */
export async function handleSyncSweep(deps: SyncDeps): Promise<void> {
  // why: with SYNC_INTERVAL_MINUTES=0 nothing is scheduled; a sweep job left from an earlier start does nothing
  if (deps.intervalSeconds <= 0) return;
  const { enqueued, window } = await sweepSyncs({ db: deps.ctx.db, queue: deps.queue, intervalSeconds: deps.intervalSeconds });
  if (enqueued > 0) deps.logger.info({ enqueued, window }, "sync sweep enqueued");
}
