import type { Db } from "../../db/client.ts";
import { type AlertInboxFilters, listAlertInbox } from "../../db/queries/alert-inbox.ts";
import { countBrokenNow } from "../../db/queries/broken-now.ts";

/** Alerts per page of the inbox. */
export const ALERT_INBOX_PAGE_SIZE = 50;

/** The alerts inbox: one page of alerts, the per-status tab counts and the shared "broken now" count. */
export async function loadAlertInbox({ filters, page }: { filters: AlertInboxFilters; page: number }, db: Db) {
  const [inbox, broken] = await Promise.all([listAlertInbox({ filters, page, pageSize: ALERT_INBOX_PAGE_SIZE }, db), countBrokenNow(db)]);
  return { ...inbox, broken: broken.total, pages: Math.ceil(inbox.total / ALERT_INBOX_PAGE_SIZE) };
}
