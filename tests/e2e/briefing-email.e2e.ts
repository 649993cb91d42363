import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BRIEFING_PREVIEW_CSP, previewHtml } from "../../domain/briefings/preview.ts";
import { renderBriefingEmail } from "../../domain/briefings/render.ts";
import { briefingReport, hostileReport, lateBriefing, noHistoryReport } from "../support/briefing-report-fixture.ts";
import { launchBrowser, signIn } from "./support/browser.ts";

/**
 * The weekly briefing email (issue 14) as Chromium lays it out, at a desktop mail pane (700 px)
 * and a phone (375 px): nothing scrolls sideways, the headings are there, the table-cell bars are
 * drawn at the widths the figures say. Screenshots go to BRIEFING_SHOTS (else test-results/).
 */

const SHOTS = process.env.BRIEFING_SHOTS ?? path.resolve("test-results", "briefing-email");
const brand = { productName: "Clinic Connect", logoUrl: null, supportEmail: "help@clinic-connect.example", supportUrl: null };
const late = renderBriefingEmail(lateBriefing.report, {
  brand,
  vendor: "cliniko",
  late: lateBriefing.late,
  setupUrl: "https://console.clinic-connect.example/clinics/x/briefing",
});

let browser: Browser;

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function open(html: string, width: number, colorScheme: "light" | "dark" = "light"): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme, javaScriptEnabled: true });
  page.on("dialog", (d) => {
    throw new Error(`the email ran script: ${d.message()}`);
  });
  await page.setContent(html, { waitUntil: "load" });
  return page;
}

/** Elements whose right edge passes the viewport: what a reader would have to scroll sideways to see. */
const overflow = (page: Page) =>
  page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll("body *")].filter((el) => el.getBoundingClientRect().right > width + 0.5).map((el) => el.tagName);
    return { scrollWidth: document.documentElement.scrollWidth, width, wide };
  });

/** Text whose contrast with the background behind it is under WCAG AA (4.5:1; 3:1 for 18.5 px bold / 24 px text). */
const lowContrast = (page: Page) =>
  page.evaluate(() => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) =>
      [r!, g!, b!].map((v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i]!, 0);
    const background = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const c = rgb(getComputedStyle(el).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3]! > 0)) return c;
      }
      return [255, 255, 255];
    };
    const bad: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement!;
      if (!n.textContent!.trim() || el.closest('[style*="display:none"]')) continue;
      const style = getComputedStyle(el);
      const [a, b] = [lum(rgb(style.color)), lum(background(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.5 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) bad.push(`${n.textContent!.trim().slice(0, 30)} (${ratio.toFixed(2)})`);
    }
    return bad;
  });

describe.each([
  { name: "desktop", width: 700 },
  { name: "phone", width: 375 },
])("the briefing email at $name width ($width px)", ({ name, width }) => {
  it("fits without horizontal scrolling, with its headings and bars, and is saved as a screenshot", async () => {
    const page = await open(late.html, width);
    const o = await overflow(page);
    expect(o.wide).toEqual([]);
    expect(o.scrollWidth).toBeLessThanOrEqual(o.width);
    expect(await lowContrast(page)).toEqual([]);

    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Your week at Harbourside Physio & Pilates");
    const h2 = await page.getByRole("heading", { level: 2 }).allTextContents();
    expect(h2).toEqual(["Three actions for this week", "Practitioners", "Accounts receivable", "Notes", "How these figures are defined"]);
    expect(await page.locator("[data-late]").isVisible()).toBe(true);

    // each bar is painted, and its share of the track is the figure it stands for (±2 points of rounding)
    const bars = await page.locator("[data-bar]").evaluateAll((cells) =>
      cells.map((td) => {
        const cell = td.getBoundingClientRect();
        const track = td.closest("table")!.getBoundingClientRect();
        return {
          kind: td.getAttribute("data-bar"),
          share: Math.round((cell.width / track.width) * 100),
          height: cell.height,
          colour: getComputedStyle(td).backgroundColor,
        };
      }),
    );
    const now = bars.filter((b) => b.kind === "now").map((b) => b.share);
    const expected = [81, 52, 77, 63];
    expect(now).toHaveLength(expected.length);
    now.forEach((share, i) => expect(Math.abs(share - expected[i]!)).toBeLessThanOrEqual(2));
    for (const b of bars) {
      expect(b.height).toBeGreaterThanOrEqual(5);
      expect(b.colour).not.toBe("rgba(0, 0, 0, 0)");
    }
    expect(bars.filter((b) => b.kind === "prev")).toHaveLength(4);
    expect(bars.filter((b) => b.kind === "ar")).toHaveLength(4);
    // headline tiles of one row line up at the same height
    const tiles = await page.locator("[data-figure]").evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().height)));
    for (let i = 0; i + 1 < tiles.length; i += 2) expect(tiles[i]).toBe(tiles[i + 1]);

    await page.screenshot({ path: path.join(SHOTS, `briefing-${name}.png`), fullPage: true });
    await page.close();
  });

  it("stays readable in dark mode (clients that honour prefers-color-scheme)", async () => {
    const page = await open(late.html, width, "dark");
    const colours = await page.evaluate(() => {
      const h1 = document.querySelector("h1")!;
      const card = document.querySelector(".b-card")!;
      return { text: getComputedStyle(h1).color, card: getComputedStyle(card).backgroundColor };
    });
    expect(colours).toEqual({ text: "rgb(243, 244, 246)", card: "rgb(17, 24, 39)" });
    expect((await overflow(page)).wide).toEqual([]);
    expect(await lowContrast(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, `briefing-${name}-dark.png`), fullPage: true });
    await page.close();
  });
});

describe("briefing email edge cases in the browser", () => {
  it("renders hostile clinic and practitioner names as text, running nothing", async () => {
    const page = await open(renderBriefingEmail(hostileReport, { brand }).html, 375);
    expect(await page.locator("script, img").count()).toBe(0);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(`Your week at <script>alert("clinic")</script> & Co`);
    expect(await page.getByText(`<img src=x onerror=alert(1)>"Dr' Bad`).count()).toBe(1);
    await page.close();
  });

  it("lays out a first briefing with no history at phone width", async () => {
    const page = await open(renderBriefingEmail(noHistoryReport, { brand }).html, 375);
    expect((await overflow(page)).wide).toEqual([]);
    expect(await page.locator('[data-bar="prev"]').count()).toBe(0);
    expect(await page.locator('[data-bar="now"]').count()).toBe(4);
    await page.screenshot({ path: path.join(SHOTS, "briefing-phone-no-history.png"), fullPage: true });
    await page.close();
  });

  it("shows the same email under the console preview's policy: styled, nothing runs, nothing framed by others", async () => {
    const page = await browser.newPage({ viewport: { width: 700, height: 900 } });
    const blocked: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });
    const url = "https://console.preview.test/clinics/x/briefing/preview";
    await page.route(url, (route) =>
      route.fulfill({
        status: 200,
        contentType: "text/html; charset=utf-8",
        headers: { "Content-Security-Policy": BRIEFING_PREVIEW_CSP },
        body: previewHtml(briefingReport, brand, { vendor: "cliniko" }),
      }),
    );
    await page.goto(url);
    // inline styles apply (the tiles keep their background) and the dark-mode <style> block is allowed too
    expect(await page.locator('[data-figure="utilisation"]').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe("rgb(246, 248, 251)");
    expect(await page.evaluate(() => document.styleSheets.length)).toBe(1);
    expect(blocked).toEqual([]);
    expect(await page.getByRole("heading", { level: 2 }).count()).toBe(5);
    await page.close();
  });

  it("is served by the console to be framed by the console only, with its own policy replacing the default one", async () => {
    const baseUrl = inject("baseUrl");
    const sql = postgres(inject("databaseUrl"), { max: 1, onnotice: () => {} });
    const [clinic] = await sql<{ id: string }[]>`select id from clinics where archived_at is null order by name limit 1`;
    await sql.end();
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await signIn(page, baseUrl, "viewer@relink.test");
    const url = `${baseUrl}/clinics/${clinic!.id}/briefing/preview`;
    const res = await page.request.get(url);
    // a clinic with no synced week yet still answers with a page saying why, under the same policy
    expect([200, 409]).toContain(res.status());
    const csp = res.headersArray().filter((h) => h.name.toLowerCase() === "content-security-policy");
    expect(csp.map((h) => h.value)).toEqual([BRIEFING_PREVIEW_CSP]);
    expect(res.headers()["x-frame-options"]).toBe("SAMEORIGIN");
    // the console (same origin) can frame it; the frame shows the page's heading
    // why /healthz: a same-origin page without React, so the injected frame is not undone by hydration
    await page.goto(`${baseUrl}/healthz`);
    await page.evaluate((src) => {
      const frame = document.createElement("iframe");
      frame.src = src;
      frame.title = "Briefing preview";
      frame.style.width = "700px";
      frame.style.height = "600px";
      document.body.prepend(frame);
    }, url);
    await expect.poll(() => page.frameLocator('iframe[title="Briefing preview"]').locator("h1").count(), { timeout: 10_000 }).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, "briefing-preview-framed.png") });
    await page.close();
  });
});
