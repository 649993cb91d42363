import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import fs from "node:fs";
import { launchBrowser, signIn } from "./support/browser.ts";

/**
 * Issue 15: the OpenAPI document over the real server (its own route, ranked above the /api/v1
 * splat, so no token is needed) and the console's reference page rendered from it, under the CSP.
 */
const baseUrl = inject("baseUrl");
let browser: Browser;
let page: Page;
const cspViolations: string[] = [];

type Doc = { paths: Record<string, Record<string, { operationId: string }>> };

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on("console", (m) => {
    if (m.type() === "error") cspViolations.push(m.text());
  });
});
afterAll(async () => {
  await browser?.close();
});

describe("GET /api/v1/openapi.json", () => {
  it("answers without a token, as JSON, cacheable — not the API's 401", async () => {
    const res = await fetch(`${baseUrl}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=300");
    const doc = (await res.json()) as Doc & { openapi: string };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/clinics");
  });
});

describe("the API reference page", () => {
  it("sends a signed-out visitor to sign in", async () => {
    await page.goto(`${baseUrl}/api-docs`);
    await page.waitForURL(/\/login\?redirectTo=%2Fapi-docs/);
  });

  it("is in the nav and shows every operation of the document, with an index that jumps to it", async () => {
    const doc = (await (await fetch(`${baseUrl}/api/v1/openapi.json`)).json()) as Doc;
    await signIn(page, baseUrl);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API", exact: true }).click();
    await page.waitForURL(/\/api-docs$/);
    await page.getByRole("heading", { level: 1, name: "API reference" }).waitFor();
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, id: op.operationId })));
    expect(operations.length).toBeGreaterThan(10);
    for (const op of operations) {
      const article = page.locator(`article#${op.id}`);
      await expect.poll(() => article.locator(".api-path").textContent()).toBe(op.path);
      expect(await article.locator(".api-method").first().textContent()).toBe(op.method.toUpperCase());
      expect(await article.locator(".api-opid").textContent()).toBe(op.id);
      expect(await article.locator("pre.api-curl").textContent()).toContain("Authorization: Bearer $RELINK_TOKEN");
    }
    // why viewport shots, not the helper's full page: the page is ~25,000 px tall, unreadable as one image
    fs.mkdirSync("test-results", { recursive: true });
    await page.screenshot({ path: "test-results/api-docs.png" });
    await page.locator("article#createClinic .api-example-head").scrollIntoViewIfNeeded();
    await page.screenshot({ path: "test-results/api-docs-example.png" });

    await page
      .getByRole("navigation", { name: "API operations" })
      .getByRole("link", { name: /Replace the clinic's API key/ })
      .click();
    await page.waitForURL(/#replaceClinicKey$/);
    await expect.poll(() => page.locator("article#replaceClinicKey").evaluate((el) => Math.round(el.getBoundingClientRect().top))).toBeLessThan(40);
    await page.screenshot({ path: "test-results/api-docs-viewport.png" });
    await page.locator("article#listClinics .api-responses details summary").first().click();
    await page.locator("article#listClinics .api-responses details table").first().waitFor();
    await page.screenshot({ path: "test-results/api-docs-fields.png" });
    await page.getByRole("navigation", { name: "API operations" }).getByRole("link", { name: "Clinic", exact: true }).click();
    await page.waitForURL(/#schema-Clinic$/);
    await expect.poll(() => page.locator("#schema-Clinic").evaluate((el) => Math.round(el.getBoundingClientRect().top))).toBeLessThan(40);
    await page.screenshot({ path: "test-results/api-docs-schema.png" });
    expect(await page.getByRole("link", { name: "OpenAPI document (JSON)" }).getAttribute("href")).toBe("/api/v1/openapi.json");
    expect(cspViolations.filter((t) => /Content Security Policy|Refused to/i.test(t))).toEqual([]);
  });

  it("fits a phone: nothing wider than the screen (tables and examples scroll in their own box)", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await signIn(phone, baseUrl);
    await phone.goto(`${baseUrl}/api-docs#createClinic`);
    await phone.locator("article#createClinic").waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: "test-results/api-docs-phone.png" });
    await phone.close();
  });
});
