import { eq } from "drizzle-orm";
import { connections } from "../../db/schema/index.ts";
import { seedBriefingData } from "./briefing-data.ts";
import type { TestDatabase } from "./db.ts";

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
