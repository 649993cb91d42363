import type { DbOrTx } from "../db/client.ts";

/**
 * How domain code asks for background work without knowing pg-boss: the typed adapters in
 * workers/queues.ts implement this (validated payload, singleton key, the caller's transaction).
 */
interface JobQueue<P> {
  enqueue(jobs: readonly { data: P; id?: string; startAfter?: number }[], tx?: DbOrTx): Promise<void>;
}

interface ProbeJob {
  connectionId: string;
  /** canary: one of a failing region's few fast probes during a vendor incident (docs/decisions/0049). */
  reason: "schedule" | "manual" | "confirm" | "setup" | "canary";
  requestedBy?: string;
}
export type ProbeJobQueue = JobQueue<ProbeJob>;
export type DeliveryJobQueue = JobQueue<{ notificationId: string }>;
export type BulkJobQueue = JobQueue<{ operationId: string }>;

/** One clinic's briefing of one week (docs/decisions/0040-briefing-delivery.md). */
export type BriefingJobQueue = JobQueue<{ clinicId: string; weekStart: string }>;

export type SyncJobQueue = JobQueue<{ connectionId: string; trigger: "schedule" | "manual" | "bulk"; requestedBy?: string }>;

/** One attempt of one webhook delivery (docs/decisions/0048-webhook-subscriptions.md). */
/** `due`: the attempt's time (ISO), part of the singleton key, so a re-enqueue of the same attempt is absorbed. */
export type WebhookDeliveryJobQueue = JobQueue<{ deliveryId: string; due: string }>;
