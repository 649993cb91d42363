import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Db } from "../db/client.ts";
import { connectionGroups, queueDepths, SYNC_LAG_BUCKETS, unfinishedBriefings, vendorRegions } from "../db/queries/metrics.ts";
import type { EmailSender } from "../domain/alerts/email.ts";
import type { MetricsRecorder } from "../domain/metrics.ts";
import { VENDORS } from "../domain/vocabulary.ts";
import type { Logger } from "../lib/logger.ts";

/**
 * The operator's metrics (docs/metrics.md, docs/decisions/0046-metrics.md): the one module that
 * imports prom-client. Counters and histograms are this process's, recorded through the domain's
 * MetricsRecorder; fleet gauges (connections, sync lag, queues, briefings) are read from Postgres
 * at scrape time with three grouped statements, so every process reports the same fleet.
 */
export interface Metrics {
  recorder: MetricsRecorder;
  /** One scrape: refreshes the fleet gauges from Postgres, then renders the text format. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

// why: a probe is two vendor calls plus a transaction; a vendor call is one HTTP round trip (timeout 10 s by default)
const PROBE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
const VENDOR_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const NONE = "none";

export function createMetrics({
  db,
  logger,
  role,
  defaultMetrics = true,
  bossSchema = "pgboss",
}: {
  db: Db;
  logger: Logger;
  role: "web" | "worker";
  /** prom-client's process metrics (CPU, memory, event loop lag, GC): on for a real process. */
  defaultMetrics?: boolean;
  bossSchema?: string;
}): Metrics {
  const register = new Registry();
  register.setDefaultLabels({ process: role });
  if (defaultMetrics) collectDefaultMetrics({ register });
  const registers = [register];

  const probes = new Counter({
    name: "relink_probes_total",
    help: "Probes by vendor, outcome (healthy, failed, conflict, skipped) and the failure code they found",
    labelNames: ["vendor", "outcome", "failure_code"] as const,
    registers,
  });
  const probeSeconds = new Histogram({
    name: "relink_probe_duration_seconds",
    help: "Time to probe one connection end to end (vendor calls and the write)",
    labelNames: ["vendor"] as const,
    buckets: PROBE_BUCKETS,
    registers,
  });
  const vendorRequests = new Counter({
    name: "relink_vendor_requests_total",
    help: "Vendor HTTP attempts by vendor and status code (network / timeout when no answer came)",
    labelNames: ["vendor", "status"] as const,
    registers,
  });
  const vendorSeconds = new Histogram({
    name: "relink_vendor_request_duration_seconds",
    help: "Latency of one vendor HTTP attempt",
    labelNames: ["vendor"] as const,
    buckets: VENDOR_BUCKETS,
    registers,
  });
  const vendor429 = new Counter({
    name: "relink_vendor_rate_limited_total",
    help: "Vendor answers of 429 Too Many Requests",
    labelNames: ["vendor"] as const,
    registers,
  });
  const syncRecords = new Counter({
    name: "relink_sync_records_total",
    help: "Records read from vendors and committed by sync, by vendor and resource",
    labelNames: ["vendor", "resource"] as const,
    registers,
  });
  const syncRuns = new Counter({
    name: "relink_sync_runs_total",
    help: "Sync runs finished, by vendor and outcome",
    labelNames: ["vendor", "outcome"] as const,
    registers,
  });
  const emails = new Counter({
    name: "relink_email_deliveries_total",
    help: "Emails handed to SMTP (alerts, reconnect links, briefings): sent or failed (retried)",
    labelNames: ["outcome"] as const,
    registers,
  });
  const webhooks = new Counter({
    name: "relink_webhook_deliveries_total",
    help: "Webhook delivery attempts by outcome",
    labelNames: ["outcome"] as const,
    registers,
  });
  const briefings = new Counter({
    name: "relink_briefings_total",
    help: "Weekly briefings sent, first held, or skipped",
    labelNames: ["outcome"] as const,
    registers,
  });
  // why: counters appear with zero before their first event, so rate() and absent() work from the start
  for (const vendor of VENDORS) {
    vendor429.inc({ vendor }, 0);
  }
  for (const outcome of ["sent", "failed"]) emails.inc({ outcome }, 0);
  for (const outcome of ["sent", "held", "skipped"]) briefings.inc({ outcome }, 0);

  const connections = new Gauge({
    name: "relink_connections",
    help: "Connections of active clinics by state, failure code (none when healthy) and vendor",
    labelNames: ["state", "failure_code", "vendor"] as const,
    registers,
  });
  const syncLag = new Gauge({
    name: "relink_sync_lag_connections",
    help: "Syncing connections whose last successful sync is at most `le` seconds ago (cumulative, like histogram buckets)",
    labelNames: ["vendor", "le"] as const,
    registers,
  });
  const syncLagMax = new Gauge({
    name: "relink_sync_lag_max_seconds",
    help: "Seconds since the last successful sync of the syncing connection that has waited longest",
    labelNames: ["vendor"] as const,
    registers,
  });
  const neverSynced = new Gauge({
    name: "relink_sync_never_succeeded_connections",
    help: "Syncing connections that have never completed a sync",
    labelNames: ["vendor"] as const,
    registers,
  });
  const queueWaiting = new Gauge({
    name: "relink_queue_waiting_jobs",
    help: "Jobs waiting per pg-boss queue (created or retrying)",
    labelNames: ["queue"] as const,
    registers,
  });
  const queueActive = new Gauge({
    name: "relink_queue_active_jobs",
    help: "Jobs being worked per pg-boss queue (pg-boss monitor's count, up to a minute old)",
    labelNames: ["queue"] as const,
    registers,
  });
  const queueOldest = new Gauge({
    name: "relink_queue_oldest_waiting_job_age_seconds",
    help: "Age of the oldest due job still waiting per pg-boss queue (0 when none)",
    labelNames: ["queue"] as const,
    registers,
  });
  const briefingsNow = new Gauge({ name: "relink_briefings_unfinished", help: "Briefings due or held right now", labelNames: ["state"] as const, registers });
  const fleetOk = new Gauge({
    name: "relink_metrics_fleet_read_ok",
    help: "1 when this scrape read the fleet gauges from Postgres, 0 when that failed",
    registers,
  });
  const fleetSeconds = new Gauge({ name: "relink_metrics_fleet_read_seconds", help: "Database time of this scrape's fleet read", registers });

  const regionFailing = new Gauge({
    name: "relink_vendor_region_transient_failing",
    help: "Connections of a vendor shard/region whose last probe saw the vendor failing (5xx, timeout, network), as vendor incidents count them",
    labelNames: ["vendor", "region"] as const,
    registers,
  });
  const incidentOpen = new Gauge({
    name: "relink_vendor_incident_open",
    help: "1 while a vendor incident is open for the shard/region, else 0",
    labelNames: ["vendor", "region"] as const,
    registers,
  });

  const fleetGauges = [connections, syncLag, syncLagMax, neverSynced, queueWaiting, queueActive, queueOldest, briefingsNow, regionFailing, incidentOpen];

  async function readFleet(): Promise<void> {
    const started = performance.now();
    try {
      const [groups, queues, unfinished, regions] = await Promise.all([
        connectionGroups(db),
        queueDepths(db, bossSchema),
        unfinishedBriefings(db),
        vendorRegions(db),
      ]);
      for (const g of fleetGauges) g.reset();
      const perVendor = new Map<string, { buckets: number[]; synced: number; max: number | null; never: number }>();
      for (const g of groups) {
        connections.inc({ state: g.state, failure_code: g.failureCode ?? NONE, vendor: g.vendor }, g.connections);
        const v = perVendor.get(g.vendor) ?? { buckets: SYNC_LAG_BUCKETS.map(() => 0), synced: 0, max: null, never: 0 };
        g.syncLagBuckets.forEach((n, i) => (v.buckets[i] = (v.buckets[i] ?? 0) + n));
        v.synced += g.synced;
        v.never += g.neverSynced;
        if (g.maxSyncLagSeconds !== null) v.max = Math.max(v.max ?? 0, g.maxSyncLagSeconds);
        perVendor.set(g.vendor, v);
      }
      for (const vendor of VENDORS) {
        const v = perVendor.get(vendor) ?? { buckets: SYNC_LAG_BUCKETS.map(() => 0), synced: 0, max: null, never: 0 };
        SYNC_LAG_BUCKETS.forEach((le, i) => syncLag.set({ vendor, le: String(le) }, v.buckets[i] ?? 0));
        syncLag.set({ vendor, le: "+Inf" }, v.synced);
        syncLagMax.set({ vendor }, v.max ?? 0);
        neverSynced.set({ vendor }, v.never);
      }
      for (const q of queues) {
        queueWaiting.set({ queue: q.queue }, q.waiting);
        queueActive.set({ queue: q.queue }, q.active);
        queueOldest.set({ queue: q.queue }, q.oldestWaitingSeconds);
      }
      for (const r of regions) {
        regionFailing.set({ vendor: r.vendor, region: r.region }, r.failing);
        incidentOpen.set({ vendor: r.vendor, region: r.region }, r.incidentOpen ? 1 : 0);
      }
      for (const state of ["due", "held"]) briefingsNow.set({ state }, unfinished.find((b) => b.state === state)?.n ?? 0);
      fleetOk.set(1);
    } catch (err) {
      // why: a scrape still answers (process metrics, counters) while Postgres is away; stale fleet numbers are dropped
      for (const g of fleetGauges) g.reset();
      fleetOk.set(0);
      logger.warn({ err }, "metrics: fleet read failed");
    }
    fleetSeconds.set((performance.now() - started) / 1000);
  }

  // why: two scrapes at once share one fleet read, so neither renders the other's half-reset gauges
  let inFlight: Promise<{ contentType: string; body: string }> | null = null;
  async function scrapeOnce() {
    await readFleet();
    return { contentType: register.contentType, body: await register.metrics() };
  }

  const recorder: MetricsRecorder = {
    probe({ vendor, outcome, failureCode, seconds }) {
      probes.inc({ vendor, outcome, failure_code: failureCode ?? NONE });
      if (outcome !== "skipped") probeSeconds.observe({ vendor }, seconds);
    },
    vendorRequest({ vendor, status, seconds }) {
      vendorRequests.inc({ vendor, status: String(status) });
      vendorSeconds.observe({ vendor }, seconds);
      if (status === 429) vendor429.inc({ vendor });
    },
    syncRecords({ vendor, resource, records }) {
      syncRecords.inc({ vendor, resource }, records);
    },
    syncRun({ vendor, outcome }) {
      syncRuns.inc({ vendor, outcome });
    },
    emailDelivery(outcome) {
      emails.inc({ outcome });
    },
    webhookDelivery(outcome) {
      // why: a label value is a closed word; anything else would grow the series without bound
      webhooks.inc({ outcome: /^[a-z_]{1,32}$/.test(outcome) ? outcome : "other" });
    },
    briefing(outcome) {
      briefings.inc({ outcome });
    },
  };

  return {
    recorder,
    scrape() {
      inFlight ??= scrapeOnce().finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
  };
}

/** The SMTP sender with its outcomes counted: every email leaves through it (domain/alerts/deliver.ts). */
export function countedEmailSender(sender: EmailSender, recorder: MetricsRecorder): EmailSender {
  return {
    async send(message) {
      try {
        const sent = await sender.send(message);
        recorder.emailDelivery("sent");
        return sent;
      } catch (err) {
        recorder.emailDelivery("failed");
        throw err;
      }
    },
    close: () => sender.close(),
  };
}
