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

describe("console walking skeleton", () => {
  it("sends a signed-out visitor to sign in, and refuses a wrong password", async () => {
    await page.goto(`${baseUrl}/clinics`);
    await page.waitForURL(/\/login\?redirectTo=%2Fclinics/);
    await page.getByLabel("Email").fill("admin@relink.test");
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("do not match");
    await screenshot(page, "login-refused");
  });

  it("lists the demo fleet with states once the worker has probed it", async () => {
    await signIn(page, baseUrl);
    await expect.poll(() => page.locator("tbody tr").count()).toBeGreaterThanOrEqual(10);
    // why: the worker probes the fleet right after start; reload until the probes have landed
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.locator("tbody").getByText("Action required").count();
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBeGreaterThan(0);
    await page.locator("tbody").getByText("Healthy").first().waitFor();
    await screenshot(page, "clinics");
  });

  it("opens a broken clinic and shows its timeline with evidence", async () => {
    await page.goto(`${baseUrl}/clinics?state=action_required`);
    await page.locator("tbody tr a").first().click();
    await page.getByRole("heading", { name: "Timeline" }).waitFor();
    await page.locator("ol.timeline li").first().waitFor();
    await screenshot(page, "clinic");
  });

  it("reports database and queue health", async () => {
    const res = await fetch(`${baseUrl}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe("ok");
    expect(body.checks.database?.ok).toBe(true);
    expect(body.checks.queue?.ok).toBe(true);
  });
});
