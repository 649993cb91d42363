import { and, asc, eq, gte, inArray, isNotNull, isNull, lt, or, sql, type AnyColumn } from "drizzle-orm";
import type { Db, DbOrTx } from "../client.ts";
import {
  briefingSettings,
  clinics,
  connections,
  syncAppointments,
  syncAppointmentTypes,
  syncAvailability,
  syncInvoices,
  syncPractitioners,
  syncRecordSets,
} from "../schema/index.ts";

/**
 * What one clinic's weekly briefing reads (issue 14, docs/decisions/0038-briefing-metrics.md), from
 * the clinic's CURRENT record set only (a retired set — another vendor account — never mixes in).
 * The caller computes every instant in the clinic's time zone; this module only compares them.
 */

/** Epoch milliseconds of a timestamptz column (exact in a float8; null stays null): cheaper to compare than text. */
const ms = (col: AnyColumn) => sql<number | null>`(extract(epoch from ${col}) * 1000)::float8`;
const msNotNull = (col: AnyColumn) => sql<number>`(extract(epoch from ${col}) * 1000)::float8`;

/** The clinic, its briefing settings, its connection and the connection's current record set: one statement. */
export async function loadBriefingContext({ clinicId }: { clinicId: string }, db: DbOrTx) {
  const [row] = await db
    .select({
      clinicId: clinics.id,
      clinicName: clinics.name,
      timeZone: clinics.timeZone,
      country: clinics.country,
      connectionId: connections.id,
      vendor: connections.vendor,
      connectionState: connections.state,
      lastSyncSuccessAt: connections.lastSyncSuccessAt,
      recordSetId: syncRecordSets.id,
      practitionerIds: briefingSettings.practitionerIds,
      excludedAppointmentTypeIds: briefingSettings.excludedAppointmentTypeIds,
      workingHours: briefingSettings.workingHours,
      currency: briefingSettings.currency,
    })
    .from(clinics)
    .leftJoin(connections, eq(connections.clinicId, clinics.id))
    .leftJoin(syncRecordSets, and(eq(syncRecordSets.connectionId, connections.id), isNull(syncRecordSets.retiredAt)))
    .leftJoin(briefingSettings, eq(briefingSettings.clinicId, clinics.id))
    .where(eq(clinics.id, clinicId));
  return row ?? null;
}

export type BriefingContextRow = NonNullable<Awaited<ReturnType<typeof loadBriefingContext>>>;

export interface BriefingDataRange {
  recordSetId: string;
  /** Appointments starting in [from, to): the first comparison week's local Monday 00:00 → the briefed week's end. */
  from: Date;
  to: Date;
  /** The data's "as of" instant: an appointment before it that is neither cancelled nor DNA was attended. */
  now: Date;
  /** Invoices issued on or after this local date (the AR window of the earliest comparison week), all statuses. */
  invoicesFromDate: string;
  /** The briefed week's last local date (Sunday): nothing issued after it is read. */
  invoicesToDate: string;
  /** The briefed week's end instant: older invoices still open then (or closed after it) are read too, for AR. */
  weekEnd: Date;
}

/**
 * Every row the briefing computes from, in seven parallel statements (indexes: db/schema/sync.ts
 * `sync_appointments_set_starts_idx`, `…_set_patient_starts_idx`, `sync_invoices_set_issue_idx`,
 * `sync_invoices_set_open_idx`, `sync_invoices_set_closed_idx`).
 */
export async function loadBriefingData(range: BriefingDataRange, db: Db) {
  const rs = range.recordSetId;
  const fromIso = range.from.toISOString();
  const toIso = range.to.toISOString();
  const nowIso = range.now.toISOString();
  const weekEndIso = range.weekEnd.toISOString();
  const [practitioners, appointmentTypes, appointments, patients, future, invoices, availability] = await Promise.all([
    db
      .select({ id: syncPractitioners.id, firstName: syncPractitioners.firstName, lastName: syncPractitioners.lastName, active: syncPractitioners.active })
      .from(syncPractitioners)
      .where(eq(syncPractitioners.recordSetId, rs)),
    db
      .select({ id: syncAppointmentTypes.id, name: syncAppointmentTypes.name, durationMinutes: syncAppointmentTypes.durationMinutes })
      .from(syncAppointmentTypes)
      .where(eq(syncAppointmentTypes.recordSetId, rs)),
    db
      .select({
        id: syncAppointments.id,
        startsAt: msNotNull(syncAppointments.startsAt),
        endsAt: ms(syncAppointments.endsAt),
        patientId: syncAppointments.patientId,
        practitionerId: syncAppointments.practitionerId,
        appointmentTypeId: syncAppointments.appointmentTypeId,
        status: syncAppointments.status,
        cancelledAt: ms(syncAppointments.cancelledAt),
      })
      .from(syncAppointments)
      .where(
        and(
          eq(syncAppointments.recordSetId, rs),
          gte(syncAppointments.startsAt, fromIso),
          lt(syncAppointments.startsAt, toIso),
          eq(syncAppointments.deleted, false),
        ),
      ),
    // why: new patients need "attended before the range" per patient attended in it — one index probe
    // each (stops at the first row), instead of reading every patient's whole history
    db.execute<{ patient_id: string; attended_before: boolean }>(sql`
      with seen as (
        select distinct patient_id from ${syncAppointments}
        where record_set_id = ${rs} and starts_at >= ${fromIso} and starts_at < ${toIso} and not deleted
          and patient_id is not null and status in ('arrived', 'booked') and starts_at < ${nowIso}
      )
      select seen.patient_id, exists (
        select 1 from ${syncAppointments} a
        where a.record_set_id = ${rs} and a.patient_id = seen.patient_id and a.starts_at < ${fromIso}
          and not a.deleted and a.status in ('arrived', 'booked')
      ) as attended_before
      from seen`),
    // rebooking: who holds a live booking after the range (the range's own bookings are in `appointments`)
    db.execute<{ patient_id: string }>(sql`
      select distinct patient_id from ${syncAppointments}
      where record_set_id = ${rs} and starts_at >= ${toIso} and not deleted and status <> 'cancelled' and patient_id is not null`),
    db
      .select({
        id: syncInvoices.id,
        issueDate: syncInvoices.issueDate,
        status: syncInvoices.status,
        totalAmount: syncInvoices.totalAmount,
        practitionerId: syncInvoices.practitionerId,
        closedAt: ms(syncInvoices.closedAt),
        appointmentId: syncInvoices.appointmentId,
      })
      .from(syncInvoices)
      .where(
        and(
          eq(syncInvoices.recordSetId, rs),
          eq(syncInvoices.deleted, false),
          sql`${syncInvoices.issueDate} <= ${range.invoicesToDate}`,
          or(
            gte(syncInvoices.issueDate, range.invoicesFromDate),
            inArray(syncInvoices.status, ["open", "open_credit"]),
            and(isNotNull(syncInvoices.closedAt), gte(syncInvoices.closedAt, weekEndIso)),
          ),
        ),
      ),
    db
      .select({
        kind: syncAvailability.kind,
        id: syncAvailability.id,
        practitionerId: syncAvailability.practitionerId,
        dayOfWeek: syncAvailability.dayOfWeek,
        spans: syncAvailability.spans,
        startsAt: ms(syncAvailability.startsAt),
        endsAt: ms(syncAvailability.endsAt),
        repeatRule: syncAvailability.repeatRule,
      })
      .from(syncAvailability)
      .where(
        and(
          eq(syncAvailability.recordSetId, rs),
          eq(syncAvailability.deleted, false),
          or(
            eq(syncAvailability.kind, "daily"),
            and(lt(syncAvailability.startsAt, toIso), or(gte(syncAvailability.endsAt, fromIso), isNotNull(syncAvailability.repeatRule))),
          ),
        ),
      )
      .orderBy(asc(syncAvailability.kind), asc(syncAvailability.id)),
  ]);
  return {
    practitioners,
    appointmentTypes,
    appointments,
    /** Patients attended in the range, and whether they attended ever before it. */
    patients: [...patients].map((p) => ({ patientId: p.patient_id, attendedBefore: p.attended_before })),
    /** Patients with a live (not cancelled, not deleted) booking starting after the range. */
    futureBookedPatientIds: [...future].map((p) => p.patient_id),
    invoices,
    availability,
  };
}

export type BriefingData = Awaited<ReturnType<typeof loadBriefingData>>;

/** Whether the record set holds any appointment or invoice at all (no_synced_data otherwise). */
export async function recordSetHasData({ recordSetId }: { recordSetId: string }, db: Db): Promise<boolean> {
  const rows = await db.execute<{ any: boolean }>(sql`
    select exists (select 1 from ${syncAppointments} where record_set_id = ${recordSetId})
        or exists (select 1 from ${syncInvoices} where record_set_id = ${recordSetId}) as any`);
  return Boolean([...rows][0]?.any);
}
