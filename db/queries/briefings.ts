import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client.ts";
import {
  briefings,
  briefingSettings,
  clinics,
  connections,
  syncAppointments,
  syncAppointmentTypes,
  syncAvailability,
  syncPractitioners,
  syncRecordSets,
  type BriefingRow,
  type BriefingSettingsRow,
} from "../schema/index.ts";

/** The weekly briefing's rows and settings (docs/decisions/0040-briefing-delivery.md). */

/** What deciding one clinic's briefing needs: the clinic, its connection (if any) and its settings (if saved). */
export async function getBriefingSubject({ clinicId }: { clinicId: string }, db: DbOrTx) {
  const [row] = await db
    .select({
      clinic: {
        id: clinics.id,
        name: clinics.name,
        timeZone: clinics.timeZone,
        country: clinics.country,
        adminName: clinics.adminName,
        adminEmail: clinics.adminEmail,
        archivedAt: clinics.archivedAt,
      },
      connection: {
        id: connections.id,
        vendor: connections.vendor,
        region: connections.region,
        apiVersion: connections.apiVersion,
        state: connections.state,
        failureCode: connections.failureCode,
        firstFailureAt: connections.firstFailureAt,
        lastSuccessAt: connections.lastSuccessAt,
        lastSyncSuccessAt: connections.lastSyncSuccessAt,
        keyHint: connections.keyHint,
        keyUpdatedAt: connections.keyUpdatedAt,
        visiblePatientCount: connections.visiblePatientCount,
      },
      settings: {
        enabled: briefingSettings.enabled,
        recipients: briefingSettings.recipients,
      },
    })
    .from(clinics)
    .leftJoin(connections, eq(connections.clinicId, clinics.id))
    .leftJoin(briefingSettings, eq(briefingSettings.clinicId, clinics.id))
    .where(eq(clinics.id, clinicId));
  return row ?? null;
}

export type BriefingSubject = NonNullable<Awaited<ReturnType<typeof getBriefingSubject>>>;

/**
 * Claims the week's row: inserts it (state due) unless it exists, then locks it for this
 * transaction. A second worker claiming the same week waits here until the first commits (or rolls
 * back: a killed worker), then reads what the first decided.
 */
export async function claimBriefing({ clinicId, weekStart, dueAt }: { clinicId: string; weekStart: string; dueAt: Date }, tx: DbOrTx): Promise<BriefingRow> {
  await tx.insert(briefings).values({ clinicId, weekStart, dueAt, state: "due" }).onConflictDoNothing();
  const [row] = await tx
    .select()
    .from(briefings)
    .where(and(eq(briefings.clinicId, clinicId), eq(briefings.weekStart, weekStart)))
    .for("update");
  return row!;
}

export type BriefingPatch = Partial<
  Pick<BriefingRow, "state" | "sentAt" | "late" | "heldReason" | "heldAt" | "skippedReason" | "report" | "recipients" | "notificationIds">
>;

export async function updateBriefing(
  { clinicId, weekStart, patch, now }: { clinicId: string; weekStart: string; patch: BriefingPatch; now: Date },
  tx: DbOrTx,
) {
  await tx
    .update(briefings)
    .set({ ...patch, updatedAt: now })
    .where(and(eq(briefings.clinicId, clinicId), eq(briefings.weekStart, weekStart)));
}

/** The zones of active clinics: the sweep works out each zone's due week once. */
export async function listBriefingTimeZones(db: Db): Promise<string[]> {
  const rows = await db.selectDistinct({ timeZone: clinics.timeZone }).from(clinics).where(isNull(clinics.archivedAt));
  return rows.map((r) => r.timeZone);
}

export interface BriefingSlotRow {
  timeZone: string;
  weekStart: string;
  dueAt: Date;
  dayEnd: Date;
}

/**
 * Active clinics whose due briefing (per zone: `slots`) is missing or unfinished (due / held), that
 * existed by the end of the due Monday, paged by clinic id.
 */
export async function listBriefingsToRun(
  { slots, now, after, limit }: { slots: readonly BriefingSlotRow[]; now: Date; after?: string; limit: number },
  db: Db,
): Promise<{ clinicId: string; weekStart: string }[]> {
  const due = slots.filter((s) => s.dueAt.getTime() <= now.getTime());
  if (due.length === 0) return [];
  const values = sql.join(
    due.map((s) => sql`(${s.timeZone}::text, ${s.weekStart}::date, ${s.dayEnd.toISOString()}::timestamptz)`),
    sql`, `,
  );
  const rows = await db.execute<{ clinic_id: string; week_start: string }>(sql`
    select c.id as clinic_id, z.week_start::text as week_start
    from (values ${values}) as z(time_zone, week_start, day_end)
    join ${clinics} c on c.time_zone = z.time_zone and c.archived_at is null and c.created_at < z.day_end
    left join ${briefings} b on b.clinic_id = c.id and b.week_start = z.week_start
    where (b.clinic_id is null or b.state in ('due', 'held'))
      ${after ? sql`and c.id > ${after}::uuid` : sql``}
    order by c.id
    limit ${limit}`);
  return rows.map((r) => ({ clinicId: r.clinic_id, weekStart: r.week_start }));
}

export async function listBriefingHistory({ clinicId, limit = 12 }: { clinicId: string; limit?: number }, db: DbOrTx) {
  return db
    .select({
      weekStart: briefings.weekStart,
      state: briefings.state,
      dueAt: briefings.dueAt,
      sentAt: briefings.sentAt,
      late: briefings.late,
      heldReason: briefings.heldReason,
      heldAt: briefings.heldAt,
      skippedReason: briefings.skippedReason,
      recipients: briefings.recipients,
    })
    .from(briefings)
    .where(eq(briefings.clinicId, clinicId))
    .orderBy(desc(briefings.weekStart))
    .limit(limit);
}

export async function getBriefingRow({ clinicId, weekStart }: { clinicId: string; weekStart: string }, db: DbOrTx): Promise<BriefingRow | null> {
  const [row] = await db
    .select()
    .from(briefings)
    .where(and(eq(briefings.clinicId, clinicId), eq(briefings.weekStart, weekStart)));
  return row ?? null;
}

// ---- settings

export async function getBriefingSettings({ clinicId }: { clinicId: string }, db: DbOrTx): Promise<BriefingSettingsRow | null> {
  const [row] = await db.select().from(briefingSettings).where(eq(briefingSettings.clinicId, clinicId));
  return row ?? null;
}

export type BriefingSettingsWrite = Omit<BriefingSettingsRow, "clinicId" | "updatedAt">;

export async function saveBriefingSettings(
  { clinicId, settings, now }: { clinicId: string; settings: BriefingSettingsWrite; now: Date },
  tx: DbOrTx,
): Promise<void> {
  await tx
    .insert(briefingSettings)
    .values({ clinicId, ...settings, updatedAt: now })
    .onConflictDoUpdate({ target: briefingSettings.clinicId, set: { ...settings, updatedAt: now } });
}

// ---- the setup page's lists (the connection's current record set)

/** Practitioners of the current record set, with their appointments (not deleted, not cancelled) in [from, to) and whether the vendor gives availability. */
export async function listSetupPractitioners({ connectionId, from, to }: { connectionId: string; from: Date; to: Date }, db: DbOrTx) {
  const rows = await db.execute<{ id: string; first_name: string; last_name: string; active: boolean; appointments: number; has_availability: boolean }>(sql`
    select p.id, p.first_name, p.last_name, p.active,
      (select count(*)::int from ${syncAppointments} a
        where a.record_set_id = p.record_set_id and a.practitioner_id = p.id and not a.deleted and a.cancelled_at is null
          and a.starts_at >= ${from.toISOString()}::timestamptz and a.starts_at < ${to.toISOString()}::timestamptz) as appointments,
      exists (select 1 from ${syncAvailability} v
        where v.record_set_id = p.record_set_id and v.practitioner_id = p.id and v.kind = 'daily' and not v.deleted) as has_availability
    from ${syncPractitioners} p
    join ${syncRecordSets} s on s.id = p.record_set_id and s.connection_id = ${connectionId} and s.retired_at is null
    order by p.active desc, p.last_name, p.first_name, p.id
    limit 500`);
  return rows.map((r) => ({
    id: r.id,
    name: `${r.first_name} ${r.last_name}`.trim(),
    active: r.active,
    appointments: r.appointments,
    hasAvailability: r.has_availability,
  }));
}

export async function listSetupAppointmentTypes({ connectionId }: { connectionId: string }, db: DbOrTx) {
  return db
    .select({ id: syncAppointmentTypes.id, name: syncAppointmentTypes.name, archived: syncAppointmentTypes.archived })
    .from(syncAppointmentTypes)
    .innerJoin(
      syncRecordSets,
      and(eq(syncRecordSets.id, syncAppointmentTypes.recordSetId), eq(syncRecordSets.connectionId, connectionId), isNull(syncRecordSets.retiredAt)),
    )
    .orderBy(asc(syncAppointmentTypes.archived), asc(syncAppointmentTypes.name))
    .limit(500);
}

/** The clinic's most recent briefing row (any state; a sent one carries its report), or null. */
export async function getLatestBriefing({ clinicId }: { clinicId: string }, db: DbOrTx): Promise<BriefingRow | null> {
  const [row] = await db.select().from(briefings).where(eq(briefings.clinicId, clinicId)).orderBy(desc(briefings.weekStart)).limit(1);
  return row ?? null;
}
