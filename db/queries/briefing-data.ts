import { and, asc, eq, gte, isNotNull, isNull, lt, or, sql, type AnyColumn } from "drizzle-orm";
import type { DbOrTx } from "../client.ts";
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

export type AppointmentRow = {
  id: string;
  startsAt: number;
  endsAt: number | null;
  patientId: string | null;
  practitionerId: string | null;
  appointmentTypeId: string | null;
  /** booked | arrived | did_not_arrive | cancelled (domain/vendors/types.ts AppointmentStatus) */
  status: string;
  cancelledAt: number | null;
};

export type InvoiceRow = {
  /** Null for a sum of older invoices. */
  id: string | null;
  issueDate: string | null;
  /** open | paid | closed | open_credit | unknown (domain/vendors/types.ts InvoiceStatus) */
  status: string;
  totalAmount: string;
  practitionerId: string | null;
  closedAt: number | null;
  appointmentId: string | null;
  /** How many invoices the row stands for (1 in the revenue weeks). */
  count: number;
};

export interface BriefingDataRange {
  recordSetId: string;
  /** Appointments starting in [from, to): the first comparison week's local Monday 00:00 → the briefed week's end. */
  from: Date;
  to: Date;
  /** The data's "as of" instant: an appointment before it that is neither cancelled nor DNA was attended. */
  now: Date;
  /** Invoices issued on or after this local date (the AR window of the earliest comparison week), all statuses. */
  invoicesFromDate: string;
  /** The first comparison week's Monday: invoices from it are read one by one (revenue). */
  revenueFromDate: string;
  /** The five weeks' end instants (AR "open at the week's end" for older invoices). */
  weekEnds: Date[];
  /** The briefed week's last local date (Sunday): nothing issued after it is read. */
  invoicesToDate: string;
  /** The briefed week's end instant: older invoices still open then (or closed after it) are read too, for AR. */
  weekEnd: Date;
}

/**
 * Every row the briefing computes from, in eight parallel statements (indexes: db/schema/sync.ts
 * `sync_appointments_set_starts_idx`, `…_set_patient_starts_idx`, `sync_invoices_set_issue_idx`,
 * `sync_invoices_set_open_idx`, `sync_invoices_set_closed_idx`).
 */
export async function loadBriefingData(range: BriefingDataRange, db: DbOrTx) {
  const rs = range.recordSetId;
  const fromIso = range.from.toISOString();
  const toIso = range.to.toISOString();
  const nowIso = range.now.toISOString();
  const weekEndIso = range.weekEnd.toISOString();
  const weekEnds = `{${range.weekEnds.map((d) => d.getTime()).join(",")}}`;
  const [practitioners, appointmentTypes, appointments, patients, future, invoices, olderInvoices, availability] = await Promise.all([
    db
      .select({ id: syncPractitioners.id, firstName: syncPractitioners.firstName, lastName: syncPractitioners.lastName, active: syncPractitioners.active })
      .from(syncPractitioners)
      .where(eq(syncPractitioners.recordSetId, rs)),
    db
      .select({ id: syncAppointmentTypes.id, name: syncAppointmentTypes.name, durationMinutes: syncAppointmentTypes.durationMinutes })
      .from(syncAppointmentTypes)
      .where(eq(syncAppointmentTypes.recordSetId, rs)),
    // why: raw rows (explicit columns, epoch ms): ~5,000 rows a briefing, and drizzle's per-field mapping
    // cost more CPU than the statement itself (bench:briefing)
    db.execute<AppointmentRow>(sql`
      select id, (extract(epoch from starts_at) * 1000)::float8 as "startsAt", (extract(epoch from ends_at) * 1000)::float8 as "endsAt",
        patient_id as "patientId", practitioner_id as "practitionerId", appointment_type_id as "appointmentTypeId", status,
        (extract(epoch from cancelled_at) * 1000)::float8 as "cancelledAt"
      from ${syncAppointments}
      where record_set_id = ${rs} and starts_at >= ${fromIso} and starts_at < ${toIso} and not deleted`),
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
    // the revenue weeks' invoices one by one (practitioner, appointment) …
    db.execute<InvoiceRow>(sql`
      select id, issue_date::text as "issueDate", status, total_amount::text as "totalAmount", practitioner_id as "practitionerId",
        (extract(epoch from closed_at) * 1000)::float8 as "closedAt", appointment_id as "appointmentId", 1 as count
      from ${syncInvoices}
      where record_set_id = ${rs} and not deleted and issue_date >= ${range.revenueFromDate} and issue_date <= ${range.invoicesToDate}`),
    // … and older ones only as AR needs them, summed per issue date, status, sign and the latest week end their
    // closed_at is past (0: before every week end), so "open at a week's end" reads the same as on single rows
    db.execute<InvoiceRow>(sql`
      select null as id, issue_date::text as "issueDate", status, sum(total_amount)::text as "totalAmount", null as "practitionerId",
        closed_week_end as "closedAt", null as "appointmentId", count(*)::int as count
      from (
        select issue_date, status, total_amount,
          case when closed_at is null then null else coalesce((
            select max(e) from unnest(${weekEnds}::float8[]) e where e <= extract(epoch from closed_at) * 1000), 0) end as closed_week_end
        from ${syncInvoices}
        where record_set_id = ${rs} and not deleted and issue_date < ${range.revenueFromDate}
          and (issue_date >= ${range.invoicesFromDate} or status in ('open', 'open_credit') or (closed_at is not null and closed_at >= ${weekEndIso}))
      ) i
      group by issue_date, status, total_amount > 0, closed_week_end`),
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
    appointments: [...appointments],
    /** Patients attended in the range, and whether they attended ever before it. */
    patients: [...patients].map((p) => ({ patientId: p.patient_id, attendedBefore: p.attended_before })),
    /** Patients with a live (not cancelled, not deleted) booking starting after the range. */
    futureBookedPatientIds: [...future].map((p) => p.patient_id),
    /** Single invoices of the revenue weeks, then older ones summed (`count` > 1, no id or practitioner). */
    invoices: [...invoices, ...olderInvoices],
    availability,
  };
}

export type BriefingData = Awaited<ReturnType<typeof loadBriefingData>>;

/** Whether the record set holds any appointment or invoice at all (no_synced_data otherwise). */
export async function recordSetHasData({ recordSetId }: { recordSetId: string }, db: DbOrTx): Promise<boolean> {
  const rows = await db.execute<{ any: boolean }>(sql`
    select exists (select 1 from ${syncAppointments} where record_set_id = ${recordSetId})
        or exists (select 1 from ${syncInvoices} where record_set_id = ${recordSetId}) as any`);
  return Boolean([...rows][0]?.any);
}
