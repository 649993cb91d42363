import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, screenshot, signIn } from "./support/browser.ts";

/**
 * Issue 14, the briefing setup page: from the clinic page to its weekly briefing, the readiness
 * checklist before and after the first sync, a refused recipient shown under its field, a save,
 * and a viewer's read-only view.
 */

const baseUrl = inject("baseUrl");
const SHOTS = "/work/shots/brief-deliver";
const CLINIC = "Yarra Valley Osteopathy";
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1366, height: 900 }, timezoneId: "Australia/Melbourne" });
  await signIn(page, baseUrl, "agent@relink.test");
});
afterAll(async () => {
  await browser?.close();
});

async function shot(name: string) {
  await screenshot(page, `briefing-${name}`);
  if (fs.existsSync(path.dirname(SHOTS))) {
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }
}

async function openClinic() {
  await page.goto(`${baseUrl}/clinics?q=${encodeURIComponent(CLINIC)}`);
  await page.getByRole("link", { name: CLINIC }).first().click();
  await page.getByRole("heading", { name: "Sync" }).waitFor();
}

describe("the weekly briefing setup page", () => {
  it("readiness, first sync, a refused then saved recipient list, the arrival line", async () => {
    await openClinic();
    const card = page.locator(".sync-card");
    const synced = (await card.locator(".badge").first().innerText()) === "Succeeded";
    if (!synced) {
      await page.getByRole("link", { name: "Weekly briefing" }).click();
      await page.getByRole("heading", { name: "Weekly briefing", level: 1 }).waitFor();
      const ready = page.locator("section", { has: page.getByRole("heading", { name: "Readiness" }) });
      expect(await ready.innerText()).toMatch(/To do\s*First full sync done — Run a sync from the clinic page/);
      await expect.poll(() => page.getByRole("status").first().innerText()).toMatch(/Not ready yet/);
      await shot("setup-before-sync");
      await openClinic();
      await card.getByRole("button", { name: "Sync now" }).click();
      await expect.poll(async () => card.locator(".badge").first().innerText(), { timeout: 90_000 }).toBe("Succeeded");
    }
    await page.getByRole("link", { name: "Weekly briefing" }).click();
    await page.getByRole("heading", { name: "Weekly briefing", level: 1 }).waitFor();
    await expect
      .poll(() => page.locator(".result").first().innerText())
      .toMatch(/^Your first briefing arrives Monday \d{1,2} [A-Z][a-z]{2}, 07:00 Australia\/\w+\.$/);
    const practitioners = page.locator('input[name="practitionerIds"]');
    expect(await practitioners.count()).toBeGreaterThan(0);

    // a bad address: refused, the message right under the field, the form kept as typed
    const recipients = page.getByLabel("Recipients");
    await recipients.fill("owner@yarra.example\nnot-an-address");
    await page.getByRole("button", { name: "Save briefing setup" }).click();
    await expect.poll(() => page.locator("#f-recipients-error").innerText()).toMatch(/not an email address/);
    expect(await recipients.getAttribute("aria-invalid")).toBe("true");
    expect(await recipients.inputValue()).toContain("not-an-address");
    await shot("setup-refused");

    await recipients.fill("owner@yarra.example\nmanager@yarra.example");
    await page.getByLabel("Currency").fill("aud");
    await page.getByRole("button", { name: "Save briefing setup" }).click();
    await expect.poll(() => page.locator(".flash").innerText()).toMatch(/Briefing setup saved: recipients, currency\./);
    expect(await page.getByLabel("Recipients").inputValue()).toBe("owner@yarra.example\nmanager@yarra.example");
    await shot("setup-saved");
  });

  it("a viewer reads it, history included, without a way to change it", async () => {
    // why: three past weeks as the delivery job records them (sent late after a hold, skipped with its reason)
    const sql = postgres(inject("databaseUrl"), { max: 1, onnotice: () => {} });
    try {
      const [clinic] = await sql<{ id: string }[]>`select id from clinics where name = ${CLINIC}`;
      await sql`
        insert into briefings (clinic_id, week_start, state, due_at, sent_at, late, held_reason, held_at, skipped_reason, report, recipients)
        values
          (${clinic!.id}, '2026-11-16', 'sent', '2026-11-22T20:00:00Z', '2026-11-22T23:40:00Z', true,
           'The connection is action required (Key rejected), so last week''s figures cannot be trusted.', '2026-11-22T20:00:00Z', null, '{}'::jsonb, '{owner@yarra.example}'),
          (${clinic!.id}, '2026-11-09', 'skipped', '2026-11-15T20:00:00Z', null, false,
           'The last successful sync was 30 hours ago: the data is older than 24 hours.', '2026-11-15T20:00:00Z',
           'Held all Monday, then skipped for the week. The last successful sync was 30 hours ago: the data is older than 24 hours.', null, '{}'),
          (${clinic!.id}, '2026-11-02', 'sent', '2026-11-08T20:00:00Z', '2026-11-08T20:01:00Z', false, null, null, null, '{}'::jsonb, '{owner@yarra.example}')
        on conflict do nothing`;
    } finally {
      await sql.end();
    }
    const viewer = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    try {
      await signIn(viewer, baseUrl, "viewer@relink.test");
      await viewer.goto(`${baseUrl}/clinics?q=${encodeURIComponent(CLINIC)}`);
      await viewer.getByRole("link", { name: CLINIC }).first().click();
      await viewer.getByRole("link", { name: "Weekly briefing" }).click();
      await viewer.getByText("Read-only: changing the briefing needs the agent or admin role").waitFor();
      expect(await viewer.getByRole("button", { name: "Save briefing setup" }).count()).toBe(0);
      expect(await viewer.getByLabel("Recipients").isDisabled()).toBe(true);
      const history = viewer.locator("section", { has: viewer.getByRole("heading", { name: "History" }) });
      const text = await history.innerText();
      expect(text).toMatch(
        /16–22 Nov\s*Sent\s*Late\s*Sent Monday 23 Nov, 10:40 Australia\/Melbourne to owner@yarra.example\s*Held first: The connection is action required/,
      );
      expect(text).toMatch(/9–15 Nov\s*Skipped\s*Held all Monday, then skipped for the week\./);
      await history.scrollIntoViewIfNeeded();
      if (fs.existsSync(path.dirname(SHOTS))) await viewer.screenshot({ path: path.join(SHOTS, "setup-viewer-history.png"), fullPage: true });
    } finally {
      await viewer.close();
    }
  });
});
