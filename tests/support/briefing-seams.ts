import type { DbOrTx } from "../../db/client.ts";
import { getBriefingSubject } from "../../db/queries/briefings.ts";
import type { BriefingDeliveryDeps } from "../../domain/briefings/deliver.ts";
import type { BriefingReport } from "../../domain/briefings/report.ts";
import { eq } from "drizzle-orm";
import { connections } from "../../db/schema/index.ts";
import { seedBriefingData } from "./briefing-data.ts";
import type { TestDatabase } from "./db.ts";

// TEMPORARY until brief-compute and brief-render land: replaced by the real composeBriefing / renderBriefingEmail.
export const briefingCompose: BriefingDeliveryDeps["compose"] = async ({ db }: { db: DbOrTx }, { clinicId, weekStart }) => {
  const s = await getBriefingSubject({ clinicId }, db);
  const zero = { bookedMinutes: 0, availableMinutes: 0, rate: null };
  const report: BriefingReport = {
    version: 1,
    clinicId,
    clinicName: s!.clinic.name,
    timeZone: s!.clinic.timeZone,
    currency: "AUD",
    week: { start: weekStart, end: weekStart },
    comparisonWeeks: 0,
    dataAsOf: new Date().toISOString(),
    practitioners: [],
    totals: {
      utilisation: { value: zero, previous: null },
      attended: { value: 0, previous: null },
      dnaRate: { value: null, previous: null },
      cancellationRate: { value: null, previous: null },
      lateCancellationRate: { value: null, previous: null },
      revenue: { value: "0.00", previous: null },
      revenuePerAttendedHour: { value: null, previous: null },
      newPatients: { value: 0, previous: null },
      rebookingRate: { value: null, previous: null },
    },
    ar: { buckets: [], openTotal: "0.00", rate: { value: null, previous: null }, windowWeeks: 12, partialPaymentsVisible: false },
    actions: [],
    fewerActionsReason: "no data",
    notes: [],
  };
  return { ok: true, report };
};

export { renderBriefingEmail as briefingRender } from "../../domain/briefings/render.tsx";

/**
 * Five weeks of a small clinic's synced data ending with `weekStart` (the compute helper's generator),
 * leaving the connection's sync times as the test set them.
 */
export async function seedBriefingWeek(t: TestDatabase, c: { clinic: { id: string }; connection: { id: string } }, weekStart: string): Promise<void> {
  const [before] = await t.db
    .select({ lastSyncAt: connections.lastSyncAt, lastSyncSuccessAt: connections.lastSyncSuccessAt, syncState: connections.syncState })
    .from(connections)
    .where(eq(connections.id, c.connection.id));
  await seedBriefingData(t.db, {
    clinic: { clinicId: c.clinic.id, connectionId: c.connection.id },
    practitioners: 5,
    weeks: 5,
    weekStart,
    appointmentsPerPractitionerPerWeek: 25,
  });
  await t.db.update(connections).set(before!).where(eq(connections.id, c.connection.id));
}
