/**
 * bench:incidents — issue 16's numbers, in wall-clock time with the real pieces: pg-boss workers
 * running the probe handler, the simulator in its own process over HTTP, a scratch database.
 * 500 healthy Cliniko clinics on au1 and 500 on au2; au1 goes down (503 maintenance page):
 *   1. outage start → incident open, with the sweep started at the outage (cron adds up to one
 *      PROBE_INTERVAL before it in production), and the probes it took against the minimum;
 *   2. a second sweep during the incident: au1 probes against its 500 (thinned to ~1/4) and the
 *      canaries' rate;
 *   3. recovery → incident resolved (bound 60 s: "recovery seen within a minute"), and the probes
 *      it took against the minimum (the affected connections);
 *   4. clinic emails (bound 0) and support messages (bound: opened + resolved + updates).
 * Uses DATABASE_URL (a scratch database beside it) or embedded PostgreSQL. Loopback only; bounded.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Job } from "pg-boss";
import { openDb } from "../../db/client.ts";
import { migrateDatabase } from "../../db/migrate.ts";
import { clinics, connections } from "../../db/schema/index.ts";
import { keyringFromConfig } from "../../domain/connections/key-storage.ts";
import { createVendorAccess } from "../../domain/health/vendor-access.ts";
import { DEFAULT_INCIDENT_SETTINGS } from "../../domain/incidents/rules.ts";
import { sweepIncidents } from "../../domain/incidents/sweep.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { createLogger } from "../../lib/logger.ts";
import { controlClient, simulatorVendorSettings } from "../../simulator/control-client.ts";
import { startBoss } from "../../workers/boss.ts";
import { QUEUES } from "../../workers/catalog.ts";
import { handleProbeBatch, handleProbeSweep, type ProbeDeps } from "../../workers/handlers/probe.ts";
import { createQueues } from "../../workers/queues.ts";
import { scratchDatabase, startChildSimulator } from "./support.ts";
import { healthyClinikoConnection } from "../support/fleet.ts";

const PER_SHARD = Number(process.env.INCIDENT_FLEET ?? 500);
const LATENCY_MS = 20;
const OUTAGE_HOLD_S = 40;
const RESOLVE_BOUND_S = 60;
const say = (line: string) => process.stdout.write(`${line}\n`);
const log = createLogger({ name: "bench", level: "warn", pretty: false });
const secs = (ms: number) => (ms / 1000).toFixed(1);

const db = await scratchDatabase(`relink_bench_incidents_${process.pid}`);
await migrateDatabase(db.url);
const sim = await startChildSimulator();
const control = controlClient(sim.url);
const handle = openDb(db.url, { max: 20 });
const keyring = keyringFromConfig(generateMasterKey(), "k1");
let ok = true;
const check = (pass: boolean, line: string) => {
  if (!pass) ok = false;
  say(`${pass ? "ok  " : "FAIL"} ${line}`);
};

try {
  await control.setGlobalFaults({ latencyMs: LATENCY_MS });
  const regionOf = new Map<string, string>();
  const lastSuccess = new Date(Date.now() - 3600_000);
  for (const shard of ["au1", "au2"]) {
    const accounts = await Promise.all(
      Array.from({ length: PER_SHARD }, (_, i) => control.createClinikoAccount({ label: `${shard}-${i}`, shard, patients: 20 })),
    );
    const rows = await handle.db
      .insert(clinics)
      .values(accounts.map((_, i) => ({ name: `Bench ${shard} ${i}`, timeZone: "Australia/Sydney", country: "AU", adminEmail: `admin-${i}@${shard}.example` })))
      .returning({ id: clinics.id });
    await handle.db.insert(connections).values(
      accounts.map((a, i) => {
        const row = healthyClinikoConnection(keyring, { clinicId: rows[i]!.id, shard, key: a.keys[0]!.key, since: lastSuccess });
        regionOf.set(row.id, shard);
        return row;
      }),
    );
  }
  say(`fleet: ${PER_SHARD} healthy Cliniko clinics on au1 and ${PER_SHARD} on au2; vendor latency ${LATENCY_MS} ms per request`);

  const boss = await startBoss({ databaseUrl: db.url, logger: log, role: "worker" });
  const queues = createQueues(boss);
  const deps: ProbeDeps = {
    db: handle.db,
    logger: log,
    keyring,
    probes: queues.probe,
    vendors: createVendorAccess(simulatorVendorSettings(sim.url, { appName: "Relink bench", contactEmail: "bench@relink.example", timeoutMs: 10_000 })),
    alerts: {
      queue: queues.deliver,
      recipients: { emailClinicAdmin: true, supportEmail: "support@relink.example", consoleUrl: null },
      incidents: DEFAULT_INCIDENT_SETTINGS,
    },
  };
  // probes per shard and per reason, as the worker runs them
  const probes = { au1: 0, au2: 0, canary: 0 };
  await boss.work(QUEUES.probe.name, QUEUES.probe.work, async (jobs: Job<object>[]) => {
    for (const j of jobs) {
      const data = j.data as { connectionId: string; reason: string };
      if (data.reason === "canary") probes.canary++;
      const r = regionOf.get(data.connectionId);
      if (r === "au1" || r === "au2") probes[r]++;
    }
    return handleProbeBatch(jobs, deps);
  });
  const q = async <T>(text: string): Promise<T> => (await handle.sql.unsafe(text))[0] as T;
  const idle = async (timeoutMs: number) => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const { n } = await q<{ n: number }>(
        `select count(*)::int as n from pgboss.job where name = 'probe' and state in ('created', 'retry', 'active') and start_after <= now()`,
      );
      if (n === 0) return true;
      await sleep(200);
    }
    return false;
  };

  // ---- baseline: one sweep of the healthy fleet (and the regions' first recount)
  await sweepIncidents({ now: new Date(), intervalMinutes: 5 }, handle.db, { queue: queues.deliver, supportEmail: null, consoleUrl: null });
  let t = Date.now();
  await handleProbeSweep(deps);
  await idle(120_000);
  say(`baseline sweep: ${probes.au1 + probes.au2} probes in ${secs(Date.now() - t)} s`);

  // ---- 1. outage start → incident open
  Object.assign(probes, { au1: 0, au2: 0, canary: 0 });
  await control.setRegionFaults("cliniko", "au1", { outage: {} });
  const outageAt = Date.now();
  await handleProbeSweep(deps);
  let openedAt: number | null = null;
  while (Date.now() - outageAt < 120_000) {
    const row = await q<{ opened: Date | null } | undefined>(`select opened_at as opened from vendor_incidents where region = 'au1' and resolved_at is null`);
    if (row) {
      openedAt = Date.now();
      break;
    }
    await sleep(50);
  }
  const needed = Math.max(DEFAULT_INCIDENT_SETTINGS.minClinics, Math.ceil(DEFAULT_INCIDENT_SETTINGS.share * PER_SHARD));
  const probesToOpen = probes.au1;
  check(
    openedAt !== null,
    `detect: incident open ${openedAt === null ? "never" : `${secs(openedAt - outageAt)} s`} after the outage began (the sweep fired with it; in production cron adds up to one PROBE_INTERVAL); au1 probes by then ${probesToOpen}, minimum ${needed}`,
  );
  await idle(120_000);

  // ---- 2. during the incident: a second sweep is thinned, canaries run every 30 s
  Object.assign(probes, { au1: 0, au2: 0, canary: 0 });
  t = Date.now();
  await handleProbeSweep(deps);
  await sleep(OUTAGE_HOLD_S * 1000);
  const heldFor = (Date.now() - t) / 1000;
  say(
    `during the incident (${heldFor.toFixed(0)} s, one sweep): au1 probes ${probes.au1} of ${PER_SHARD} connections (${((100 * probes.au1) / PER_SHARD).toFixed(0)}%; of them canary ${probes.canary}, ${((probes.canary / heldFor) * 60).toFixed(1)} per minute); au2 probes ${probes.au2} of ${PER_SHARD}`,
  );
  check(
    probes.au1 <= PER_SHARD / 2,
    `thinned: au1 probed ${probes.au1} times in a sweep, at most ${PER_SHARD / 2} allowed (1/${DEFAULT_INCIDENT_SETTINGS.thinning} + canaries)`,
  );

  // ---- 3. recovery → resolve
  Object.assign(probes, { au1: 0, au2: 0, canary: 0 });
  const { n: affected } = await q<{ n: number }>(`select transient_failing as n from vendor_region_health where vendor = 'cliniko' and region = 'au1'`);
  await control.clearRegionFaults("cliniko", "au1");
  const recoveredAt = Date.now();
  let resolvedAt: number | null = null;
  while (Date.now() - recoveredAt < 120_000) {
    const row = await q<{ id: string } | undefined>(`select id from vendor_incidents where region = 'au1' and resolved_at is not null`);
    if (row) {
      resolvedAt = Date.now();
      break;
    }
    await sleep(50);
  }
  await idle(60_000);
  check(
    resolvedAt !== null && resolvedAt - recoveredAt <= RESOLVE_BOUND_S * 1000,
    `resolve: incident resolved ${resolvedAt === null ? "never" : `${secs(resolvedAt - recoveredAt)} s`} after recovery (bound ${RESOLVE_BOUND_S} s; canary period ${DEFAULT_INCIDENT_SETTINGS.canarySeconds} s); au1 probes ${probes.au1}, minimum ${affected} (the affected)`,
  );

  // ---- 4. who was told
  const byAudience = await handle.sql<{ audience: string; event: string; n: number }[]>`
    select audience, event, count(*)::int as n from alert_notifications group by 1, 2 order by 1, 2`;
  const clinicMail = byAudience.filter((r) => r.audience === "clinic_admin").reduce((s, r) => s + r.n, 0);
  const supportMail = byAudience.filter((r) => r.audience === "support").reduce((s, r) => s + r.n, 0);
  check(clinicMail === 0, `clinic emails: ${clinicMail} (bound 0)`);
  check(supportMail <= 3, `support messages: ${supportMail} (${byAudience.map((r) => `${r.event} ${r.n}`).join(", ") || "none"}; bound 3)`);
  const { n: incidents } = await q<{ n: number }>(`select count(*)::int as n from vendor_incidents`);
  check(incidents === 1, `incidents opened: ${incidents} (bound 1)`);
  await boss.stop({ graceful: false });
} catch (err) {
  ok = false;
  say(`FAIL ${(err as Error).stack ?? String(err)}`);
} finally {
  await handle.close();
  sim.child.kill("SIGTERM");
  await db.drop();
}
say(ok ? "bench:incidents: all bounds hold" : "bench:incidents: a bound failed");
process.exit(ok ? 0 : 1);
