import { randomUUID } from "node:crypto";
import type { DbOrTx } from "../../db/client.ts";
import { insertNotifications } from "../../db/queries/alerts.ts";
import type { NewAlertNotification } from "../../db/schema/alerts.ts";
import type { DeliveryJobQueue } from "../jobs.ts";

/** A message to store and deliver: its row, less what queueing sets (its job and the queued status). Its id is the caller's (a sealed token is bound to it). */
export type OutgoingMessage = Omit<NewAlertNotification, "id" | "jobId" | "status"> & { id: string };

/**
 * The one way a message leaves Relink: each row stored in alert_notifications with one `deliver`
 * job, both on the caller's transaction — no job for a rolled-back write, no write without its job.
 * Returns how many were queued.
 */
export async function queueMessages(messages: readonly OutgoingMessage[], tx: DbOrTx, queue: DeliveryJobQueue): Promise<number> {
  if (messages.length === 0) return 0;
  const rows = messages.map((m) => ({ ...m, jobId: randomUUID(), status: "queued" as const }));
  await insertNotifications(rows, tx);
  await queue.enqueue(
    rows.map((r) => ({ id: r.jobId, data: { notificationId: r.id } })),
    tx,
  );
  return rows.length;
}
