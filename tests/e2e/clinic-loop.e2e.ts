import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDb, type DbHandle } from "../../db/client.ts";
import { alertNotifications, clinics, connectionEvents, connections } from "../../db/schema/index.ts";
import { keyringFromConfig, sealApiKey } from "../../domain/connections/key-storage.ts";
import { controlClient } from "../../simulator/control-client.ts";
import { launchBrowser, signIn } from "./support/browser.ts";

/**
 * Closing the loop with the clinic (docs/decisions/0027), through the real product: a clinic of
 * our own whose key gets archived in Cliniko, the "action needed" email the worker really sent
 * (read from the SMTP sink), its link reconnecting the clinic in Chromium, then "works again".
 */

const baseUrl = inject("baseUrl");
const mailDir = inject("mailDir");
const dataDir = inject("dataDir");
const control = controlClient(inject("simulatorUrl"));
const SHOTS = "/work/shots/clinic-loop";
let browser: Browser;
let handle: DbHandle;

beforeAll(async () => {
  browser = await launchBrowser();
  handle = openDb(inject("databaseUrl"), { max: 2, applicationName: "relink-e2e-clinic-loop" });
  fs.mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await handle?.close();
});

async function shot(page: Page, name: string) {
  // why: screenshots are outside the repo, for a person to look at what the journey saw
  if (fs.existsSync(path.dirname(SHOTS))) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

interface Mail {
  from: string;
  subject: string;
  text: string;
  html: string;
}

/** MIME encoded words (`=?UTF-8?Q?…?=`, nodemailer's form for a subject with "—") as plain text. */
function decodeWords(header: string): string {
  return header.replace(/=\?UTF-8\?([QB])\?([^?]*)\?=(\s+(?==\?))?/gi, (_m, enc: string, text: string) =>
    enc.toUpperCase() === "B"
      ? Buffer.from(text, "base64").toString("utf8")
      : Buffer.from(
          text.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
          "latin1",
        ).toString("utf8"),
  );
}

function decodeBody(body: string, encoding: string): string {
  if (/base64/i.test(encoding)) return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (/quoted-printable/i.test(encoding))
    return Buffer.from(
      body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      "latin1",
    ).toString("utf8");
  return body;
}

/** The emails the SMTP sink holds for `to`, parsed just enough: headers unfolded and decoded, the text and HTML parts. */
function mailsTo(to: string): Mail[] {
  const files = fs.existsSync(mailDir)
    ? fs
        .readdirSync(mailDir)
        .filter((f) => f.endsWith(".eml"))
        .sort()
    : [];
  const out: Mail[] = [];
  for (const f of files) {
    const raw = fs.readFileSync(path.join(mailDir, f), "utf8");
    const split = raw.indexOf("\r\n\r\n");
    const headers = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
    const header = (name: string) => decodeWords(new RegExp(`^${name}: (.*)$`, "mi").exec(headers)?.[1] ?? "");
    if (!header("To").includes(to)) continue;
    const boundary = /boundary="([^"]+)"/i.exec(headers)?.[1];
    const parts = boundary ? raw.slice(split).split(`--${boundary}`) : [raw.slice(split)];
    const part = (type: string) => {
      const p = parts.find((x) => new RegExp(`Content-Type: ${type}`, "i").test(x));
      if (!p) return "";
      const cut = p.indexOf("\r\n\r\n");
      return decodeBody(p.slice(cut + 4), /Content-Transfer-Encoding: (\S+)/i.exec(p.slice(0, cut))?.[1] ?? "7bit");
    };
    out.push({ from: header("From"), subject: header("Subject"), text: part("text/plain"), html: part("text/html") });
  }
  return out;
}

/** Polls the SMTP sink (no fixed sleep) until a message to `to` has a matching subject. */
async function waitForMail(to: string, subject: RegExp, timeoutMs = 45_000): Promise<Mail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = mailsTo(to).find((m) => subject.test(m.subject));
    if (found) return found;
    if (Date.now() > deadline)
      throw new Error(`no email to ${to} with a subject matching ${subject} within ${timeoutMs} ms: ${JSON.stringify(mailsTo(to).map((m) => m.subject))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("the clinic loop, in Chromium", () => {
  it("an action-needed email whose link reconnects the clinic, then the works-again email", async () => {
    // a clinic of our own, healthy on a simulator account, with a key that support did not see archived
    const account = await control.createClinikoAccount({ shard: "au1", patients: 25, patientsOnly: true });
    const oldKey = account.keys[0]!.key;
    const adminEmail = `loop-${Date.now()}@clinic.example`;
    const [clinic] = await handle.db
      .insert(clinics)
      .values({ name: `Loop Lane Physio ${Date.now() % 100000}`, timeZone: "Australia/Brisbane", country: "AU", adminName: "Robin", adminEmail })
      .returning();
    const keyring = keyringFromConfig(fs.readFileSync(path.join(dataDir, "master.key"), "utf8").trim(), "k1");
    const [conn] = await handle.db
      .insert(connections)
      .values({ clinicId: clinic!.id, vendor: "cliniko", region: "au1", apiVersion: "v1", state: "healthy", everHadPatients: true, visiblePatientCount: 25 })
      .returning();
    await handle.db
      .update(connections)
      .set(sealApiKey(keyring, conn!.id, { vendor: "cliniko", key: oldKey, region: "au1" }))
      .where(eq(connections.id, conn!.id));
    await handle.db
      .insert(connectionEvents)
      .values({ connectionId: conn!.id, clinicId: clinic!.id, kind: "created", toState: "healthy", actor: "system", message: "Created by clinic-loop.e2e" });

    await control.archiveClinikoKey(oldKey);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, extraHTTPHeaders: { "X-Forwarded-For": "198.51.100.201" } });
    const page = await context.newPage();
    try {
      // support probes (twice: a rejection after a healthy history is confirmed before alarming)
      await signIn(page, baseUrl);
      await page.goto(`${baseUrl}/clinics/${clinic!.id}`);
      for (let i = 0; i < 2; i++) {
        const done = page.waitForResponse((r) => r.request().method() === "POST");
        await page.getByRole("button", { name: "Probe now" }).click();
        await done;
        await page.waitForLoadState("networkidle");
      }

      await expect
        .poll(async () => (await handle.db.select({ s: connections.state }).from(connections).where(eq(connections.id, conn!.id)))[0]!.s)
        .toBe("action_required");
      // the worker really sent it: the stored message says so (Queued until then)
      const sentStatus = async () =>
        JSON.stringify(
          await handle.db
            .select({ event: alertNotifications.event, status: alertNotifications.status, error: alertNotifications.lastError })
            .from(alertNotifications)
            .where(eq(alertNotifications.clinicId, clinic!.id)),
        );
      await expect.poll(sentStatus, { timeout: 45_000 }).toMatch(/"event":"opened","status":"delivered"/);
      const action = await waitForMail(adminEmail, /^Action needed: reconnect Cliniko to Clinic Connect/);
      expect(action.from).toBe("Clinic Connect <alerts@clinic-connect.example>");
      expect(JSON.stringify(action)).not.toMatch(/relink/i);
      expect(action.text).toMatch(/works once, until .+\(Australia\/Brisbane\)/);
      const link = /(http:\/\/[^\s"<]+\/reconnect\/[A-Za-z0-9_-]{43})/.exec(action.text)?.[1];
      expect(action.html).toContain(link);
      expect(link).toBeDefined();

      // the email as the clinic sees it (HTML part)
      const mailPage = await context.newPage();
      await mailPage.setContent(action.html);
      await shot(mailPage, "email-action-needed");
      await mailPage.close();

      // the clinic opens the link: the vendor's brand, read-only and how to revoke, the exact expiry
      // (in a browser of its own: the clinic admin is nobody signed in to the console)
      const clinicContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, extraHTTPHeaders: { "X-Forwarded-For": "198.51.100.202" } });
      const clinicPage = await clinicContext.newPage();
      await clinicPage.goto(link!);
      await expect.poll(() => clinicPage.title()).toMatch(/Reconnect Cliniko to Clinic Connect/);
      const html = await clinicPage.content();
      expect(html).not.toMatch(/relink/i);
      await expect.poll(() => clinicPage.getByText("Read-only:").count()).toBe(1);
      expect(await clinicPage.getByText("My Info → Manage API keys → Archive").count()).toBeGreaterThan(0);
      await shot(clinicPage, "reconnect-page-brand");

      // a key cut off: a short message right under the field
      await clinicPage.getByLabel("Cliniko API key").fill("MS0xMjM0");
      await Promise.all([
        clinicPage.waitForResponse((r) => r.request().method() === "POST"),
        clinicPage.getByRole("button", { name: "Check and connect" }).click(),
      ]);
      await expect.poll(() => clinicPage.locator("#rc-key-error").count()).toBe(1);
      // what the clinic reads says no jargon (the support mailto carries the packet for support)
      expect(await clinicPage.locator("body").innerText()).not.toMatch(/malformed|rejected|HTTP 401|relink/i);
      expect(await clinicPage.content()).not.toMatch(/relink/i);
      await shot(clinicPage, "reconnect-field-error");

      // the right key this time
      const fresh = await control.addClinikoKey(account.id, {});
      await clinicPage.getByLabel("Cliniko API key").fill(fresh.key);
      await clinicPage.getByRole("button", { name: "Check and connect" }).click();
      await clinicPage.waitForURL(/\/reconnect\/done/);
      expect(await clinicPage.content()).not.toMatch(/relink/i);
      await shot(clinicPage, "reconnect-done");
      await clinicContext.close();

      const worksAgain = await waitForMail(adminEmail, /^Clinic Connect works again with Cliniko/);
      expect(worksAgain.text).toContain("Nothing more to do on your side");
      expect(JSON.stringify(worksAgain)).not.toMatch(/relink/i);
      const worksPage = await context.newPage();
      await worksPage.setContent(worksAgain.html);
      await shot(worksPage, "email-works-again");
      await worksPage.close();
      const [after] = await handle.db.select({ state: connections.state }).from(connections).where(eq(connections.id, conn!.id));
      expect(after!.state).toBe("healthy");

      // the clinic page says what the clinic was sent, Sent only once the worker sent it
      await page.goto(`${baseUrl}/clinics/${clinic!.id}`);
      const emails = page.locator("section", { has: page.getByRole("heading", { name: "Emails to the clinic" }) });
      await expect.poll(() => emails.innerText()).toMatch(/Sent\s+Clinic Connect works again with Cliniko/);
      expect(await emails.innerText()).toMatch(/Sent\s+Action needed: reconnect Cliniko to Clinic Connect/);
      await shot(page, "clinic-page-emails");

      // the outbox: statuses, tokens masked
      await page.goto(`${baseUrl}/deliveries`);
      const outbox = await page.content();
      expect(outbox).not.toContain(link!.split("/reconnect/")[1]!);
      expect(await page.getByRole("button", { name: "Resend a new link" }).count()).toBeGreaterThan(0);
      await shot(page, "outbox");
    } finally {
      await context.close();
    }
  });
});
