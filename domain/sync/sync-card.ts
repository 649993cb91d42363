import type { Db } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { syncOverview } from "../../db/queries/sync.ts";
import type { Actor } from "../clinics/console-actions.ts";
import type { SyncJobQueue } from "../jobs.ts";
import { SYNC_RESOURCE_LABELS, SYNC_RESOURCES, SYNC_STATE_LABELS, type SyncState } from "../vocabulary.ts";

/**
 * The clinic page's sync card (docs/decisions/0033-sync.md): the latest run with its progress, per
 * resource state, records seen/changed, pages done of total, times and last error; a short history.
 */
export async function loadSyncCard({ connectionId }: { connectionId: string }, db: Db) {
  const { recordSet, resources, runs } = await syncOverview({ connectionId, runs: 6 }, db);
  const byResource = new Map(resources.map((r) => [r.resource, r]));
  const latest = runs[0] ?? null;
  const percent = (done: number, total: number) => (total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0);
  return {
    account: recordSet?.account.name ?? null,
    running: latest?.state === "running",
    latest: latest
      ? {
          state: latest.state,
          stateLabel: SYNC_STATE_LABELS[latest.state],
          startedAt: latest.startedAt.toISOString(),
          finishedAt: latest.finishedAt?.toISOString() ?? null,
          pagesDone: latest.pagesDone,
          pagesTotal: Math.max(latest.pagesTotal, latest.pagesDone),
          percent: latest.state === "succeeded" ? 100 : percent(latest.pagesDone, latest.pagesTotal),
          recordsSeen: latest.recordsSeen,
          recordsChanged: latest.recordsChanged,
          lastError: latest.lastError,
          failedResource: latest.failedResource ? SYNC_RESOURCE_LABELS[latest.failedResource] : null,
        }
      : null,
    resources: SYNC_RESOURCES.filter((r) => byResource.has(r)).map((r) => {
      const s = byResource.get(r)!;
      const state: SyncState | null = s.state;
      return {
        resource: r,
        label: SYNC_RESOURCE_LABELS[r],
        state,
        stateLabel: state ? SYNC_STATE_LABELS[state] : "Not synced",
        pagesDone: s.pagesDone,
        pagesTotal: Math.max(s.pagesTotal, s.pagesDone),
        recordsSeen: s.recordsSeen,
        recordsChanged: s.recordsChanged,
        liveCount: s.liveCount,
        startedAt: s.startedAt?.toISOString() ?? null,
        finishedAt: s.finishedAt?.toISOString() ?? null,
        lastSuccessAt: s.lastSuccessAt?.toISOString() ?? null,
        /** The last complete full pass (Nookal: where deletions are found); null where lists show deletions. */
        lastFullCheckAt: s.lastFullPassAt?.toISOString() ?? null,
        lastError: s.lastError,
      };
    }),
    history: runs.map((r) => ({
      id: r.id,
      trigger: r.trigger,
      state: r.state,
      stateLabel: SYNC_STATE_LABELS[r.state],
      startedAt: r.startedAt.toISOString(),
      finishedAt: r.finishedAt?.toISOString() ?? null,
      recordsSeen: r.recordsSeen,
      recordsChanged: r.recordsChanged,
      pagesDone: r.pagesDone,
      failedResource: r.failedResource ? SYNC_RESOURCE_LABELS[r.failedResource] : null,
    })),
  };
}

/**
 * "Sync now" (the clinic page and the API): one job, absorbed when one is already waiting (one sync
 * per connection at a time), enqueued on the same transaction as its audit entry.
 */
export async function requestSync(
  { clinicId, connectionId, actor }: { clinicId: string; connectionId: string; actor: Actor },
  deps: { db: Db; queue: SyncJobQueue },
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await deps.queue.enqueue([{ data: { connectionId, trigger: "manual", requestedBy: `user:${actor.userId}` } }], tx);
    await recordAudit({ actorUserId: actor.userId, actorLabel: actor.label, action: "connection.sync_requested", clinicId, details: {} }, tx);
  });
}
