import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { briefingSettings, clinics } from "../../db/schema/index.ts";
import { zonedInstant, addDays } from "../../domain/briefings/calendar.ts";
import { composeBriefing } from "../../domain/briefings/compose.ts";
import { parseMoney } from "../../domain/briefings/money.ts";
import { BriefingReportSchema } from "../../domain/briefings/report.ts";
import { seedBriefingData } from "../support/briefing-data.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { insertClinic } from "../support/fleet.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

const TZ = "Australia/Melbourne";
const WEEK = "2026-11-23";
const NOW = new Date(zonedInstant("2026-11-30", "07:00", TZ));
const WEEK_FROM = new Date(zonedInstant(WEEK, "00:00", TZ)).toISOString();
const WEEK_TO = new Date(zonedInstant(addDays(WEEK, 7), "00:00", TZ)).toISOString();

/** The same figures straight from SQL over one record set: an independent check of loading and definitions. */
async function sqlFigures(recordSetId: string) {
  const [a] = await t.sql<{ attended: number; dna: number; cancelled: number }[]>`
    select count(*) filter (where status = 'arrived' or (status = 'booked' and starts_at < ${NOW.toISOString()}))::int as attended,
           count(*) filter (where status = 'did_not_arrive')::int as dna,
           count(*) filter (where status = 'cancelled')::int as cancelled
    from sync_appointments a join sync_appointment_types ty on ty.record_set_id = a.record_set_id and ty.id = a.appointment_type_id
    where a.record_set_id = ${recordSetId} and not a.deleted and starts_at >= ${WEEK_FROM} and starts_at < ${WEEK_TO} and ty.name !~* 'break'`;
  const [r] = await t.sql<{ revenue: string }[]>`
    select coalesce(sum(total_amount), 0)::numeric(14,2)::text as revenue from sync_invoices i
    left join sync_appointments a on a.record_set_id = i.record_set_id and a.id = i.appointment_id
    where i.record_set_id = ${recordSetId} and not i.deleted and i.status in ('paid', 'open', 'open_credit')
      and i.issue_date between ${WEEK} and ${addDays(WEEK, 6)} and coalesce(a.appointment_type_id, '') <> 'type-break'`;
  const [o] = await t.sql<{ open: string }[]>`
    select coalesce(sum(total_amount), 0)::numeric(14,2)::text as open from sync_invoices
    where record_set_id = ${recordSetId} and not deleted and issue_date <= ${addDays(WEEK, 6)}
      and (status in ('open', 'open_credit') or (status in ('paid', 'closed') and closed_at >= ${WEEK_TO}))`;
  return { ...a!, revenue: r!.revenue, open: o!.open };
}

describe("composeBriefing against Postgres", () => {
  it("a clinic without a connection, or whose connection never synced, gets no briefing and a reason", async () => {
    const [lonely] = await t.db.insert(clinics).values({ name: "No Connection Physio", timeZone: TZ, country: "AU" }).returning({ id: clinics.id });
    expect(await composeBriefing({ db: t.db }, { clinicId: lonely!.id, weekStart: WEEK, now: NOW })).toMatchObject({ ok: false, reason: "no_connection" });
    const { clinicId } = await insertClinic(t.db, { name: "Never Synced Physio", state: "healthy" });
    expect(await composeBriefing({ db: t.db }, { clinicId, weekStart: WEEK, now: NOW })).toMatchObject({ ok: false, reason: "no_synced_data" });
    await expect(composeBriefing({ db: t.db }, { clinicId, weekStart: "2026-11-24", now: NOW })).rejects.toThrow(/must be a local Monday/);
  });

  it("figures match SQL over the CURRENT record set only; a retired set's rows never mix in", async () => {
    const first = await seedBriefingData(t.db, {
      name: "Current Set Physio",
      timeZone: TZ,
      practitioners: 6,
      weeks: 6,
      appointmentsPerPractitionerPerWeek: 30,
      weekStart: WEEK,
      seed: 11,
      now: NOW,
    });
    const clinic = first.clinics[0]!;
    // a key for another account: sync retires the set and starts a new one (the seeder does the same)
    const second = await seedBriefingData(t.db, {
      clinic,
      practitioners: 4,
      weeks: 6,
      appointmentsPerPractitionerPerWeek: 40,
      weekStart: WEEK,
      seed: 12,
      now: NOW,
      timeZone: TZ,
    });
    const current = second.clinics[0]!.recordSetId;

    const result = await composeBriefing({ db: t.db }, { clinicId: clinic.clinicId, weekStart: WEEK, now: NOW });
    if (!result.ok) throw new Error(result.message);
    const report = BriefingReportSchema.parse(result.report);
    const expected = await sqlFigures(current);

    expect(report.practitioners).toHaveLength(4);
    expect(report.week).toEqual({ start: WEEK, end: "2026-11-29" });
    expect(report.totals.attended.value).toBe(expected.attended);
    expect(report.practitioners.reduce((s, p) => s + p.didNotArrive, 0)).toBe(expected.dna);
    expect(report.practitioners.reduce((s, p) => s + p.cancelled, 0)).toBe(expected.cancelled);
    expect(report.totals.revenue.value).toBe(expected.revenue);
    expect(report.ar.openTotal).toBe(expected.open);
    expect(report.currency).toBe("AUD");
    expect(report.comparisonWeeks).toBe(4);
    expect(report.practitioners.every((p) => p.availabilitySource === "vendor")).toBe(true);
    expect(report.fewerActionsReason).toBeNull();
    expect(report.actions).toHaveLength(3);
    expect(report.fewerActionsReason).toBeNull();
    expect(report.dataAsOf).toBe(NOW.toISOString());

    // a deletion at the vendor (sync sets deleted) takes the row out of every figure
    const [inv] = await t.sql<{ id: string; total: string }[]>`
      select i.id, i.total_amount::text as total from sync_invoices i join sync_appointments a on a.record_set_id = i.record_set_id and a.id = i.appointment_id
      where i.record_set_id = ${current} and not i.deleted and i.status = 'paid' and i.issue_date between ${WEEK} and ${addDays(WEEK, 6)} limit 1`;
    const [att] = await t.sql<{ id: string }[]>`
      select id from sync_appointments where record_set_id = ${current} and not deleted and status = 'arrived'
        and appointment_type_id <> 'type-break' and starts_at >= ${WEEK_FROM} and starts_at < ${WEEK_TO} limit 1`;
    await t.sql`update sync_invoices set deleted = true where record_set_id = ${current} and id = ${inv!.id}`;
    await t.sql`update sync_appointments set deleted = true where record_set_id = ${current} and id = ${att!.id}`;
    const after = await composeBriefing({ db: t.db }, { clinicId: clinic.clinicId, weekStart: WEEK, now: NOW });
    if (!after.ok) throw new Error(after.message);
    expect(parseMoney(after.report.totals.revenue.value)).toBe(parseMoney(report.totals.revenue.value) - parseMoney(inv!.total));
    expect(after.report.totals.attended.value).toBe(report.totals.attended.value - 1);
  });

  it("settings choose the practitioners, the currency and working hours; Nookal (no availability) uses the configured hours", async () => {
    const seeded = await seedBriefingData(t.db, {
      name: "Nookal Settings Physio",
      timeZone: TZ,
      country: "NZ",
      vendor: "nookal",
      practitioners: 3,
      weeks: 2,
      appointmentsPerPractitionerPerWeek: 20,
      weekStart: WEEK,
      seed: 21,
      now: NOW,
    });
    const c = seeded.clinics[0]!;
    const [p1, p2] = c.practitionerIds;
    await t.db.insert(briefingSettings).values({
      clinicId: c.clinicId,
      practitionerIds: [p1!, p2!],
      workingHours: { [p1!]: [1, 2, 3, 4, 5].map((d) => ({ dayOfWeek: d, startsAt: "09:00", endsAt: "17:00" })) },
    });
    const result = await composeBriefing({ db: t.db }, { clinicId: c.clinicId, weekStart: WEEK, now: NOW });
    if (!result.ok) throw new Error(result.message);
    const r = result.report;
    expect(r.currency).toBe("NZD");
    expect(r.practitioners.map((p) => [p.id, p.availabilitySource])).toEqual(
      expect.arrayContaining([
        [p1, "configured"],
        [p2, "none"],
      ]),
    );
    expect(r.practitioners.find((p) => p.id === p1)!.utilisation.value.availableMinutes).toBe(5 * 8 * 60);
    expect(r.comparisonWeeks).toBe(1);
    expect(r.notes.join(" ")).toMatch(/Configured working hours stood in/);
    expect(r.actions.every((a) => !a.title.includes("A$"))).toBe(true);
  });
});
