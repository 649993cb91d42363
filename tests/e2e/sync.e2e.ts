import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, screenshot, signIn } from "./support/browser.ts";

/**
 * Issue 13, visible sync: "Sync now" on the clinic page runs in the product's worker; the card's
 * progress bar moves while it runs and the card shows each resource once it succeeded; a sync that
 * fails puts the clinic under the fleet table's "Sync failing" filter.
 */

const baseUrl = inject("baseUrl");
const simulatorUrl = inject("simulatorUrl");
const SHOTS = "/work/shots/sync";
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1366, height: 900 }, timezoneId: "Australia/Sydney" });
  await signIn(page, baseUrl, "agent@relink.test");
});
afterAll(async () => {
  await fetch(`${simulatorUrl}/_control/accounts/yarra-valley/faults`, { method: "DELETE" });
  await browser?.close();
});

async function shot(name: string) {
  await screenshot(page, `sync-${name}`);
  if (fs.existsSync(path.dirname(SHOTS))) {
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }
}

async function openClinic(name: string) {
  await page.goto(`${baseUrl}/clinics?q=${encodeURIComponent(name)}`);
  await page.getByRole("link", { name }).first().click();
  await page.getByRole("heading", { name: "Sync" }).waitFor();
}

describe("sync, visible", () => {
  it("Sync now: a live progress bar while it runs, every resource succeeded after", async () => {
    // why: slow answers keep the sync running long enough to watch its bar move
    const res = await fetch(`${simulatorUrl}/_control/accounts/yarra-valley/faults`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ latencyMs: 250 }),
    });
    expect(res.ok).toBe(true);
    await openClinic("Yarra Valley Osteopathy");
    const card = page.locator(".sync-card");
    await card.getByRole("button", { name: "Sync now" }).click();
    await expect.poll(async () => card.locator(".badge").first().innerText(), { timeout: 30_000 }).toBe("Running");
    const bar = card.getByRole("progressbar", { name: "Sync progress" });
    // the page re-reads itself every few seconds while running: the bar advances without a reload
    await expect.poll(async () => Number(await bar.getAttribute("aria-valuenow")), { timeout: 30_000 }).toBeGreaterThan(10);
    await card.scrollIntoViewIfNeeded();
    await shot("clinic-sync-running");
    await fetch(`${simulatorUrl}/_control/accounts/yarra-valley/faults`, { method: "DELETE" });
    await expect.poll(async () => card.locator(".badge").first().innerText(), { timeout: 60_000 }).toBe("Succeeded");
    expect(await bar.getAttribute("aria-valuenow")).toBe("100");
    await expect.poll(async () => card.locator("tbody tr").count()).toBeGreaterThanOrEqual(9);
    expect(await card.locator("tbody").innerText()).toContain("Appointments");
    expect(await page.locator("body").innerText()).not.toMatch(/not running yet/i);
    await shot("clinic-sync-succeeded");
  });

  it("a Nookal clinic's card says when each resource was last listed whole (where deletions are found)", async () => {
    await openClinic("Brisbane Northside Physio");
    const card = page.locator(".sync-card");
    await card.getByRole("button", { name: /Sync now|Sync running/ }).click();
    await expect.poll(async () => card.locator(".badge").first().innerText(), { timeout: 90_000 }).toBe("Succeeded");
    await expect.poll(async () => card.locator("tbody").innerText()).toMatch(/Patients[\s\S]*Last full check/);
    await card.scrollIntoViewIfNeeded();
    await shot("clinic-sync-nookal-full-check");
    fs.mkdirSync("/work/shots/nookal", { recursive: true });
    await card.screenshot({ path: "/work/shots/nookal/sync-card-last-full-check.png" });
  });

  it("a failed sync lists the clinic under the fleet's Sync failing filter, sortable by last sync", async () => {
    await openClinic("Fremantle Allied Health");
    const card = page.locator(".sync-card");
    await card.getByRole("button", { name: /Sync now|Sync running/ }).click();
    await expect.poll(async () => card.locator(".badge").first().innerText(), { timeout: 90_000 }).toBe("Failed");
    expect(await card.innerText()).toMatch(/Could not learn the account|patients/i);
    await page.goto(`${baseUrl}/clinics?sync=failing&sort=lastSync&dir=desc`);
    const table = page.locator("table").first();
    await expect.poll(async () => table.innerText()).toContain("Fremantle Allied Health");
    expect(await page.getByRole("checkbox", { name: "Sync failing" }).isChecked()).toBe(true);
    expect(await table.innerText()).not.toContain("Yarra Valley Osteopathy");
    await shot("fleet-sync-failing");
  }, 120_000);
});
