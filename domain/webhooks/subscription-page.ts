import type { DbOrTx } from "../../db/client.ts";
import { getSubscription, listAttempts, listDeliveries } from "../../db/queries/webhooks.ts";

/** Deliveries per page of a subscription's log. */
const DELIVERY_LOG_PAGE_SIZE = 25;

/**
 * The subscription page's read (docs/decisions/0018): the subscription (never its secret) and one
 * page of its delivery log, each delivery with its attempts. Null for an unknown id.
 */
export async function loadSubscriptionPage({ id, page }: { id: string; page: number }, db: DbOrTx) {
  const subscription = await getSubscription({ id }, db);
  if (!subscription) return null;
  const { rows, total } = await listDeliveries({ subscriptionId: id, page, pageSize: DELIVERY_LOG_PAGE_SIZE }, db);
  const attempts = await listAttempts({ deliveryIds: rows.map((r) => r.id) }, db);
  return {
    subscription,
    deliveries: rows.map((d) => ({ ...d, attempts: attempts.filter((a) => a.deliveryId === d.id) })),
    page,
    pages: Math.max(1, Math.ceil(total / DELIVERY_LOG_PAGE_SIZE)),
    total,
    pageSize: DELIVERY_LOG_PAGE_SIZE,
  };
}
