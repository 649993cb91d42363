import { sql } from "drizzle-orm";
import { fromDrizzle, type PgBoss } from "pg-boss";
import type { DbOrTx } from "../db/client.ts";
import { QUEUES, type PayloadOf, type QueueName } from "./catalog.ts";

/**
 * One door per queue (docs/decisions/0022-one-door-per-queue.md): the ONLY place that calls
 * boss.send/insert. Every job is validated through its catalog schema, carries the queue's
 * singleton key, and — when the caller passes its drizzle transaction — commits or rolls back
 * with the write that caused it (`fromDrizzle(tx, sql)`).
 */

interface EnqueueJob<N extends QueueName> {
  data: PayloadOf<N>;
  /** A job id chosen by the caller (delivery jobs: the notification's job_id). */
  id?: string;
  /** Seconds to wait before the job may run. */
  startAfter?: number;
}

interface QueueDoor<N extends QueueName> {
  readonly name: N;
  /** Enqueues the jobs; on `tx` when given. A singleton already waiting absorbs its duplicate. */
  enqueue(jobs: readonly EnqueueJob<N>[], tx?: DbOrTx): Promise<void>;
}

function door<N extends QueueName>(boss: PgBoss, name: N): QueueDoor<N> {
  const spec = QUEUES[name];
  const singletonKey = (spec as { singletonKey?: (p: PayloadOf<N>) => string }).singletonKey;
  const priority = (spec as { priority?: (p: PayloadOf<N>) => number }).priority;
  return {
    name,
    async enqueue(jobs, tx) {
      if (jobs.length === 0) return;
      const rows = jobs.map((j) => {
        const data = spec.schema.parse(j.data) as PayloadOf<N>;
        return {
          data: data as object,
          ...(j.id ? { id: j.id } : {}),
          ...(singletonKey ? { singletonKey: singletonKey(data) } : {}),
          ...(priority ? { priority: priority(data) } : {}),
          ...(j.startAfter !== undefined ? { startAfter: j.startAfter } : {}),
        };
      });
      await boss.insert(name, rows, tx ? { db: fromDrizzle(tx, sql) } : undefined);
    },
  };
}

/** Every queue's door, built once per process by the composition root (lib/services.ts). */
export interface Queues {
  probe: QueueDoor<"probe">;
  probeSweep: QueueDoor<"probe-sweep">;
  deliver: QueueDoor<"deliver">;
  bulkRun: QueueDoor<"bulk-run">;
  sync: QueueDoor<"sync">;
  syncSweep: QueueDoor<"sync-sweep">;
  briefing: QueueDoor<"briefing">;
  briefingSweep: QueueDoor<"briefing-sweep">;
  webhookDispatch: QueueDoor<"webhook-dispatch">;
  webhookDeliver: QueueDoor<"webhook-deliver">;
}

export function createQueues(boss: PgBoss): Queues {
  return {
    probe: door(boss, "probe"),
    probeSweep: door(boss, "probe-sweep"),
    deliver: door(boss, "deliver"),
    bulkRun: door(boss, "bulk-run"),
    sync: door(boss, "sync"),
    syncSweep: door(boss, "sync-sweep"),
    briefing: door(boss, "briefing"),
    briefingSweep: door(boss, "briefing-sweep"),
    webhookDispatch: door(boss, "webhook-dispatch"),
    webhookDeliver: door(boss, "webhook-deliver"),
  };
}
