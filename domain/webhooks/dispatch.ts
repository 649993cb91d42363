import type { Db } from "../../db/client.ts";
import { listEventsAfter } from "../../db/queries/events.ts";
import { advanceCursor, insertDeliveries, listEnabledSubscriptionIds, listOverdueDeliveries, lockSubscriptionCursor } from "../../db/queries/webhooks.ts";
import type { WebhookDeliveryJobQueue } from "../jobs.ts";

/**
 * The dispatcher (docs/decisions/0048-webhook-subscriptions.md): for each enabled subscription,
 * the events after its cursor (of its types, commit-safe: listEventsAfter never skips a
 * transaction that commits late) become pending deliveries, their first attempts are enqueued,
 * and the cursor moves — all in one transaction, so a crash repeats the step and the unique
 * (subscription, event) index absorbs the repeat. A disabled subscription's cursor stays put:
 * re-enabled, it gets the events that arrived meanwhile.
 */

export interface DispatchDeps {
  db: Db;
  deliveries: WebhookDeliveryJobQueue;
}

// why: one subscription's backlog (a long-disabled one) is worked in bounded transactions
const PAGE = 500;
// why: a due delivery that no job picked up within this long lost its job (or was just resumed)
const OVERDUE_GRACE_MS = 2 * 60_000;

export async function dispatchEvents({ now = new Date() }: { now?: Date } = {}, deps: DispatchDeps): Promise<{ deliveries: number; requeued: number }> {
  let deliveries = 0;
  for (const id of await listEnabledSubscriptionIds(deps.db)) {
    for (;;) {
      const moved = await deps.db.transaction(async (tx) => {
        const sub = await lockSubscriptionCursor({ id }, tx);
        if (!sub) return 0;
        const events = await listEventsAfter({ after: { txid: sub.txid, seq: sub.seq }, types: sub.eventTypes, limit: PAGE }, tx);
        const last = events.at(-1);
        if (!last) return 0;
        const ids = await insertDeliveries(
          events.map((e) => ({ subscriptionId: id, eventId: e.id, eventType: e.type, nextAttemptAt: now })),
          tx,
        );
        await deps.deliveries.enqueue(
          ids.map((deliveryId) => ({ data: { deliveryId, due: now.toISOString() } })),
          tx,
        );
        await advanceCursor({ id, ...last.position }, tx);
        deliveries += ids.length;
        return events.length;
      });
      if (moved < PAGE) break;
    }
  }
  const overdue = await listOverdueDeliveries({ before: new Date(now.getTime() - OVERDUE_GRACE_MS), limit: 1000 }, deps.db);
  await deps.deliveries.enqueue(overdue.map((d) => ({ data: { deliveryId: d.id, due: d.due.toISOString() } })));
  return { deliveries, requeued: overdue.length };
}
