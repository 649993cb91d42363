import { eq, like, sql } from "drizzle-orm";
import fs from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDb, type DbHandle } from "../../db/client.ts";
import { clinics, connections, probeHistory } from "../../db/schema/index.ts";
import { launchBrowser, screenshot, signIn } from "./support/browser.ts";

/**
 * Console polish (issue 11): the console on a 390 px phone, the 404 page, and the confirm step
 * before mass actions, over clinics this file creates itself (other files move the demo fleet).
 */

const baseUrl = inject("baseUrl");
const PREFIX = `Phone Journey ${process.pid}`;
// why more than a page (50): "select all N matching" is offered only when the filter spans pages
const OWN = 55;
const SHOTS = process.env.UI_POLISH_SHOTS;

let browser: Browser;
let phone: Page;
let desktop: Page;
let handle: DbHandle;

async function shot(page: Page, name: string, { screenOnly = false } = {}) {
  // why screenOnly: a phone's first screen is the point of some pictures; the full page is metres long
  if (screenOnly) await page.screenshot({ path: `test-results/polish-${name}.png` });
  else await screenshot(page, `polish-${name}`);
  if (SHOTS) {
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  }
}
const scrollWidth = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth);

beforeAll(async () => {
  handle = openDb(inject("databaseUrl"), { max: 2, applicationName: "relink-e2e-phone" });
  const made = await handle.db
    .insert(clinics)
    .values(
      Array.from({ length: OWN }, (_, i) => ({
        name: `${PREFIX} ${String(i + 1).padStart(2, "0")}`,
        timeZone: "Australia/Sydney",
        country: "AU",
        adminName: `Admin ${i + 1}`,
        adminEmail: `admin${i + 1}@phone-journey.example`,
      })),
    )
    .returning({ id: clinics.id });
  // why healthy with a probe already recorded: the journeys act on them at once, whatever the worker does next
  await handle.db
    .insert(connections)
    .values(
      made.map((c) => ({ clinicId: c.id, vendor: "cliniko" as const, region: "au1", apiVersion: "v1", state: "healthy" as const, lastProbeAt: new Date() })),
    );
  browser = await launchBrowser();
  phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  desktop = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
  await signIn(phone, baseUrl, "agent@relink.test");
  await signIn(desktop, baseUrl, "agent@relink.test");
});
afterAll(async () => {
  await browser?.close();
  // why: archived clinics leave the tables, so the files after this one see the fleet they expect
  await handle?.db
    .update(clinics)
    .set({ archivedAt: new Date() })
    .where(like(clinics.name, `${PREFIX}%`));
  await handle?.close();
});

describe("the console on a 390 px phone", () => {
  it("folds the navigation behind a menu button that opens and closes", async () => {
    await phone.goto(`${baseUrl}/clinics`);
    const toggle = phone.getByRole("button", { name: "Menu" });
    await toggle.waitFor();
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");
    expect(await phone.getByRole("link", { name: "Campaigns" }).isVisible()).toBe(false);
    await shot(phone, "phone-nav-closed");

    await toggle.click();
    const close = phone.getByRole("button", { name: "Close menu" });
    expect(await close.getAttribute("aria-expanded")).toBe("true");
    await phone.getByRole("link", { name: "Campaigns" }).waitFor();
    expect(await scrollWidth(phone)).toBeLessThanOrEqual(390);
    await shot(phone, "phone-nav-open");

    await phone.keyboard.press("Escape");
    await phone.getByRole("link", { name: "Campaigns" }).waitFor({ state: "hidden" });
    await toggle.click();
    await phone.getByRole("link", { name: "Dashboard" }).click();
    await phone.waitForURL(/\/dashboard$/);
    // the menu closes itself after navigating
    await phone.getByRole("button", { name: "Menu" }).waitFor();
    expect(await scrollWidth(phone)).toBeLessThanOrEqual(390);
  });

  it("shows the clinics table as stacked, labelled rows with no sideways scroll", async () => {
    await phone.goto(`${baseUrl}/clinics?sort=name`);
    const row = phone.locator("table.clinics-table tbody tr").first();
    await row.waitFor();
    expect(await row.evaluate((el) => getComputedStyle(el).display)).toBe("block");
    const label = await row.locator('td[data-label="State"]').evaluate((el) => getComputedStyle(el, "::before").content);
    expect(label).toContain("State");
    // a stacked row is narrower than the screen and its cells sit one under another
    const box = (await row.boundingBox())!;
    expect(box.width).toBeLessThanOrEqual(390);
    // why one evaluate: both cells read in the same layout, never one before and one after a re-render
    const [vendorY, regionY] = await row.evaluate((tr) =>
      ['td[data-label="Vendor"]', 'td[data-label="Region"]'].map((s) => tr.querySelector(s)!.getBoundingClientRect().y),
    );
    expect(regionY).toBeGreaterThan(vendorY!);
    expect(await scrollWidth(phone)).toBeLessThanOrEqual(390);
    await shot(phone, "phone-clinics");
  });

  it("draws the clinics table where it stays: hydrating the page does not move the rows", async () => {
    // why: the bulk bar used to be drawn until hydration hid it, so the rows jumped up by a screen of
    // wrapped buttons mid-read (phone.e2e's "Region not below Vendor" flake measured across that jump).
    // The page's scripts are held until the server-drawn table is measured, then let go.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await phone.route(/\/assets\/.*\.js$/, async (route) => {
      await held;
      await route.continue();
    });
    try {
      await phone.goto(`${baseUrl}/clinics?sort=name`, { waitUntil: "commit" });
      const row = phone.locator("table.clinics-table tbody tr").first();
      await row.waitFor();
      const before = await row.evaluate((tr) => tr.getBoundingClientRect().y);
      release();
      // hydrated: React has hidden the empty bulk bar with its attribute
      await phone.locator("#bulk-form[hidden]").waitFor({ state: "attached" });
      expect(await row.evaluate((tr) => tr.getBoundingClientRect().y)).toBe(before);
    } finally {
      release();
      await phone.unroute(/\/assets\/.*\.js$/);
    }
  });

  it("folds the clinics filters behind a Filters button that counts the active ones, keyboard only", async () => {
    await phone.goto(`${baseUrl}/clinics?sort=name&vendor=cliniko&state=healthy`);
    await phone.locator("#bulk-form[hidden]").waitFor({ state: "attached" });
    const toggle = phone.getByRole("button", { name: /^Filters \(2 active\)/ });
    await toggle.waitFor();
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");
    const search = phone.getByRole("searchbox", { name: "Search" });
    expect(await search.isVisible()).toBe(false);
    // the first row is within the first screen, not below a long stack of fields
    const firstRow = (await phone.locator("table.clinics-table tbody tr").first().boundingBox())!;
    expect(firstRow.y).toBeLessThan(844);
    await shot(phone, "phone-filters-folded", { screenOnly: true });

    await toggle.focus();
    await phone.keyboard.press("Enter");
    await search.waitFor();
    expect(await toggle.getAttribute("aria-expanded")).toBe("true");
    expect(await phone.getByLabel("Vendor").inputValue()).toBe("cliniko");
    expect(await scrollWidth(phone)).toBeLessThanOrEqual(390);
    await shot(phone, "phone-filters-open", { screenOnly: true });
    await phone.keyboard.press("Space");
    await search.waitFor({ state: "hidden" });

    // on a wide screen the fields always show and there is no button
    await desktop.goto(`${baseUrl}/clinics`);
    await desktop.getByRole("searchbox", { name: "Search" }).waitFor();
    expect(await desktop.getByRole("button", { name: /^Filters/ }).isVisible()).toBe(false);
  });

  it("keeps a clinic page usable: heading, probe strip and actions within the screen", async () => {
    await phone.goto(`${baseUrl}/clinics?sort=name&q=Harbourside`);
    await phone.locator("table.clinics-table tbody tr").first().getByRole("link").first().click();
    await phone.waitForURL(/\/clinics\/[0-9a-f-]{36}$/);
    await phone.getByRole("heading", { name: "Recent probes" }).waitFor();
    await phone.getByRole("heading", { name: "Harbourside Physiotherapy" }).waitFor();
    const probe = phone.getByRole("button", { name: /probe now|re-probe/i }).first();
    if (await probe.count()) expect((await probe.boundingBox())!.x + (await probe.boundingBox())!.width).toBeLessThanOrEqual(390);
    expect(await scrollWidth(phone)).toBeLessThanOrEqual(390);
    await shot(phone, "phone-clinic-page");
  });
});

describe("the 404 page", () => {
  it("answers an unknown address with 404, the console's layout and a way back", async () => {
    const response = await desktop.goto(`${baseUrl}/no-such-page/at-all`);
    expect(response?.status()).toBe(404);
    await desktop.getByRole("heading", { name: "Page not found" }).waitFor();
    expect(await desktop.getByText("/no-such-page/at-all").count()).toBe(1);
    await desktop.getByRole("navigation", { name: "Main" }).waitFor();
    await shot(desktop, "desktop-404");
    await desktop.getByRole("link", { name: "Back to clinics" }).click();
    await desktop.waitForURL(/\/clinics$/);
    const icon = await desktop.request.get(`${baseUrl}/favicon.ico`);
    expect(icon.status()).toBe(200);
  });
});

describe("mass actions confirm their count", () => {
  const campaignName = `${PREFIX} move`;
  const own = `${baseUrl}/clinics?q=${encodeURIComponent(PREFIX)}&sort=name`;

  it("selects all N matching and asks before emailing that many admins; Esc backs out without sending", async () => {
    await desktop.goto(own);
    // the bar appears only with a selection (once the page is hydrated; without JavaScript it always shows)
    await desktop.locator("#bulk-form[hidden]").waitFor({ state: "attached" });
    expect(await desktop.getByRole("button", { name: "Email reconnect links" }).isVisible()).toBe(false);
    await desktop.getByLabel("Select all clinics on this page").check();
    await desktop.getByText("50 selected").waitFor();
    await desktop.getByLabel(`Select all ${OWN} matching clinics`).check();
    await desktop.getByText(`All ${OWN} matching selected`).waitFor();
    await desktop.getByRole("button", { name: "Email reconnect links" }).click();
    const dialog = desktop.getByRole("dialog", { name: `Email reconnect links to ${OWN} clinic admins?` });
    await dialog.waitFor();
    // focus is inside the dialog, on the confirm button
    expect(await desktop.evaluate(() => document.activeElement?.closest("dialog") !== null)).toBe(true);
    await shot(desktop, "desktop-confirm-dialog");
    await desktop.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(desktop.url()).toContain("/clinics?");
  });

  it("creates a campaign and adds all matching clinics after confirming the count", async () => {
    await desktop.goto(`${baseUrl}/campaigns`);
    await desktop.getByLabel("Name", { exact: true }).fill(campaignName);
    await desktop.getByLabel("Vendor").selectOption("cliniko");
    await desktop.getByLabel("Reason (the clinics read this)").fill("Cliniko is retiring this shard");
    const deadline = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
    await desktop.getByLabel("Deadline").fill(deadline);
    await desktop.getByRole("button", { name: "Create campaign" }).click();
    await desktop.getByRole("heading", { name: campaignName }).waitFor();

    await desktop.goto(own);
    await desktop.getByLabel("Select all clinics on this page").check();
    await desktop.getByLabel(`Select all ${OWN} matching clinics`).check();
    await desktop.getByLabel("Campaign").selectOption({ label: `${campaignName} (Cliniko, by ${deadline})` });
    await desktop.getByRole("button", { name: "Add to campaign" }).click();
    const dialog = desktop.getByRole("dialog", { name: `Add ${OWN} clinics to the campaign "${campaignName}"?` });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: `Add to campaign: ${OWN} clinics` }).click();
    await desktop.waitForURL(/\/bulk\/[0-9a-f-]{36}$/);
    await desktop
      .getByRole("status")
      .filter({ hasText: /^Finished/ })
      .waitFor({ timeout: 30_000 });
    expect(await desktop.locator("tbody").getByText("Added to the campaign.").count()).toBe(OWN);
  });

  it("removes one clinic from the campaign and cancels the campaign after its confirm step", async () => {
    await desktop.getByRole("link", { name: campaignName }).first().click();
    await desktop.getByRole("heading", { name: campaignName }).waitFor();
    await desktop.getByRole("img", { name: /Clinics remaining over time/ }).waitFor();
    await shot(desktop, "desktop-campaign-burn-down");

    const first = `${PREFIX} 01`;
    await desktop.getByRole("button", { name: `Remove ${first} from the campaign` }).click();
    await desktop
      .getByRole("status")
      .filter({ hasText: `Removed ${first} from the campaign` })
      .waitFor();
    expect(await desktop.getByRole("button", { name: `Remove ${first} from the campaign` }).count()).toBe(0);
    const [removed] = await handle.db
      .select({ state: connections.state })
      .from(connections)
      .innerJoin(clinics, eq(clinics.id, connections.clinicId))
      .where(like(clinics.name, first));
    // the campaign had moved it to pending disconnect; removal takes that back
    expect(removed!.state).not.toBe("pending_disconnect");

    await desktop.getByLabel("Why cancel (kept in the audit log)").fill("Cliniko postponed the move");
    await desktop.getByRole("button", { name: "Cancel this campaign…" }).click();
    const dialog = desktop.getByRole("dialog", { name: `Cancel "${campaignName}" for ${OWN - 1} clinics?` });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: `Cancel the campaign (${OWN - 1} clinics)` }).click();
    await desktop.getByRole("status").filter({ hasText: "Campaign cancelled" }).waitFor();
    await desktop.getByText("Cliniko postponed the move").waitFor();
    expect(await desktop.getByRole("button", { name: /Send everyone their reconnect link/ }).count()).toBe(0);
    const states = await handle.db
      .select({ state: connections.state })
      .from(connections)
      .innerJoin(clinics, eq(clinics.id, connections.clinicId))
      .where(like(clinics.name, `${PREFIX}%`));
    expect(states.filter((s) => s.state === "pending_disconnect")).toEqual([]);
  });

  it("without JavaScript the confirm step is a page of its own, and confirming starts the send", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const noJs = await context.newPage();
    try {
      await signIn(noJs, baseUrl, "agent@relink.test");
      await noJs.goto(own);
      await noJs.getByLabel(`Select ${PREFIX} 02`).check();
      await noJs.getByRole("button", { name: "Email reconnect links" }).click();
      await noJs.waitForURL(/\/bulk\?index$/);
      await noJs.getByRole("heading", { name: "Email reconnect links to 1 clinic admin?" }).waitFor();
      expect(await scrollWidth(noJs)).toBeLessThanOrEqual(390);
      await shot(noJs, "phone-confirm-step-nojs");
      await noJs.getByRole("button", { name: "Email reconnect links: 1 clinic" }).click();
      await noJs.waitForURL(/\/bulk\/[0-9a-f-]{36}$/);
      await noJs.getByRole("heading", { name: "Email reconnect links: 1 clinic" }).waitFor();
    } finally {
      await context.close();
    }
  });

  it("pauses all matching clinics only after the confirm step, keyboard only", async () => {
    await desktop.goto(own);
    // why: a checkbox ticked before hydration is state React does not know about
    await desktop.locator("#bulk-form[hidden]").waitFor({ state: "attached" });
    await desktop.getByLabel("Select all clinics on this page").check();
    await desktop.getByLabel(`Select all ${OWN} matching clinics`).check();
    // why hold the table's revalidation after the action: on a loaded machine it comes back after the
    // confirm step; the dialog then opened with its confirm button disabled (busy), focus fell on
    // "Go back" and Enter backed out (the CI flake). Held here, that order is forced every run.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const revalidating = new Promise<void>((r) => (arrived = r));
    const revalidation = /\/clinics\.data\?/;
    await desktop.route(revalidation, async (route) => {
      arrived();
      await held;
      await route.continue();
    });
    try {
      await desktop.getByRole("button", { name: "Pause" }).focus();
      await desktop.keyboard.press("Enter");
      await revalidating;
      // let the page render what the action answered (two frames) before the loaders' answer arrives
      await desktop.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      release();
      const dialog = desktop.getByRole("dialog", { name: new RegExp(`^Pause ${OWN} clinics\\?`) });
      await dialog.waitFor();
      // Enter confirms: focus is on the (enabled) confirm button, not on "Go back"
      expect(await desktop.evaluate(() => (document.activeElement as HTMLButtonElement | null)?.textContent)).toBe(`Pause: ${OWN} clinics`);
      expect(await dialog.getByRole("button", { name: `Pause: ${OWN} clinics` }).isEnabled()).toBe(true);
    } finally {
      release();
      await desktop.unroute(revalidation);
    }
    await shot(desktop, "desktop-focus-ring");
    await desktop.keyboard.press("Enter");
    await desktop.waitForURL(/\/bulk\/[0-9a-f-]{36}$/);
    await desktop.getByRole("heading", { name: `Pause: ${OWN} clinics` }).waitFor();
  });
});

describe("pictures on desktop", () => {
  it("draws the probe strip on a clinic page and failures by vendor and region on the dashboard", async () => {
    // why from the database: whichever demo clinic the worker has probed most, failures first (other files move the fleet)
    const [probed] = await handle.db
      .select({ clinicId: connections.clinicId, ticks: sql<number>`count(*)::int`, failed: sql<number>`(count(*) filter (where not ${probeHistory.ok}))::int` })
      .from(probeHistory)
      .innerJoin(connections, eq(connections.id, probeHistory.connectionId))
      .groupBy(connections.clinicId)
      .orderBy(sql`3 desc`, sql`2 desc`)
      .limit(1);
    expect(probed).toBeDefined();
    await desktop.goto(`${baseUrl}/clinics/${probed!.clinicId}`);
    await desktop.getByRole("heading", { name: "Recent probes" }).waitFor();
    const strip = desktop.getByRole("img", { name: /probes? since/ });
    await strip.waitFor();
    // one tick per stored probe, each with its own hover title
    const drawn = await strip.locator("rect").count();
    expect(drawn).toBeGreaterThanOrEqual(Math.min(probed!.ticks, 60));
    expect(drawn).toBeLessThanOrEqual(60);
    await shot(desktop, "desktop-clinic-probe-strip");

    await desktop.goto(`${baseUrl}/dashboard`);
    const table = desktop.getByRole("table", { name: "Failing clinics by vendor and region" });
    await table.waitFor();
    expect(await table.locator("tbody tr").count()).toBeGreaterThan(0);
    await shot(desktop, "desktop-dashboard-failures");
  });
});
