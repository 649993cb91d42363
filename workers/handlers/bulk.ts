import type { Job } from "pg-boss";
import { bulkDeps, type Services } from "../../composition/services.ts";
import { runBulkOperation } from "../../domain/bulk/operations.ts";
import { QUEUES } from "../catalog.ts";

/** `bulk-run`: works the operation's waiting items; a crash mid-way retries with the ones left. */
export async function handleBulkRun(jobs: Job<object>[], services: Services): Promise<void> {
  for (const job of jobs) {
    const { operationId } = QUEUES["bulk-run"].schema.parse(job.data);
    const { unexpected } = await runBulkOperation({ operationId }, bulkDeps(services));
    for (const err of unexpected) services.logger.error({ err, operationId }, "bulk item failed");
  }
}
