import type { Browser, Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, screenshot, signIn } from "./support/browser.ts";

/** The webhook pages in Chromium (docs/webhooks.md): subscribe with the secret shown once, then the delivery log. */

const baseUrl = inject("baseUrl");
const databaseUrl = inject("databaseUrl");
let browser: Browser;
let page: Page;
let sql: postgres.Sql;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await signIn(page, baseUrl);
});
afterAll(async () => {
  await browser?.close();
  await sql?.end({ timeout: 5 });
});

describe("webhook subscriptions", () => {
  it("an admin subscribes a receiver, sees its secret once, and follows its deliveries", async () => {
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.waitForURL(/\/webhooks$/);
    await page.getByLabel("Receiver URL").fill("https://93.184.216.34/relink-hooks");
    await page.getByLabel("Description (optional)").fill("Ops channel");
    await page.getByRole("checkbox", { name: "briefing.sent" }).uncheck();
    await page.getByRole("button", { name: "Add receiver" }).click();
    const secret = (await page.getByRole("status").locator(".mono").innerText()).split(/\s/)[0]!;
    expect(secret).toMatch(/^whsec_/);
    await expect.poll(() => page.getByRole("button", { name: "Copy secret" }).count()).toBe(1);
    await screenshot(page, "webhooks-created");

    // the secret is gone on the next view of the page
    await page.goto(`${baseUrl}/webhooks`);
    expect(await page.content()).not.toContain(secret);
    const [sub] = await sql<{ id: string }[]>`select id from webhook_subscriptions where url = 'https://93.184.216.34/relink-hooks'`;
    // a delivery log to look at: one delivered, one retrying (the receiver is not reachable from here anyway)
    const [ok] = await sql<
      { id: string }[]
    >`insert into webhook_deliveries (subscription_id, event_id, event_type, status, attempt_count, next_attempt_at, last_attempt_at, last_http_status)
      values (${sub!.id}, gen_random_uuid(), 'alert.opened', 'succeeded', 1, now(), now() - interval '2 hours', 204) returning id`;
    await sql`insert into webhook_attempts (delivery_id, attempt, at, ok, http_status, duration_ms) values (${ok!.id}, 1, now() - interval '2 hours', true, 204, 87)`;
    const [bad] = await sql<
      { id: string }[]
    >`insert into webhook_deliveries (subscription_id, event_id, event_type, status, attempt_count, next_attempt_at, last_attempt_at, last_http_status, last_error)
      values (${sub!.id}, gen_random_uuid(), 'connection.recovered', 'failed', 3, now() + interval '25 minutes', now() - interval '5 minutes', 503, 'HTTP 503: upstream unavailable') returning id`;
    for (const [n, minutes] of [
      [1, 10],
      [2, 9],
      [3, 5],
    ] as const)
      await sql`insert into webhook_attempts (delivery_id, attempt, at, ok, http_status, duration_ms, error) values (${bad!.id}, ${n}, now() - make_interval(mins => ${minutes}), false, 503, 120, 'HTTP 503: upstream unavailable')`;

    await page.reload();
    await screenshot(page, "webhooks-list");
    await page.getByRole("link", { name: "https://93.184.216.34/relink-hooks" }).click();
    await page.waitForURL(/\/webhooks\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.getByRole("button", { name: "Redeliver" }).count()).toBe(2);
    await page.locator("details summary", { hasText: "3" }).click();
    await screenshot(page, "webhooks-detail");

    await page.getByRole("button", { name: "Rotate secret" }).click();
    await page.getByRole("button", { name: "Rotate the secret" }).click();
    const rotated = (await page.getByRole("status").locator(".mono").innerText()).split(/\s/)[0]!;
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
  });
});
