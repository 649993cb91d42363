import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, screenshot, signIn } from "./support/browser.ts";

const baseUrl = inject("baseUrl");
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
});

const progressNow = (p: Page) => p.getByRole("progressbar").getAttribute("aria-valuenow").then(Number);
const progressMax = (p: Page) => p.getByRole("progressbar").getAttribute("aria-valuemax").then(Number);

describe("bulk re-probe", () => {
  it("selects several clinics, re-probes them through the worker and watches progress reach done", async () => {
    await signIn(page, baseUrl, "agent@relink.test");
    await page.goto(`${baseUrl}/clinics?vendor=cliniko&sort=name&dir=asc`);
    await expect.poll(() => page.locator("tbody tr").count()).toBeGreaterThanOrEqual(4);
    // why: the bar shows only once something is selected (issue 11); its hidden attribute also says React has hydrated
    await page.locator("#bulk-form[hidden]").waitFor({ state: "attached" });

    const boxes = page.locator("tbody").getByRole("checkbox");
    for (let i = 0; i < 3; i++) await boxes.nth(i).check();
    await page.getByText("3 selected").waitFor();
    await screenshot(page, "bulk-selection");

    await page.getByRole("button", { name: "Re-probe selected" }).click();
    await page.waitForURL(/\/bulk\/[0-9a-f-]{36}$/);
    await page.getByRole("heading", { name: "Re-probe: 3 clinics" }).waitFor();
    expect(await progressMax(page)).toBe(3);
    // why: the page revalidates every second while the worker probes; no reload here
    await expect.poll(() => progressNow(page), { timeout: 30_000, interval: 250 }).toBe(3);
    await page
      .getByRole("status")
      .filter({ hasText: /^Finished/ })
      .waitFor();
    expect(await page.locator("tbody").getByText("Done").count()).toBe(3);
    await screenshot(page, "bulk-progress-done");

    // back to the same filtered view
    await page.getByRole("link", { name: "Back to the clinics" }).click();
    await page.waitForURL(/\/clinics\?vendor=cliniko/);
  });

  it("offers the bulk bar only once a clinic is selected", async () => {
    await page.goto(`${baseUrl}/clinics`);
    await page.locator("#bulk-form[hidden]").waitFor({ state: "attached" });
    expect(await page.getByRole("button", { name: "Re-probe selected" }).isVisible()).toBe(false);
    await page.locator("tbody").getByRole("checkbox").first().check();
    await page.getByText("1 selected").waitFor();
    await page.locator("tbody").getByRole("checkbox").first().uncheck();
    await page.locator("#bulk-form").waitFor({ state: "hidden" });
  });

  it("works without JavaScript: all on this page, then a self-refreshing progress page", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1366, height: 900 } });
    const noJs = await context.newPage();
    try {
      await noJs.goto(`${baseUrl}/login`);
      await noJs.getByLabel("Email").fill("agent@relink.test");
      await noJs.getByLabel("Password").fill("relink-demo");
      await noJs.getByRole("button", { name: "Sign in" }).click();
      await noJs.waitForURL(/\/clinics/);
      await noJs.goto(`${baseUrl}/clinics?vendor=nookal`);
      const rows = await noJs.locator("tbody tr").count();
      await noJs.getByLabel("Select all clinics on this page").check();
      await noJs.getByRole("button", { name: "Re-probe selected" }).click();
      await noJs.waitForURL(/\/bulk\/[0-9a-f-]{36}$/);
      expect(await progressMax(noJs)).toBe(rows);
      // the meta refresh reloads the page until the worker has probed every clinic
      await expect.poll(() => progressNow(noJs), { timeout: 30_000, interval: 500 }).toBe(rows);
      await screenshot(noJs, "bulk-progress-nojs");
    } finally {
      await context.close();
    }
  });

  it("adds a selection to a campaign and shows each clinic's outcome", async () => {
    await page.goto(`${baseUrl}/campaigns`);
    await page.getByLabel("Name", { exact: true }).fill("Nookal EU platform move");
    await page.getByLabel("Vendor").selectOption("nookal");
    await page.getByLabel("Reason (the clinics read this)").fill("Nookal is moving EU accounts to a new platform");
    const deadline = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel("Deadline").fill(deadline);
    await page.getByRole("button", { name: "Create campaign" }).click();
    await page.getByRole("heading", { name: "Nookal EU platform move" }).waitFor();

    await page.goto(`${baseUrl}/clinics?vendor=nookal&region=eu&sort=name`);
    const rows = await page.locator("tbody tr").count();
    expect(rows).toBeGreaterThanOrEqual(2);
    await page.getByLabel("Select all clinics on this page").check();
    await page.getByText(`${rows} selected`).waitFor();
    await page.getByLabel("Campaign").selectOption({ label: `Nookal EU platform move (Nookal, by ${deadline})` });
    await screenshot(page, "bulk-campaign-selection");
    await page.getByRole("button", { name: "Add to campaign" }).click();
    // the server's confirm step, with its count, before anything moves
    await page
      .getByRole("dialog", { name: `Add ${rows} clinics to the campaign "Nookal EU platform move"?` })
      .getByRole("button", { name: `Add to campaign: ${rows} clinics` })
      .click();
    await page.waitForURL(/\/bulk\/[0-9a-f-]{36}$/);
    await page
      .getByRole("status")
      .filter({ hasText: /^Finished/ })
      .waitFor();
    expect(await page.locator("tbody").getByText("Added to the campaign.").count()).toBe(rows);
    await page.getByRole("link", { name: "Nookal EU platform move" }).waitFor();
    await screenshot(page, "bulk-campaign-done");

    // every agent sees the operations, newest first
    await page.getByRole("link", { name: "Bulk actions" }).click();
    await page.getByRole("heading", { name: "Bulk actions" }).waitFor();
    expect(await page.locator("tbody tr").first().textContent()).toContain("Add to campaign");
    expect(await page.locator("tbody").getByText("Re-probe").count()).toBeGreaterThanOrEqual(2);
    await screenshot(page, "bulk-list");
  });

  it("does not offer bulk actions to a viewer", async () => {
    const context = await browser.newContext();
    const viewer = await context.newPage();
    try {
      await signIn(viewer, baseUrl, "viewer@relink.test");
      await viewer.locator("tbody tr").first().waitFor();
      // why the table only: the filters have a "Sync failing" checkbox, which a viewer may use
      expect(await viewer.locator("table.clinics-table").getByRole("checkbox").count()).toBe(0);
      expect(await viewer.getByRole("checkbox", { name: /^Select / }).count()).toBe(0);
      expect(await viewer.getByRole("button", { name: "Re-probe selected" }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
