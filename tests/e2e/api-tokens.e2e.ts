import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, screenshot, signIn } from "./support/browser.ts";

/**
 * An admin creates an API token on /api-tokens, copies it from the once-only banner, uses it
 * against the real server's /api/v1, and revokes it through the confirm dialog (issue 15).
 */

const baseUrl = inject("baseUrl");
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
  page = await context.newPage();
});
afterAll(async () => {
  await browser?.close();
});

const api = (path: string, token: string, init: RequestInit = {}) =>
  fetch(`${baseUrl}/api/v1${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });

describe("API tokens in the console", () => {
  let token = "";

  it("creates a token shown once, copies it, and the token works against /api/v1", async () => {
    await signIn(page, baseUrl);
    // the nav's one API entry is the reference; an admin goes on from it to the tokens
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "API reference" }).waitFor();
    await page.getByRole("main").getByRole("link", { name: "API tokens" }).click();
    await page.getByRole("heading", { name: "API tokens" }).waitFor();
    await screenshot(page, "api-tokens-empty");

    await page.getByLabel("Name").fill("Onboarding service");
    await page.getByLabel("Access").selectOption("write");
    await page.getByLabel("Calls per minute").fill("120");
    const answered = page.waitForResponse((r) => r.url().includes("/api-tokens") && r.request().method() === "POST");
    await page.getByRole("button", { name: "Create token" }).click();
    expect((await answered).headers()["cache-control"]).toBe("no-store");
    const banner = page.getByRole("status").filter({ hasText: "you won’t see this token again" });
    await banner.waitFor();
    token = await page.getByLabel("The new API token").inputValue();
    expect(token).toMatch(/^rlk_[A-Za-z0-9_-]{43}$/);
    await page.getByRole("button", { name: "Copy token" }).click();
    await page.getByRole("button", { name: "Copied ✓" }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await screenshot(page, "api-tokens-created");

    const ok = await api("/failure-codes", token);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("ratelimit-limit")).toBe("120");

    // why through the real server: its body limit answers a too-big API body in the API's own shape
    const big = await api("/clinics", token, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "x".repeat(70_000) }),
    });
    expect(big.status).toBe(413);
    expect(big.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await big.json()).toMatchObject({ status: 413, code: "payload_too_large" });

    // why: shown once: a fresh load of the page has only its hint
    await page.reload();
    await page.getByText(`rlk_…${token.slice(-4)}`).waitFor();
    expect(await page.content()).not.toContain(token);
  });

  it("revokes it after a confirmation; the token then gets 401", async () => {
    await page.getByRole("button", { name: "Revoke Onboarding service" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText("cannot be brought back").waitFor();
    await screenshot(page, "api-tokens-confirm");
    await dialog.getByRole("button", { name: "Revoke the token" }).click();
    await page.getByText("is revoked; calls with it now get 401").waitFor();
    await page
      .getByText(/^Revoked/)
      .first()
      .waitFor();
    await screenshot(page, "api-tokens-revoked");
    expect((await api("/failure-codes", token)).status).toBe(401);
  });
});
