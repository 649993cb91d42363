import { z } from "zod";
import type { Queue, WorkOptions } from "pg-boss";
import { SYNC_TRIGGERS } from "../domain/vocabulary.ts";

/**
 * The job catalog: each queue's name, payload schema, queue options and worker options.
 * Senders and handlers both go through it, so a payload is validated on the way in and out.
 */
const ProbePayloadSchema = z.object({
  connectionId: z.uuid(),
  reason: z.enum(["schedule", "manual", "confirm", "setup", "canary"]),
  requestedBy: z.string().max(200).optional(),
});
const ProbeSweepPayloadSchema = z.object({}).passthrough();

/** One stored email (an alert, a reconnect link, a briefing, a disabled webhook): the message itself is in alert_notifications. */
const DeliverPayloadSchema = z.object({ notificationId: z.uuid() });

/** One sync of one connection (docs/decisions/0033-sync.md). */
const SyncPayloadSchema = z.object({
  connectionId: z.uuid(),
  trigger: z.enum(SYNC_TRIGGERS),
  requestedBy: z.string().max(200).optional(),
});

/** One stored bulk operation (domain/bulk): its waiting items are worked in the worker, not in the request. */
const BulkRunPayloadSchema = z.object({ operationId: z.uuid() });

/** One clinic's weekly briefing: the local Monday of the briefed week (docs/decisions/0040-briefing-delivery.md). */
const BriefingPayloadSchema = z.object({
  clinicId: z.uuid(),
  weekStart: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

/** One attempt of one webhook delivery (docs/decisions/0048-webhook-subscriptions.md). */
const WebhookDeliverPayloadSchema = z.object({ deliveryId: z.uuid(), due: z.iso.datetime() });

export interface QueueSpec<S extends z.ZodType> {
  name: string;
  schema: S;
  queue: Omit<Queue, "name">;
  work: WorkOptions;
  /** The singleton key every job of this queue carries (the adapter in workers/queues.ts sets it). */
  singletonKey?: (payload: z.infer<S>) => string;
  /** pg-boss priority (higher is fetched first) every job of this queue carries, from its payload. */
  priority?: (payload: z.infer<S>) => number;
}

function spec<S extends z.ZodType>(s: QueueSpec<S>): QueueSpec<S> {
  return s;
}

export const QUEUES = {
  probe: spec({
    name: "probe",
    schema: ProbePayloadSchema,
    // why: "stately" keeps at most one queued and one active probe per connection (singletonKey),
    // so a sweep never stacks probes of one connection, yet a confirmation re-probe can wait behind a running one
    queue: { policy: "stately", retryLimit: 2, retryDelay: 5, retryBackoff: true, expireInSeconds: 120, deadLetter: "probe-dead", notify: true },
    // why: probes wait on the vendor, not the CPU; 2 × 50 in flight keeps a 10,000-clinic sweep under 30 s (bench:fleet)
    // perJobResults: one bad job fails (and retries) alone, never its batch
    work: { batchSize: 50, burstWhenBatchFull: true, localConcurrency: 2, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 10, perJobResults: true },
    singletonKey: (p) => p.connectionId,
  }),
  "probe-dead": spec({
    name: "probe-dead",
    schema: ProbePayloadSchema,
    queue: { retentionSeconds: 14 * 24 * 3600 },
    // why: the handler writes the dead probe onto the clinic's timeline; the job stays for /healthz counts
    work: { batchSize: 20, pollingIntervalSeconds: 10 },
  }),
  "probe-sweep": spec({
    name: "probe-sweep",
    schema: ProbeSweepPayloadSchema,
    queue: { policy: "exclusive", retryLimit: 0, expireInSeconds: 300 },
    work: { pollingIntervalSeconds: 5 },
  }),
  // why: rate-limit windows and ended sessions are dropped hourly (workers/handlers/maintenance.ts)
  "maintenance-sweep": spec({
    name: "maintenance-sweep",
    schema: z.object({}).passthrough(),
    queue: { policy: "exclusive", retryLimit: 1, expireInSeconds: 300 },
    work: { pollingIntervalSeconds: 30 },
  }),
  // why: listed before its source queue, so the dead-letter queue exists when deliver names it
  "deliver-dead": spec({
    name: "deliver-dead",
    schema: DeliverPayloadSchema,
    queue: { retryLimit: 5, retryDelay: 30, retentionSeconds: 14 * 24 * 3600 },
    work: { batchSize: 10, pollingIntervalSeconds: 10 },
  }),
  // the ONE email delivery queue: every email Relink sends (webhooks have their own: webhook-deliver)
  deliver: spec({
    name: "deliver",
    schema: DeliverPayloadSchema,
    // why: a mail server down for a while still gets the message: ~15 s doubling (with jitter) up to 1 h, 1–2 h in all
    queue: {
      retryLimit: 9,
      retryDelay: 15,
      retryBackoff: true,
      retryDelayMax: 3600,
      expireInSeconds: 120,
      deadLetter: "deliver-dead",
      notify: true,
    },
    // why: perJobResults lets one failing receiver retry alone instead of failing its whole batch
    // burstWhenBatchFull: the Monday briefings put thousands of emails on this queue at once (docs/decisions/0040)
    work: { batchSize: 10, burstWhenBatchFull: true, perJobResults: true, localConcurrency: 1, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 10 },
  }),
  // why: "stately" with the connection as singleton key: at most one sync running and one waiting per
  // connection, so two requests run one after the other and a sweep never stacks them. The heartbeat
  // lets a killed worker's job be retried within a minute; the retry continues the same run from its
  // last committed page (domain/sync/run.ts).
  sync: spec({
    name: "sync",
    schema: SyncPayloadSchema,
    queue: {
      policy: "stately",
      retryLimit: 5,
      retryDelay: 30,
      retryBackoff: true,
      retryDelayMax: 900,
      expireInSeconds: 3600,
      heartbeatSeconds: 30,
      notify: true,
    },
    // why: a sync is long and waits on the vendor; two per worker process keeps one account's budget the limit
    work: { batchSize: 1, localConcurrency: 2, pollingIntervalSeconds: 5, notifyPollingIntervalSeconds: 10 },
    singletonKey: (p) => p.connectionId,
    // why: a person waiting on "Sync now" (or a bulk sync) is served before the scheduled spread
    priority: (p) => (p.trigger === "schedule" ? 0 : 1),
  }),
  "sync-sweep": spec({
    name: "sync-sweep",
    schema: z.object({}).passthrough(),
    queue: { policy: "exclusive", retryLimit: 0, expireInSeconds: 300 },
    work: { pollingIntervalSeconds: 30 },
  }),
  // why: a bulk action outlives the request that started it; the job resumes with the items still waiting
  "bulk-run": spec({
    name: "bulk-run",
    schema: BulkRunPayloadSchema,
    queue: { retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: 900, notify: true },
    work: { batchSize: 1, localConcurrency: 2, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 10 },
    singletonKey: (p) => p.operationId,
  }),
  // why (docs/decisions/0040-briefing-delivery.md): "exclusive" with clinic + week as singleton key: at most
  // one job of a clinic-week queued or running, so a sweep every few minutes never stacks them. Exactly-once
  // does not rest on it: the job claims the week's row in the transaction that writes the email. The
  // heartbeat lets a killed worker's job be retried within a minute; the retry starts over (nothing committed).
  briefing: spec({
    name: "briefing",
    schema: BriefingPayloadSchema,
    queue: { policy: "exclusive", retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: 300, heartbeatSeconds: 10, notify: true },
    // why: a briefing is a few queries and a render (CPU, no vendor call); 8 at once per worker keeps the pool busy
    // burstWhenBatchFull: a full batch fetches the next at once (the Monday run is 5,000 jobs), not after the poll interval
    work: { batchSize: 8, burstWhenBatchFull: true, perJobResults: true, localConcurrency: 1, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 10 },
    singletonKey: (p) => `${p.clinicId}:${p.weekStart}`,
  }),
  "briefing-sweep": spec({
    name: "briefing-sweep",
    schema: z.object({}).passthrough(),
    queue: { policy: "exclusive", retryLimit: 0, expireInSeconds: 300 },
    work: { pollingIntervalSeconds: 30 },
  }),
  // why (docs/decisions/0048-webhook-subscriptions.md): on every commit that recorded events, and every
  // minute, events become deliveries and overdue deliveries (a lost job, a re-enabled subscription) are
  // enqueued again. "stately": one run at a time, and one waiting — an event committed during a run
  // gets the run after it, not the next minute's
  "webhook-dispatch": spec({
    name: "webhook-dispatch",
    schema: z.object({}).passthrough(),
    queue: { policy: "stately", retryLimit: 0, expireInSeconds: 300, notify: true },
    work: { pollingIntervalSeconds: 5 },
  }),
  // why: one job per attempt; the ~3-day retry schedule is ours (domain/webhooks/schedule.ts): a failed
  // attempt enqueues the next one, delayed. pg-boss retries only a crashed or killed attempt: the job
  // expires (longer than WEBHOOK_TIMEOUT_MS's 60 s maximum), and the retry claims the delivery again
  // once its lease ran out (at least once). "short" with (delivery, due) as singleton key: the sweep
  // re-enqueueing an attempt already waiting is absorbed, while a redelivery (a new due time) is not.
  "webhook-deliver": spec({
    name: "webhook-deliver",
    schema: WebhookDeliverPayloadSchema,
    queue: { policy: "short", retryLimit: 5, retryDelay: 90, retryBackoff: true, expireInSeconds: 180, notify: true },
    // why: attempts wait on receivers, not the CPU; perJobResults: one crashing attempt retries alone
    work: { batchSize: 10, burstWhenBatchFull: true, perJobResults: true, localConcurrency: 2, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 10 },
    singletonKey: (p) => `${p.deliveryId}@${p.due}`,
  }),
} as const;

export type QueueName = keyof typeof QUEUES;
export type PayloadOf<N extends QueueName> = z.infer<(typeof QUEUES)[N]["schema"]>;
