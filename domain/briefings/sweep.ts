import type { Db } from "../../db/client.ts";
import { listBriefingsToRun, listBriefingTimeZones, type BriefingSlotRow } from "../../db/queries/briefings.ts";
import type { BriefingJobQueue } from "../jobs.ts";
import { latestDueBriefing } from "./schedule.ts";

/**
 * The briefing sweep (cron, every few minutes; docs/decisions/0040-briefing-delivery.md): for each
 * zone the fleet uses, the briefing due most recently; every active clinic of that zone whose row
 * for that week is missing or unfinished (due / held) gets a `briefing` job. The job decides: send,
 * hold again (re-checked every sweep until the end of the clinic's Monday), or skip. The queue's
 * singleton key (clinic + week) keeps sweeps from stacking jobs of one clinic-week.
 */
export async function sweepBriefings({ db, queue, now = new Date() }: { db: Db; queue: BriefingJobQueue; now?: Date }): Promise<{ enqueued: number }> {
  const slots: BriefingSlotRow[] = [];
  for (const timeZone of await listBriefingTimeZones(db)) {
    try {
      slots.push({ timeZone, ...latestDueBriefing(timeZone, now) });
    } catch {
      // why: a zone the runtime does not know cannot be scheduled; the clinic form refuses new ones
    }
  }
  let after: string | undefined;
  let enqueued = 0;
  for (;;) {
    const due = await listBriefingsToRun({ slots, now, after, limit: 1000 }, db);
    if (due.length === 0) break;
    await queue.enqueue(due.map((d) => ({ data: d })));
    enqueued += due.length;
    after = due[due.length - 1]!.clinicId;
  }
  return { enqueued };
}
