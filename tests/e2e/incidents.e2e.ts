import type { Browser, Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { keyringFromConfig, sealApiKey } from "../../domain/connections/key-storage.ts";
import { TAXONOMY } from "../../domain/health/taxonomy.ts";
import { createLogger } from "../../lib/logger.ts";
import { controlClient } from "../../simulator/control-client.ts";
import { startBoss } from "../../workers/boss.ts";
import { QUEUES } from "../../workers/catalog.ts";
import { launchBrowser, screenshot, signIn } from "./support/browser.ts";

/**
 * Issue 16, "show it": a vendor incident in Chromium — the banner on the dashboard and on an
 * affected clinic page, /incidents and one incident's page — seen by a viewer, then gone once it
 * resolves. The incident is seeded in the database (its lifecycle is covered by
 * tests/integration/incidents.test.ts) in a Cliniko shard of its own, zz9, so the shared demo fleet
 * and the other journeys are untouched.
 */

const baseUrl = inject("baseUrl");
const databaseUrl = inject("databaseUrl");
const REGION = "zz9";
const VENDOR_SAID = "<b>Scheduled maintenance</b> — back soon";
let browser: Browser;
let page: Page;
let sql: postgres.Sql;
const seeded = { incidentId: "", clinicIds: [] as string[], connectionIds: [] as string[], accounts: [] as string[] };
const control = controlClient(inject("simulatorUrl"));
const dataDir = inject("dataDir");

beforeAll(async () => {
  browser = await launchBrowser();
  // why Sydney: the banner's "since" is in the viewer's zone, which is not the server's UTC
  page = await browser.newPage({ viewport: { width: 1366, height: 800 }, timezoneId: "Australia/Sydney" });
  sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await signIn(page, baseUrl, "viewer@relink.test");
});
afterAll(async () => {
  await browser?.close();
  if (sql) {
    if (seeded.incidentId) await sql`delete from vendor_incidents where id = ${seeded.incidentId}`;
    if (seeded.connectionIds.length) {
      await sql`delete from connection_events where connection_id in ${sql(seeded.connectionIds)}`;
      await sql`delete from alerts where connection_id in ${sql(seeded.connectionIds)}`;
      await sql`delete from connections where id in ${sql(seeded.connectionIds)}`;
    }
    if (seeded.clinicIds.length) await sql`delete from clinics where id in ${sql(seeded.clinicIds)}`;
    await sql`delete from vendor_region_health where vendor = 'cliniko' and region = ${REGION}`;
    for (const id of seeded.accounts) await control.clearAccountFaults(id).catch(() => undefined);
    await sql.end({ timeout: 5 });
  }
});

/**
 * Six clinics on Cliniko zz9 with real simulator accounts and keys, five of them down (a 503
 * maintenance page), and the incident they opened 45 minutes ago. why real keys and real faults:
 * the worker's probe sweep (every 5 minutes) may run mid-journey; it then probes the same outage
 * and recounts the same five, so the seeded incident stays what the journey expects.
 */
async function seedOpenIncident(): Promise<{ failingClinic: string; fineClinic: string }> {
  const tag = Date.now().toString(36);
  const openedAt = new Date(Date.now() - 45 * 60_000);
  const keyring = keyringFromConfig(fs.readFileSync(path.join(dataDir, "master.key"), "utf8").trim(), "k1");
  for (let n = 0; n < 6; n++) {
    const failing = n < 5;
    const account = await control.createClinikoAccount({ shard: REGION, patients: 12 });
    if (failing) await control.setAccountFaults(account.id, { outage: {} });
    seeded.accounts.push(account.id);
    const [clinic] = await sql<{ id: string }[]>`
      insert into clinics (name, time_zone, country, admin_name, admin_email)
      values (${`Shard Outage Physio ${n + 1} ${tag}`}, 'Australia/Sydney', 'AU', 'Sam Shard', ${`sam+${tag}${n}@shard.example`}) returning id`;
    const id = randomUUID();
    const key = sealApiKey(keyring, id, { vendor: "cliniko", key: account.keys[0]!.key, region: REGION }, openedAt);
    await sql`
      insert into connections (id, clinic_id, vendor, region, api_version, state, failure_code, first_failure_at, last_probe_at, last_success_at,
                               transient_failing, ever_had_patients, key_ciphertext, key_iv, key_tag, key_id, key_hint, key_updated_at)
      values (${id}, ${clinic!.id}, 'cliniko', ${REGION}, 'v1', ${failing ? "degraded" : "healthy"}, ${failing ? "vendor_unavailable" : null},
              ${failing ? openedAt : null}, now(), ${openedAt}, ${failing}, true,
              ${key.keyCiphertext}, ${key.keyIv}, ${key.keyTag}, ${key.keyId}, ${key.keyHint}, ${key.keyUpdatedAt})`;
    seeded.clinicIds.push(clinic!.id);
    seeded.connectionIds.push(id);
  }
  await sql`
    insert into vendor_region_health (vendor, region, connections, transient_failing, recomputed_at) values ('cliniko', ${REGION}, 6, 5, now())
    on conflict (vendor, region) do update set connections = 6, transient_failing = 5, recomputed_at = now()`;
  const evidence = {
    failureCode: "vendor_unavailable",
    httpStatus: 503,
    vendorMessage: VENDOR_SAID,
    at: openedAt.toISOString(),
    clinicId: seeded.clinicIds[4],
  };
  const [incident] = await sql<{ id: string }[]>`
    insert into vendor_incidents (vendor, region, opened_at, first_evidence, fleet_size, affected_at_open, peak_affected, peak_at, recovered, last_notice_at, last_notice_affected)
    values ('cliniko', ${REGION}, ${openedAt}, ${sql.json(evidence)}, 6, 5, 5, ${openedAt}, 0, ${openedAt}, 5) returning id`;
  seeded.incidentId = incident!.id;
  await sql`
    insert into vendor_incident_timeline (incident_id, at, kind, affected, connections, message)
    values (${incident!.id}, ${openedAt}, 'opened', 5, 6, 'Cliniko zz9 is failing for 5 of 6 clinics; a new key will not help.')`;
  return { failingClinic: seeded.clinicIds[0]!, fineClinic: seeded.clinicIds[5]! };
}

/** What the incident lifecycle leaves once the shard answers again: 41 minutes, all five recovered. */
async function resolveSeededIncident(): Promise<void> {
  for (const id of seeded.accounts) await control.clearAccountFaults(id);
  await sql`update connections set transient_failing = false, state = 'healthy', failure_code = null, first_failure_at = null where id in ${sql(seeded.connectionIds)}`;
  await sql`update vendor_region_health set transient_failing = 0 where vendor = 'cliniko' and region = ${REGION}`;
  await sql`update vendor_incidents set resolved_at = opened_at + interval '41 minutes', affected_at_resolve = 0, recovered = 5 where id = ${seeded.incidentId}`;
  await sql`
    insert into vendor_incident_timeline (incident_id, at, kind, affected, connections, message)
    select id, resolved_at, 'resolved', 0, 6, 'Cliniko zz9 works again after 41 min: 5 recovered.' from vendor_incidents where id = ${seeded.incidentId}`;
}

const BANNER = /^Cliniko zz9 is failing for 5 of 6 clinics since \d\d:\d\d (AEDT|AEST); a new key will not help\.$/;
const ourBanner = (p: Page) => p.getByTestId("incident-banner").filter({ hasText: "Cliniko zz9" });
const ourRow = (p: Page) => p.getByTestId("incident-row").filter({ hasText: "Cliniko zz9" });

describe("vendor incidents in the console", () => {
  let clinics: { failingClinic: string; fineClinic: string };
  beforeAll(async () => {
    clinics = await seedOpenIncident();
  });

  it("a viewer sees the open incident on the dashboard, in the viewer's time, and reaches it with Tab", async () => {
    await page.goto(`${baseUrl}/dashboard`);
    const banner = ourBanner(page);
    await banner.waitFor();
    expect(await banner.getAttribute("role")).toBe("alert");
    // why poll: the server renders UTC; after hydration the browser re-renders in Sydney time
    await expect.poll(async () => (await banner.locator(".incident-banner-text").innerText()).trim(), { timeout: 10_000 }).toMatch(BANNER);

    // keyboard: from the top of the page, Tab reaches the banner's link
    await page.locator("body").focus();
    let reached = false;
    for (let n = 0; n < 40 && !reached; n++) {
      await page.keyboard.press("Tab");
      reached = await page.evaluate(() => document.activeElement?.textContent?.trim() === "View incident");
    }
    expect(reached).toBe(true);
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`/incidents/${seeded.incidentId}$`));
  });

  it("the incident's page shows the banner, the first evidence as plain text, the counts and the timeline", async () => {
    await page.goto(`${baseUrl}/incidents/${seeded.incidentId}`);
    await expect.poll(async () => (await ourBanner(page).locator(".incident-banner-text").innerText()).trim()).toMatch(BANNER);
    const evidence = await page.getByTestId("incident-evidence").innerText();
    expect(evidence).toContain(TAXONOMY.vendor_unavailable.title);
    expect(evidence).toContain("503");
    // the vendor's words are shown as text, never as markup
    expect(evidence).toContain(VENDOR_SAID);
    expect(await page.getByTestId("incident-evidence").locator("b").count()).toBe(0);
    const counts = await page.getByTestId("incident-counts").innerText();
    expect(counts).toMatch(/Clinics in the region\s+6/);
    expect(counts).toMatch(/Peak affected\s+5 of 6/);
    expect(counts).toMatch(/Failing now\s+5 of 6/);
    // who it affects: the five failing clinics by name, each linking to its page
    const affected = page.getByTestId("incident-affected").locator("li");
    expect(await affected.count()).toBe(5);
    expect(await affected.first().innerText()).toMatch(/^Shard Outage Physio 1 \S+\s+Degraded/);
    const timeline = page.getByTestId("incident-timeline").locator("tbody tr");
    expect(await timeline.count()).toBe(1);
    expect(await timeline.first().innerText()).toMatch(/Opened\s+5 of 6\s+Cliniko zz9 is failing for 5 of 6 clinics/);
  });

  it("an affected clinic's page shows the banner and, for a failing clinic, that its alert is held", async () => {
    await page.goto(`${baseUrl}/clinics/${clinics.failingClinic}`);
    await expect.poll(async () => (await ourBanner(page).locator(".incident-banner-text").innerText()).trim()).toMatch(BANNER);
    expect(await ourBanner(page).innerText()).toContain("its degraded alert is grouped under the incident, and the clinic admin is not emailed");
    await page.goto(`${baseUrl}/clinics/${clinics.fineClinic}`);
    await ourBanner(page).waitFor();
    expect(await ourBanner(page).innerText()).not.toContain("grouped under the incident");
  });

  it("/incidents lists it as Open and ongoing; the Incidents link in the bar leads there", async () => {
    await page.goto(`${baseUrl}/dashboard`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Incidents" }).click();
    await page.waitForURL(/\/incidents$/);
    const row = ourRow(page);
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain("Open");
    expect(text).toMatch(/ongoing \(4\d min\)/);
    expect(text).toMatch(/5\s+of 6/);
  });

  it("the worker's own probe sweep during the incident probes the same outage, recounts the same five and keeps it open", async () => {
    const boss = await startBoss({ databaseUrl, logger: createLogger({ name: "e2e", level: "silent", pretty: false }), role: "sender" });
    try {
      const asked = new Date();
      await boss.send(QUEUES["probe-sweep"].name, {});
      // why poll: the worker picks the sweep up within its polling interval, then recounts every region first
      await expect
        .poll(
          async () =>
            (
              await sql<{ at: Date }[]>`select recomputed_at as at from vendor_region_health where vendor = 'cliniko' and region = ${REGION}`
            )[0]?.at.getTime() ?? 0,
          {
            timeout: 30_000,
            interval: 250,
          },
        )
        .toBeGreaterThan(asked.getTime());
      const [health] = await sql<
        { n: number; f: number }[]
      >`select connections as n, transient_failing as f from vendor_region_health where vendor = 'cliniko' and region = ${REGION}`;
      expect(health).toEqual({ n: 6, f: 5 });
      const [incident] = await sql<{ resolved: Date | null }[]>`select resolved_at as resolved from vendor_incidents where id = ${seeded.incidentId}`;
      expect(incident!.resolved).toBeNull();
      await page.goto(`${baseUrl}/dashboard`);
      await expect.poll(async () => (await ourBanner(page).locator(".incident-banner-text").innerText()).trim()).toMatch(BANNER);
    } finally {
      await boss.stop({ graceful: false });
    }
  });

  it("once resolved, the banners are gone and the list and the page say Resolved", async () => {
    await resolveSeededIncident();
    await page.goto(`${baseUrl}/dashboard`);
    await page.getByRole("heading", { name: "Fleet overview" }).waitFor();
    expect(await ourBanner(page).count()).toBe(0);
    await page.goto(`${baseUrl}/clinics/${clinics.failingClinic}`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    expect(await ourBanner(page).count()).toBe(0);

    await page.goto(`${baseUrl}/incidents`);
    const text = await ourRow(page).innerText();
    expect(text).toContain("Resolved");
    expect(text).toContain("41 min");
    expect(text).not.toContain("ongoing");

    await ourRow(page)
      .getByRole("link", { name: /^Details/ })
      .click();
    await page.waitForURL(new RegExp(`/incidents/${seeded.incidentId}$`));
    await page.getByText("Resolved after 41 min; 5 recovered.").waitFor();
    expect(await ourBanner(page).count()).toBe(0);
    expect(await page.getByTestId("incident-counts").innerText()).toMatch(/Still failing at resolve\s+0/);
    expect(await page.getByTestId("incident-timeline").locator("tbody tr").count()).toBe(2);
    await screenshot(page, "incident-resolved");
  });

  it("with Incidents added, an admin's bar (one more link, Users) still fits one line at 1366 px", async () => {
    const admin = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    await signIn(admin, baseUrl, "admin@relink.test");
    await admin.goto(`${baseUrl}/incidents`);
    const nav = admin.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Users" }).waitFor();
    const boxes = await Promise.all(["Dashboard", "Incidents", "Users"].map((name) => nav.getByRole("link", { name }).boundingBox()));
    expect(new Set(boxes.map((b) => Math.round(b!.y))).size).toBe(1);
    await admin.close();
  });

  it("an unknown or malformed incident id is a 404", async () => {
    for (const id of ["not-a-uuid", "00000000-0000-4000-8000-000000000000"]) {
      const res = await page.goto(`${baseUrl}/incidents/${id}`);
      expect(res?.status(), id).toBe(404);
      await page.getByText("No vendor incident has that id.").waitFor();
    }
  });
});
