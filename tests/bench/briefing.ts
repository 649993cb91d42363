/**
 * bench:briefing — issue 14's number: one clinic's briefing from a year of data (20 practitioners,
 * ~50,000 appointments, 20,000 invoices) composes in under 200 ms.
 *
 *   npm run bench:briefing [-- --runs 30]
 *
 * Seeds a fresh database `relink_bench_brief` on DATABASE_URL's server (or an embedded PostgreSQL)
 * with tests/support/briefing-data.ts, then times composeBriefing (p50/p95 over the runs, after 3
 * warm-ups) and, alternately, the reads alone (loadBriefingContext + loadBriefingData) for the
 * queries' share. Load-independent figures: CPU ms per briefing of this process (metrics, actions,
 * validation, driver) and of the PostgreSQL backends serving it (from /proc, when the server runs
 * here). Exits 1 when p95 is over the bound. The database is dropped at the end.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { openDb } from "../../db/client.ts";
import { migrateDatabase } from "../../db/migrate.ts";
import { loadBriefingContext, loadBriefingData } from "../../db/queries/briefing-data.ts";
import { addDays, zonedInstant } from "../../domain/briefings/calendar.ts";
import { composeBriefing } from "../../domain/briefings/compose.ts";
import { AR_WINDOW_WEEKS } from "../../domain/briefings/metrics.ts";
import { seedBriefingData } from "../support/briefing-data.ts";
import { scratchDatabase, summary } from "./support.ts";

const { values: args } = parseArgs({ options: { runs: { type: "string", default: "30" } } });
const RUNS = Math.max(10, Number(args.runs));
const BOUND_MS = 200;
const DB_NAME = "relink_bench_brief";
const say = (line: string) => process.stdout.write(`${line}\n`);
const load = () => fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

function cpuOf(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, clock ticks (USER_HZ 100) → ms
  } catch {
    return 0;
  }
}

async function main() {
  const scratch = await scratchDatabase(DB_NAME);
  const handle = openDb(scratch.url, { max: 10, applicationName: "bench-briefing" });
  const monitor = postgres(scratch.url, { max: 1, onnotice: () => {} });
  try {
    await migrateDatabase(scratch.url);
    const t0 = performance.now();
    const seeded = await seedBriefingData(handle.db, {
      name: "Bench Year Physio",
      timeZone: "Australia/Melbourne",
      practitioners: 20,
      weeks: 50,
      futureWeeks: 2,
      appointmentsPerPractitionerPerWeek: 48,
      invoicesPerClinic: 20_000,
      seed: 2026,
    });
    await monitor`analyze`;
    say(
      `seeded ${seeded.counts.appointments} appointments, ${seeded.counts.invoices} invoices, ${seeded.counts.patients} patients, ${seeded.counts.availability} availability rows in ${Math.round(performance.now() - t0)} ms`,
    );
    const clinic = seeded.clinics[0]!;
    const input = { clinicId: clinic.clinicId, weekStart: seeded.weekStart, now: seeded.now };
    const tz = seeded.timeZone;
    const firstMonday = addDays(seeded.weekStart, -28);
    const weekEnd = new Date(zonedInstant(addDays(seeded.weekStart, 7), "00:00", tz));
    const reads = async () => {
      const ctx = await loadBriefingContext({ clinicId: clinic.clinicId }, handle.db);
      await loadBriefingData(
        {
          recordSetId: ctx!.recordSetId!,
          from: new Date(zonedInstant(firstMonday, "00:00", tz)),
          to: weekEnd,
          now: seeded.now,
          invoicesFromDate: addDays(addDays(firstMonday, 6), -(7 * AR_WINDOW_WEEKS - 1)),
          revenueFromDate: firstMonday,
          weekEnds: [0, 1, 2, 3, 4].map((i) => new Date(zonedInstant(addDays(seeded.weekStart, 7 - 7 * i), "00:00", tz))),
          invoicesToDate: addDays(seeded.weekStart, 6),
          weekEnd,
        },
        handle.db,
      );
    };

    for (let i = 0; i < 3; i++) {
      const r = await composeBriefing({ db: handle.db }, input);
      if (!r.ok) throw new Error(r.message);
      if (i === 0)
        say(`report: ${r.report.practitioners.length} practitioners, ${r.report.actions.length} actions: ${r.report.actions.map((a) => a.rule).join(", ")}`);
      await reads();
    }
    const backends = async () =>
      (await monitor<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${DB_NAME} and application_name = 'bench-briefing'`).map((r) => r.pid);
    const pids = await backends();
    const dbCpu = () => pids.reduce((s, pid) => s + cpuOf(pid), 0);

    const composeMs: number[] = [];
    const readMs: number[] = [];
    let nodeCpu = 0;
    let pgCpu = 0;
    const loadBefore = load();
    for (let i = 0; i < RUNS; i++) {
      const c0 = process.cpuUsage();
      const d0 = dbCpu();
      const s = performance.now();
      const r = await composeBriefing({ db: handle.db }, input);
      composeMs.push(performance.now() - s);
      const c = process.cpuUsage(c0);
      nodeCpu += (c.user + c.system) / 1000;
      pgCpu += dbCpu() - d0;
      if (!r.ok) throw new Error(r.message);
      const s2 = performance.now();
      await reads();
      readMs.push(performance.now() - s2);
    }
    const c = summary(composeMs);
    const q = summary(readMs);
    const ok = c.p95 < BOUND_MS;
    say(`load average ${loadBefore} → ${load()} (2 shared cores)`);
    say(
      `composeBriefing over ${RUNS} runs: p50 ${c.p50.toFixed(1)} ms, p95 ${c.p95.toFixed(1)} ms, max ${c.max.toFixed(1)} ms (bound ${BOUND_MS} ms) ${ok ? "PASS" : "FAIL"}`,
    );
    say(
      `reads alone (context + 8 parallel statements): p50 ${q.p50.toFixed(1)} ms, p95 ${q.p95.toFixed(1)} ms — ${Math.round((100 * q.p50) / c.p50)}% of compose's p50`,
    );
    say(
      `CPU per briefing: ${(nodeCpu / RUNS).toFixed(1)} ms in this process, ${pids.length > 0 ? `${(pgCpu / RUNS).toFixed(1)} ms in PostgreSQL` : "PostgreSQL not visible"}`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    await monitor.end();
    await handle.close();
    await scratch.drop();
  }
}

await main();
