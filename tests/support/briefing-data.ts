import { randomUUID } from "node:crypto";
import type { Db } from "../../db/client.ts";
import { addDays, previousWeekStart, zonedInstant } from "../../domain/briefings/calendar.ts";
import type { Vendor } from "../../domain/vocabulary.ts";

/**
 * Realistic synced rows for the weekly briefing (issue 14), written set-based (insert … select
 * generate_series), so a year of one large clinic (50,000 appointments, 20,000 invoices) or the
 * Monday bench's 5,000 small clinics seed in seconds. Deterministic for a given `seed`: every
 * choice is a hash of (seed, clinic, row), never Math.random.
 *
 * What a clinic gets, in its CURRENT record set (a healthy Cliniko connection, synced at `now`):
 * - practitioners with names; four appointment types (Initial 60 min, Standard 30, Extended 45, and
 *   "Lunch break" 60 — named like a break, so excluded by default);
 * - appointments Monday–Friday from 09:00 local on a 45-minute grid (so an Initial consultation
 *   overlaps the next slot: overlaps occur), for `weeks` weeks ending with the briefed week plus
 *   `futureWeeks` of bookings after it. Past ones: ~5% did not arrive, ~8% cancelled (a third of
 *   them under 24 h before the start), ~1% deleted, the rest arrived (70%) or left unmarked (booked);
 *   future ones are booked (5% cancelled);
 * - invoices for attended, non-break appointments (exactly `invoicesPerClinic` per clinic when that
 *   many are eligible), issued on the appointment's local date: mostly paid, open more often when
 *   recent, ~2% open credit (a negative credit), ~1% deleted, ~1% closed; paid and closed ones carry a
 *   closed_at 0–14 days after issue (as Cliniko's does), so AR at an earlier week's end can be rebuilt;
 * - with `availability` (default: Cliniko yes, Nookal no): daily availability Mon–Fri 09:00–12:30 and
 *   13:30–17:00 per practitioner, one unavailable day per practitioner in the briefed week for every
 *   fourth practitioner, and a Saturday 09:00–12:00 availability block for every third one.
 */
export interface BriefingSeedOptions {
  /** Seed into this existing clinic (its connection gets a new current record set). Else new clinics are created. */
  clinic?: { clinicId: string; connectionId: string };
  /** New clinics to create (default 1); ignored with `clinic`. */
  clinics?: number;
  name?: string;
  timeZone?: string;
  country?: string;
  vendor?: Vendor;
  practitioners: number;
  /** Weeks of history, the briefed week included. */
  weeks: number;
  /** The briefed week's local Monday (default: the last complete week before `now`). */
  weekStart?: string;
  /** Weeks of future bookings after the briefed week (default 2). */
  futureWeeks?: number;
  appointmentsPerPractitionerPerWeek: number;
  /** Invoices per clinic (default: about 85% of attended appointments). */
  invoicesPerClinic?: number;
  /** Patients per clinic (default: appointments ÷ 6, at least 20). */
  patientsPerClinic?: number;
  availability?: boolean;
  seed?: number;
  /** The data's "as of" instant (default: the Monday 07:00 local after the briefed week). */
  now?: Date;
  /** Clinics per statement batch (default 200). */
  batchSize?: number;
}

interface SeededClinic {
  clinicId: string;
  connectionId: string;
  recordSetId: string;
  /** Vendor ids of its practitioners, in seeding order. */
  practitionerIds: string[];
}

export interface BriefingSeedResult {
  clinics: SeededClinic[];
  weekStart: string;
  timeZone: string;
  now: Date;
  counts: { appointments: number; invoices: number; patients: number; availability: number };
}

const FIRST = ["Aisha", "Ben", "Chloe", "Dev", "Emma", "Felix", "Grace", "Hiro", "Isla", "Jack", "Kiri", "Liam", "Mia", "Noah", "Olivia", "Priya"];
const LAST = ["Patel", "Nguyen", "Smith", "Walker", "Chen", "Brown", "Singh", "Taylor", "Wilson", "Martin", "Kelly", "Murphy", "Lee", "Young"];

/** Practitioner vendor id (Cliniko-like 19-digit string) for clinic index `ci` (1-based) and practitioner `p` (1-based). */
const seededPractitionerId = (ci: number, p: number) => String(1_000_000_000_000_000_000n + BigInt(ci) * 1000n + BigInt(p));

export async function seedBriefingData(db: Db, opts: BriefingSeedOptions): Promise<BriefingSeedResult> {
  const sql = db.$client;
  const timeZone = opts.timeZone ?? "Australia/Melbourne";
  const country = opts.country ?? "AU";
  const vendor: Vendor = opts.vendor ?? "cliniko";
  const seed = opts.seed ?? 1;
  const provisionalNow = opts.now ?? new Date();
  const weekStart = opts.weekStart ?? previousWeekStart(timeZone, provisionalNow);
  const now = opts.now ?? new Date(zonedInstant(addDays(weekStart, 7), "07:00", timeZone));
  const futureWeeks = opts.futureWeeks ?? 2;
  const firstMonday = addDays(weekStart, -7 * (opts.weeks - 1));
  const totalWeeks = opts.weeks + futureWeeks;
  const P = opts.practitioners;
  const A = opts.appointmentsPerPractitionerPerWeek;
  const patients = opts.patientsPerClinic ?? Math.max(20, Math.round((P * A * opts.weeks) / 6));
  const withAvailability = opts.availability ?? vendor === "cliniko";
  const n = opts.clinic ? 1 : (opts.clinics ?? 1);
  const batchSize = opts.batchSize ?? 200;
  const nowIso = now.toISOString();

  const clinics: SeededClinic[] = [];
  const counts = { appointments: 0, invoices: 0, patients: 0, availability: 0 };
  for (let from = 0; from < n; from += batchSize) {
    const size = Math.min(batchSize, n - from);
    const ci = Array.from({ length: size }, (_, i) => from + i + 1);
    const clinicIds = opts.clinic ? [opts.clinic.clinicId] : ci.map(() => randomUUID());
    const connectionIds = opts.clinic ? [opts.clinic.connectionId] : ci.map(() => randomUUID());
    const setIds = ci.map(() => randomUUID());
    const baseName = opts.name ?? "Briefing Physio";
    const names = ci.map((i) => (n === 1 ? baseName : `${baseName} ${String(i).padStart(5, "0")}`));

    await sql.begin(async (tx) => {
      if (!opts.clinic) {
        await tx`
          insert into clinics (id, name, time_zone, country, admin_name, admin_email)
          select id, name, ${timeZone}, ${country}, 'Pat Admin', 'admin+' || ord || '@briefing.test'
          from unnest(${tx.array(clinicIds)}::uuid[], ${tx.array(names)}::text[]) with ordinality as c(id, name, ord)`;
        await tx`
          insert into connections (id, clinic_id, vendor, region, api_version, state, ever_had_patients,
            last_probe_at, last_success_at, sync_state, last_sync_at, last_sync_success_at)
          select conn, clinic, ${vendor}, ${vendor === "cliniko" ? "au1" : "au"}, ${vendor === "cliniko" ? "v1" : "v3"}, 'healthy', true,
            ${nowIso}::timestamptz, ${nowIso}::timestamptz, 'succeeded', ${nowIso}::timestamptz, ${nowIso}::timestamptz
          from unnest(${tx.array(connectionIds)}::uuid[], ${tx.array(clinicIds)}::uuid[]) as c(conn, clinic)`;
      } else {
        await tx`update connections set sync_state = 'succeeded', last_sync_at = ${nowIso}::timestamptz, last_sync_success_at = ${nowIso}::timestamptz where id = ${opts.clinic.connectionId}`;
        await tx`update sync_record_sets set retired_at = now() where connection_id = ${opts.clinic.connectionId} and retired_at is null`;
      }
      await tx`
        insert into sync_record_sets (id, connection_id, vendor, account)
        select rs, conn, ${vendor}, jsonb_build_object('userId', null, 'accountIds', jsonb_build_array('loc-1'), 'practiceId', null, 'name', name)
        from unnest(${tx.array(setIds)}::uuid[], ${tx.array(connectionIds)}::uuid[], ${tx.array(names)}::text[]) as c(rs, conn, name)`;
      // c(rs, ci): the record set and its clinic index, joined into every statement below
      const sets = tx`unnest(${tx.array(setIds)}::uuid[], ${tx.array(ci)}::int[]) as c(rs, ci)`;
      await tx`insert into sync_locations (record_set_id, id, name, time_zone, country, archived) select rs, 'loc-1', 'Main', ${timeZone}, ${country}, false from ${sets}`;
      await tx`
        insert into sync_practitioners (record_set_id, id, first_name, last_name, designation, active)
        select rs, (1000000000000000000 + ci::bigint * 1000 + p)::text,
          (${tx.array(FIRST)}::text[])[1 + (ci + p) % ${FIRST.length}], (${tx.array(LAST)}::text[])[1 + (ci * 7 + p * 3) % ${LAST.length}],
          'Physiotherapist', true
        from ${sets}, generate_series(1, ${P}) p`;
      await tx`
        insert into sync_appointment_types (record_set_id, id, name, duration_minutes, archived)
        select rs, t.id, t.name, t.minutes, false from ${sets},
          (values ('type-initial', 'Initial consultation', 60), ('type-standard', 'Standard consultation', 30),
                  ('type-extended', 'Extended consultation', 45), ('type-break', 'Lunch break', 60)) as t(id, name, minutes)`;
      const patientRows = await tx`
        insert into sync_patients (record_set_id, id, location_id, archived, deleted, vendor_created_at)
        select rs, (3000000000000000000 + ci::bigint * 10000000 + i)::text, null, false, false,
          ${firstMonday}::date - 400 + (i * 7 % 400)
        from ${sets}, generate_series(1, ${patients}) i`;
      counts.patients += patientRows.count;

      // one row per (clinic, practitioner, week, slot); h picks status, type and patient
      const apptRows = await tx`
        insert into sync_appointments (record_set_id, id, starts_at, ends_at, patient_id, practitioner_id, appointment_type_id,
          location_id, status, cancelled_at, cancellation_reason, deleted, vendor_updated_at)
        select rs, id, starts_at, starts_at + make_interval(mins => minutes), patient_id, practitioner_id, type_id, 'loc-1',
          case when deleted then 'arrived'
               when starts_at >= ${nowIso}::timestamptz then case when h % 100 < 5 then 'cancelled' else 'booked' end
               when h % 1000 < 50 then 'did_not_arrive'
               when h % 1000 < 130 then 'cancelled'
               when h % 10 < 7 then 'arrived' else 'booked' end,
          case when (starts_at >= ${nowIso}::timestamptz and h % 100 < 5) or (starts_at < ${nowIso}::timestamptz and not deleted and h % 1000 >= 50 and h % 1000 < 130)
               then starts_at - case when h % 3 = 0 then make_interval(hours => 2 + (h / 7 % 20)::int) else make_interval(days => 2 + (h / 7 % 5)::int) end end,
          null, deleted, ${nowIso}::timestamptz
        from (
          select rs, (2000000000000000000 + ci::bigint * 100000000 + (p - 1) * ${totalWeeks * A} + w * ${A} + k)::text as id,
            ((${firstMonday}::date + w * 7 + k % 5) + time '09:00' + make_interval(mins => (k / 5) * 45)) at time zone ${timeZone} as starts_at,
            (3000000000000000000 + ci::bigint * 10000000 + 1 + h % ${patients})::text as patient_id,
            (1000000000000000000 + ci::bigint * 1000 + p)::text as practitioner_id,
            case when h / 11 % 100 < 15 then 'type-initial' when h / 11 % 100 < 80 then 'type-standard' when h / 11 % 100 < 95 then 'type-extended' else 'type-break' end as type_id,
            case when h / 11 % 100 < 15 then 60 when h / 11 % 100 < 80 then 30 when h / 11 % 100 < 95 then 45 else 60 end as minutes,
            h, h / 13 % 100 = 0 as deleted
          from (
            select rs, ci, p, w, k, abs(hashtextextended(${String(seed)}::text || ':' || ci || ':' || p || ':' || w || ':' || k, 0)) as h
            from ${sets}, generate_series(1, ${P}) p, generate_series(0, ${totalWeeks - 1}) w, generate_series(0, ${A - 1}) k
          ) r
        ) a`;
      counts.appointments += apptRows.count;

      const perClinic = opts.invoicesPerClinic ?? 1_000_000_000;
      const share = opts.invoicesPerClinic === undefined ? 850 : 1000;
      const invoiceRows = await tx`
        insert into sync_invoices (record_set_id, id, number, issue_date, status, vendor_status, total_amount, net_amount, tax_amount,
          patient_id, practitioner_id, appointment_id, closed_at, deleted, vendor_updated_at)
        select record_set_id, '4' || substr(id, 2), substr(id, 12), issue_date,
          status, case status when 'open' then '10' when 'paid' then '20' when 'closed' then '30' else '40' end,
          total, total, 0, patient_id, practitioner_id, id, case when status in ('paid', 'closed') then least(${nowIso}::timestamptz, ((issue_date + (h / 1000 % 15)::int) + time '12:00') at time zone ${timeZone}) end, h % 100 = 1, ${nowIso}::timestamptz
        from (
          select *, case when h % 100 = 0 then 'open_credit' when h % 100 = 2 then 'closed'
                         when h / 100 % 100 < case when age <= 14 then 30 when age <= 60 then 8 else 1 end then 'open' else 'paid' end as status,
                    case when h % 100 = 0 then -25.00::numeric
                         else case appointment_type_id when 'type-initial' then 120.00 when 'type-extended' then 105.50 else 85.00 end end as total
          from (
            select a.record_set_id, a.id, a.patient_id, a.practitioner_id, a.appointment_type_id,
              (a.starts_at at time zone ${timeZone})::date as issue_date,
              (${nowIso}::timestamptz at time zone ${timeZone})::date - (a.starts_at at time zone ${timeZone})::date as age,
              abs(hashtextextended(${String(seed)}::text || ':inv:' || a.id, 0)) as h,
              row_number() over (partition by a.record_set_id order by abs(hashtextextended(${String(seed)}::text || ':pick:' || a.id, 0))) as pick
            from sync_appointments a
            where a.record_set_id = any(${tx.array(setIds)}::uuid[]) and a.starts_at < ${nowIso}::timestamptz
              and a.status in ('arrived', 'booked') and not a.deleted and a.appointment_type_id <> 'type-break'
              and abs(hashtextextended(${String(seed)}::text || ':share:' || a.id, 0)) % 1000 < ${share}
          ) e
          where pick <= ${perClinic}
        ) i`;
      counts.invoices += invoiceRows.count;

      if (withAvailability) {
        const daily = await tx`
          insert into sync_availability (record_set_id, kind, id, practitioner_id, location_id, day_of_week, spans)
          select rs, 'daily', 'da-' || ci || '-' || p || '-' || d, (1000000000000000000 + ci::bigint * 1000 + p)::text, 'loc-1', d,
            '[{"startsAt":"09:00","endsAt":"12:30"},{"startsAt":"13:30","endsAt":"17:00"}]'::jsonb
          from ${sets}, generate_series(1, ${P}) p, generate_series(1, 5) d`;
        const blocks = await tx`
          insert into sync_availability (record_set_id, kind, id, practitioner_id, location_id, starts_at, ends_at, repeat_rule, deleted)
          select rs, kind, kind || '-' || ci || '-' || p, (1000000000000000000 + ci::bigint * 1000 + p)::text, 'loc-1',
            (day + time '09:00') at time zone ${timeZone}, (day + case when kind = 'extra' then time '12:00' else time '17:00' end) at time zone ${timeZone},
            null, false
          from (
            select rs, ci, p, 'unavailable' as kind, ${weekStart}::date + p % 5 as day from ${sets}, generate_series(1, ${P}) p where p % 4 = 0
            union all
            select rs, ci, p, 'extra', ${weekStart}::date + 5 from ${sets}, generate_series(1, ${P}) p where p % 3 = 0
          ) b`;
        counts.availability += daily.count + blocks.count;
      }
    });
    for (let i = 0; i < size; i++)
      clinics.push({
        clinicId: clinicIds[i]!,
        connectionId: connectionIds[i]!,
        recordSetId: setIds[i]!,
        practitionerIds: Array.from({ length: P }, (_, p) => seededPractitionerId(ci[i]!, p + 1)),
      });
  }
  return { clinics, weekStart, timeZone, now, counts };
}
