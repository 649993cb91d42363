import type { PgBoss } from "pg-boss";
import type { Env } from "../config/env.ts";
import { brand, masterKeyBase64, publicUrl, sessionSecret, vendorBudgetSettings, vendorSettings, webhookTargetPolicy } from "../config/runtime.ts";
import type { Brand } from "../domain/brand.ts";
import { openDb, type Db } from "../db/client.ts";
import type { AlertRecipients, AlertWorkDeps } from "../domain/alerts/apply.ts";
import { DEFAULT_INCIDENT_SETTINGS, type IncidentSettings } from "../domain/incidents/rules.ts";
import type { DeliveryDeps } from "../domain/alerts/deliver.ts";
import type { BulkDeps } from "../domain/bulk/operations.ts";
import { composeBriefing } from "../domain/briefings/compose.ts";
import { renderBriefingEmail } from "../domain/briefings/render.ts";
import type { BriefingDeliveryDeps } from "../domain/briefings/deliver.ts";
import type { WebhookDeliveryDeps } from "../domain/webhooks/deliver.ts";
import { smtpEmailSender, type EmailSender } from "../domain/alerts/email.ts";
import { assertKeyringReadsStoredKeys } from "../domain/connections/keyring-check.ts";
import { keyringFromConfig, type Keyring } from "../domain/connections/key-storage.ts";
import { createPostgresTokenStore } from "../domain/connections/nookal-token-store.ts";
import { createPostgresBudgetStore } from "../domain/connections/vendor-budget-store.ts";
import type { VendorAccess } from "../domain/health/probe.ts";
import { createVendorAccess } from "../domain/health/vendor-access.ts";
import type { VendorClientDeps } from "../domain/vendors/client.ts";
import { createSharedBudget } from "../domain/vendors/shared-budget.ts";
import { DEFAULT_DROP_SETTINGS } from "../domain/sync/drop.ts";
import type { SyncContext } from "../domain/sync/run.ts";
import type { VendorSettings } from "../domain/vendors/types.ts";
import type { Logger } from "../lib/logger.ts";
import { startBoss } from "../workers/boss.ts";
import { createQueues, type Queues } from "../workers/queues.ts";
import { countedEmailSender, createMetrics, type Metrics } from "./metrics.ts";

/**
 * The composition root (docs/decisions/0022-one-door-per-queue.md): services, queues and the
 * alert/delivery wiring are built here once, for the web process and the worker alike, so both
 * send the same jobs through the same doors.
 */

export interface Services {
  env: Env;
  db: Db;
  logger: Logger;
  boss: PgBoss;
  /** The only way to enqueue a job (workers/queues.ts). */
  queues: Queues;
  /** What applyAlertWork needs: the delivery queue and who receives alerts. */
  alerts: AlertWorkDeps;
  /** What the delivery worker needs to send a stored message (and to reveal a sealed link token). */
  delivery: DeliveryDeps;
  vendor: VendorSettings;
  /** The vendor's own product name, logo and support contact on clinic-facing pages and emails (BRAND_*). */
  brand: Brand;
  /** Vendor clients for live key checks (the interactive lane); one per process, so its caches are shared. */
  vendors: VendorAccess;
  /** The same for scheduled probes: the probe lane of the rate budget, which never waits on Postgres. */
  probeVendors: VendorAccess;
  /**
   * What every vendor client in this process is built with: the Nookal token store and the rate
   * budget, both shared through Postgres. Interactive lane; sync passes `{ ...vendorDeps, lane: "sync" }`.
   */
  vendorDeps: VendorClientDeps;
  /**
   * What every SYNC client is built with (domain/sync/client.ts syncClientFor): the one place to
   * give sync its own lane of the shared rate budget.
   */
  syncVendorDeps: VendorClientDeps;
  masterKey: string;
  /** The master keys, for the few actions that decrypt or store an API key server-side. */
  keyring: Keyring;
  sessionSecret: string;
  /**
   * This process's metrics (composition/metrics.ts): `recorder` is what domain code records through
   * (webhook delivery: `metrics.recorder.webhookDelivery(outcome)`), `scrape()` renders /metrics.
   */
  metrics: Metrics;
  checkDatabase(): Promise<void>;
}

/** Vendor-incident thresholds from the environment (docs/decisions/0049); the rest keep their defaults. */
function incidentSettingsFrom(env: Env): IncidentSettings {
  return { ...DEFAULT_INCIDENT_SETTINGS, minClinics: env.INCIDENT_MIN_CLINICS, share: env.INCIDENT_SHARE, updateMinutes: env.INCIDENT_UPDATE_MINUTES };
}

export function alertRecipients(env: Env): AlertRecipients {
  return {
    emailClinicAdmin: env.ALERT_EMAIL_CLINIC_ADMINS,
    supportEmail: env.ALERT_SUPPORT_EMAIL ?? null,
    consoleUrl: publicUrl(env),
    brand: brand(env),
  };
}

/** What a bulk action needs, for the web (which enqueues it) and the worker (which runs it). */
export function bulkDeps(services: Services): BulkDeps {
  return {
    db: services.db,
    probes: services.queues.probe,
    syncs: services.queues.sync,
    runs: services.queues.bulkRun,
    keyring: services.keyring,
    deliveries: services.queues.deliver,
    publicUrl: publicUrl(services.env),
    linkTtlHours: services.env.RECONNECT_LINK_TTL_HOURS,
    brand: services.brand,
  };
}

/** What delivering a weekly briefing needs (domain/briefings/deliver.ts), for the worker, tests and the bench. */
export function briefingDelivery(services: Services): BriefingDeliveryDeps {
  return {
    db: services.db,
    // why: composed on the claiming transaction (exactly-once)
    compose: composeBriefing,
    render: renderBriefingEmail,
    deliveries: services.queues.deliver,
    alerts: services.alerts,
    brand: services.brand,
    metrics: services.metrics.recorder,
  };
}

/** What webhook dispatch and delivery need (domain/webhooks), for the worker and tests. */
export function webhookDelivery(services: Services): WebhookDeliveryDeps {
  return {
    db: services.db,
    keyring: services.keyring,
    timeoutMs: services.env.WEBHOOK_TIMEOUT_MS,
    targets: webhookTargetPolicy(services.env),
    deliveries: services.queues.webhookDeliver,
    emails: services.queues.deliver,
    metrics: services.metrics.recorder,
    consoleUrl: publicUrl(services.env),
  };
}

/** What a sync needs (worker handler, tests, benches): the probe pipeline for its failures, its own vendor deps. */
export function syncContext(services: Services): SyncContext {
  return {
    db: services.db,
    keyring: services.keyring,
    vendor: services.vendor,
    vendorDeps: services.syncVendorDeps,
    health: { db: services.db, keyring: services.keyring, vendors: services.vendors, alerts: services.alerts, probes: services.queues.probe },
    alerts: services.alerts,
    queue: services.queues.sync,
    drop: { share: services.env.SYNC_DROP_ALERT_SHARE, minimum: DEFAULT_DROP_SETTINGS.minimum },
    fullPassHours: services.env.SYNC_FULL_PASS_HOURS,
    metrics: services.metrics.recorder,
  };
}

/**
 * Wires services from what the caller opened (a database and a started pg-boss); tests call it
 * with their own database. `email` is the SMTP sender, or null (emails wait in the outbox).
 */
export function composeServices({
  env,
  logger,
  db,
  boss,
  email = null,
  keyring = keyringFromConfig(masterKeyBase64(env), env.MASTER_KEY_ID, env.MASTER_KEYS_PREVIOUS),
  checkDatabase,
  role = "web",
  processMetrics = false,
}: {
  env: Env;
  logger: Logger;
  db: Db;
  boss: PgBoss;
  email?: EmailSender | null;
  /** Built from env when not given; createServices passes the one it already checked against stored keys. */
  keyring?: Keyring;
  checkDatabase: () => Promise<void>;
  /** Which process this is: the `process` label on its metrics. */
  role?: "web" | "worker";
  /** prom-client's process metrics (CPU, memory, event loop): createServices turns them on; tests need not. */
  processMetrics?: boolean;
}): Services {
  const queues = createQueues(boss);
  const metrics = createMetrics({ db, logger, role, defaultMetrics: processMetrics });
  const vendor = vendorSettings(env);
  // why: a new Nookal token may invalidate older ones, so web and workers share one per key
  // why: one budget per vendor user for every process and caller (docs/decisions/0034-shared-rate-budget.md)
  const rateLimiter = createSharedBudget({ store: createPostgresBudgetStore({ db }), ...vendorBudgetSettings(env) });
  const vendorDeps: VendorClientDeps = { tokenStore: createPostgresTokenStore({ db, keyring }), rateLimiter, metrics: metrics.recorder };
  return {
    env,
    db,
    logger,
    boss,
    queues,
    // why: an "action needed" email carries a fresh reconnect link, minted in the alert's own transaction
    alerts: {
      queue: queues.deliver,
      recipients: alertRecipients(env),
      links: { keyring, publicUrl: publicUrl(env), ttlHours: env.RECONNECT_LINK_TTL_HOURS },
      incidents: incidentSettingsFrom(env),
    },
    delivery: {
      db,
      email: email ? countedEmailSender(email, metrics.recorder) : null,
      fromEmail: env.ALERT_FROM_EMAIL,
      fromName: env.BRAND_PRODUCT_NAME,
      keyring,
    },
    vendor,
    brand: brand(env),
    vendors: createVendorAccess(vendor, vendorDeps),
    probeVendors: createVendorAccess(vendor, { ...vendorDeps, lane: "probe" }),
    vendorDeps,
    syncVendorDeps: { ...vendorDeps, lane: "sync" },
    masterKey: masterKeyBase64(env),
    keyring,
    sessionSecret: sessionSecret(env),
    metrics,
    checkDatabase,
  };
}

/**
 * Opens the database and pg-boss for one process and wires everything. Refuses to start when the
 * configured master keys cannot decrypt a stored key (the message names the variable).
 */
export async function createServices({
  env,
  logger,
  databaseUrl,
  role,
}: {
  env: Env;
  logger: Logger;
  databaseUrl: string;
  role: "web" | "worker";
}): Promise<Services & { close(): Promise<void> }> {
  const handle = openDb(databaseUrl, role === "worker" ? { max: 12, applicationName: "relink-worker" } : { max: 10, applicationName: "relink-web" });
  let keyring: Keyring;
  try {
    keyring = keyringFromConfig(masterKeyBase64(env), env.MASTER_KEY_ID, env.MASTER_KEYS_PREVIOUS);
    await assertKeyringReadsStoredKeys(keyring, handle.db);
  } catch (err) {
    await handle.close();
    throw err;
  }
  const boss = await startBoss({ databaseUrl, logger, role: role === "worker" ? "worker" : "sender" });
  // why: only the worker delivers; the web process never opens an SMTP pool
  const email = role === "worker" && env.SMTP_URL ? smtpEmailSender(env.SMTP_URL, { requireTLS: env.SMTP_REQUIRE_TLS }) : null;
  if (role === "worker" && !email) logger.info("SMTP_URL not set: emails wait in the email outbox");
  const services = composeServices({
    env,
    logger,
    db: handle.db,
    boss,
    email,
    keyring,
    role,
    processMetrics: true,
    async checkDatabase() {
      await handle.sql`select 1`;
    },
  });
  return Object.assign(services, {
    async close() {
      await boss.stop({ graceful: true, timeout: role === "worker" ? 10_000 : 5000 });
      email?.close();
      await handle.close();
    },
  });
}
