import type { PgBoss } from "pg-boss";
import type { Db } from "../../db/client.ts";
import { deleteEventsBefore } from "../../db/queries/events.ts";
import { sweepNookalTokens } from "../../db/queries/nookal-tokens.ts";
import { sweepRateLimits } from "../../db/queries/rate-limits.ts";
import { sweepSessions } from "../../db/queries/sessions.ts";
import { sweepVendorBudgets } from "../../db/queries/vendor-budgets.ts";
import { SESSION_IDLE_SECONDS } from "../../domain/auth/session-policy.ts";
import { EVENT_RETENTION_DAYS } from "../../domain/events/catalog.ts";
import type { Logger } from "../../lib/logger.ts";
import { QUEUES } from "../catalog.ts";

/**
 * Drops rate-limit windows, sessions that ended more than a day ago, lapsed Nookal access
 * tokens, vendor budgets idle for a day and events past their retention (docs/events.md), so none
 * of these tables grows forever.
 */
export async function handleMaintenanceSweep(
  { db, logger }: { db: Db; logger: Logger },
  now = new Date(),
): Promise<{ sessions: number; nookalTokens: number; vendorBudgets: number; events: number }> {
  await sweepRateLimits({ now }, db);
  const sessions = await sweepSessions({ now, idleSeconds: SESSION_IDLE_SECONDS }, db);
  const nookalTokens = await sweepNookalTokens({ now }, db);
  const vendorBudgets = await sweepVendorBudgets({ now }, db);
  const events = await deleteEventsBefore({ before: new Date(now.getTime() - EVENT_RETENTION_DAYS * 86_400_000) }, db);
  logger.debug({ sessions, nookalTokens, vendorBudgets, events }, "maintenance sweep");
  return { sessions, nookalTokens, vendorBudgets, events };
}

/** why: hourly, off the hour, so it does not land on the same minute as every other cron */
export const MAINTENANCE_CRON = "17 * * * *";

/** Works the maintenance queue and schedules it hourly (pg-boss cron: one job per hour across all workers). */
export async function startMaintenance(boss: PgBoss, deps: { db: Db; logger: Logger }): Promise<void> {
  const queue = QUEUES["maintenance-sweep"];
  await boss.work(queue.name, queue.work, async () => {
    await handleMaintenanceSweep(deps);
  });
  await boss.schedule(queue.name, MAINTENANCE_CRON);
}
