import { eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDb, type DbHandle } from "../../db/client.ts";
import { emailOutbox } from "../../db/schema/index.ts";
import { DEMO_FLEET } from "../../simulator/demo-fleet.ts";
import { controlClient } from "../../simulator/control-client.ts";
import { mailTo } from "./support/mailbox.ts";
import { launchBrowser, screenshot, signIn } from "./support/browser.ts";

const baseUrl = inject("baseUrl");
let browser: Browser;
let page: Page;
let handle: DbHandle;

const REJECTED_KEY = DEMO_FLEET.find((d) => d.clinicName === "Bondi Beach Podiatry")!.key;
// why: one key never serves two clinics (docs/decisions/0026) and reconnect.e2e connects Bondi with
// bondi-current, so Coogee Physio gets a key of its own account
let WORKING_KEY = "";
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  WORKING_KEY = (await controlClient(inject("simulatorUrl")).createClinikoAccount({ shard: "au3", businessName: "Coogee Physio", patients: 300 })).keys[0]!.key;
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  handle = openDb(inject("databaseUrl"), { max: 2, applicationName: "relink-e2e" });
});
afterAll(async () => {
  await browser?.close();
  await handle?.close();
});

describe("adding a clinic by hand", () => {
  it("shows the classified verdict for a rejected key, keeps the form, and never puts the key in the page", async () => {
    await signIn(page, baseUrl, "agent@relink.test");
    await page.getByRole("link", { name: "Add clinic" }).click();
    await page.getByRole("heading", { name: "Add a clinic" }).waitFor();
    await page.getByLabel("Clinic name").fill("Coogee Physio");
    await page.getByLabel("Time zone").selectOption("Australia/Sydney");
    await page.getByLabel("Country").fill("AU");
    await page.getByLabel("Clinic admin's name").fill("Jo Lee");
    await page.getByLabel("Clinic admin's email").fill("jo@coogee.example");
    await page.getByLabel("API key").fill(REJECTED_KEY);
    await page.getByRole("button", { name: "Check the key and add the clinic" }).click();
    const verdict = page.getByRole("alert").filter({ hasText: "Not saved: Key rejected" });
    await verdict.waitFor();
    expect(await verdict.textContent()).toContain("Tell the clinic");
    expect(await page.getByLabel("Clinic name").inputValue()).toBe("Coogee Physio");
    expect(await page.content()).not.toContain(REJECTED_KEY.slice(0, 24));
    await screenshot(page, "add-clinic-rejected");
  });

  it("saves the clinic once the key works and lands on its page, healthy", async () => {
    await page.getByLabel("API key").fill(WORKING_KEY);
    await page.getByRole("button", { name: "Check the key and add the clinic" }).click();
    await page.waitForURL(/\/clinics\/[0-9a-f-]{36}$/);
    await page.getByRole("heading", { name: "Coogee Physio" }).waitFor();
    await page.getByRole("status").filter({ hasText: "Coogee Physio added" }).waitFor();
    expect(await page.locator(".page-head .badge").textContent()).toBe("Healthy");
    await screenshot(page, "add-clinic-saved");
  });
});

describe("a migration campaign", () => {
  it("is created, and a list with one bad line is refused with that line until it is fixed", async () => {
    await page.getByRole("link", { name: "Campaigns", exact: true }).click();
    await page.getByLabel("Name", { exact: true }).fill("Cliniko AU key rotation");
    await page.getByLabel("Vendor").selectOption("cliniko");
    await page.getByLabel("Reason (the clinics read this)").fill("Cliniko is retiring old API keys");
    await page.getByLabel("Deadline").fill(inDays(14));
    await page.getByRole("button", { name: "Create campaign" }).click();
    await page.getByRole("heading", { name: "Cliniko AU key rotation" }).waitFor();

    await page
      .getByLabel("CSV file")
      .setInputFiles({ name: "clinics.csv", mimeType: "text/csv", buffer: Buffer.from("name\r\nCoogee Physio\r\nNo Such Clinic\r\nCamden Sports Clinic\r\n") });
    await page.getByRole("button", { name: "Check and add" }).click();
    const errors = page.getByRole("alert").filter({ hasText: "Nothing was added" });
    await errors.waitFor();
    expect(await errors.locator("tbody tr").count()).toBe(1);
    expect(await errors.locator("tbody td").first().textContent()).toBe("3");
    expect(await errors.textContent()).toContain('No clinic is called "No Such Clinic"');
    await screenshot(page, "campaign-csv-bad-line");

    // fix it in place: the list came back in the text box
    const text = page.getByLabel("…or paste the list");
    expect(await text.inputValue()).toContain("No Such Clinic");
    await text.fill("name\nCoogee Physio\nCamden Sports Clinic\n");
    await page.getByRole("button", { name: "Check and add" }).click();
    await page.getByRole("status").filter({ hasText: "Added 2 clinics" }).waitFor();
    expect(await page.locator("tbody tr").count()).toBe(2);
  });

  it("sends everyone their link with progress, and the progress view turns live when a clinic reconnects", async () => {
    await page.getByRole("button", { name: /Send everyone their reconnect link \(2\)/ }).click();
    // the confirm step names the count before any email goes
    await page.getByRole("dialog", { name: "Email reconnect links to 2 clinic admins?" }).getByRole("button", { name: "Send 2 links" }).click();
    await page.getByRole("status").filter({ hasText: "Done: 2 sent" }).waitFor({ timeout: 20_000 });
    await expect
      .poll(
        () =>
          page
            .locator("tbody")
            .getByText(/^Link made/)
            .count(),
        { timeout: 15_000 },
      )
      .toBe(2);
    await screenshot(page, "campaign-links-sent");

    // why: the link's token exists only in the email the delivery worker really sent (issue 10, security 1 and reliability 1)
    await expect.poll(async () => (await mailTo(inject("mailDir"), "jo@coogee.example")).length, { timeout: 20_000 }).toBe(1);
    const [mail] = await mailTo(inject("mailDir"), "jo@coogee.example");
    const link = /https?:\/\/\S+\/reconnect\/[A-Za-z0-9_-]{43}/.exec(mail!)![0];
    const [stored] = await handle.db.select({ text: emailOutbox.text }).from(emailOutbox).where(eq(emailOutbox.to, "jo@coogee.example"));
    expect(stored!.text).not.toContain(link.split("/").pop());
    expect(stored!.text).toContain(`/reconnect/…${link.slice(-4)}`);
    const clinicPage = await browser.newPage();
    await clinicPage.goto(link);
    await clinicPage.getByLabel("Cliniko API key").fill(WORKING_KEY);
    await clinicPage.getByRole("button", { name: "Check and connect" }).click();
    await clinicPage.getByRole("heading", { name: /is reconnected/ }).waitFor();
    await clinicPage.close();

    // no reload: the page re-reads itself while open
    const reconnected = page
      .locator("a.stat")
      .filter({ has: page.locator(".stat-label", { hasText: /^Reconnected$/ }) })
      .locator(".stat-value");
    await expect.poll(() => reconnected.textContent(), { timeout: 25_000, interval: 500 }).toBe("1");
    await screenshot(page, "campaign-progress");
  });
});

describe("admin screens: import, edit and archive", () => {
  it("imports a CSV only once every line is right, then edits and archives a clinic", async () => {
    await page.context().clearCookies();
    await signIn(page, baseUrl, "admin@relink.test");
    await page.getByRole("link", { name: "Import CSV" }).click();
    const header = "name,time_zone,country,admin_name,admin_email,vendor,region,api_version,key";
    await page.getByLabel("CSV file").setInputFiles({
      name: "new.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(`${header}\nBronte Hands,Australia/Sydney,AU,Kim,kim@bronte.example,cliniko,,,\nNowhere Clinic,Mars/Base,UK,,,nookal,,,\n`),
    });
    await page.getByRole("button", { name: "Check and import" }).click();
    const errors = page.getByRole("alert").filter({ hasText: "Nothing was imported" });
    await errors.waitFor();
    expect(await errors.locator("tbody tr").count()).toBe(3);
    await screenshot(page, "import-csv-errors");
    await page.getByLabel("CSV file").setInputFiles({
      name: "new.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(`${header}\nBronte Hands,Australia/Sydney,AU,Kim,kim@bronte.example,cliniko,,,\n`),
    });
    await page.getByRole("button", { name: "Check and import" }).click();
    await page.getByRole("status").filter({ hasText: "Imported 1 clinic" }).waitFor();

    await page.goto(`${baseUrl}/clinics?q=Bronte`);
    await page.getByRole("link", { name: "Bronte Hands" }).click();
    await page.getByRole("link", { name: "Edit or archive…" }).click();
    await page.getByLabel("Clinic admin's name").fill("Kim Ng");
    await page.getByRole("button", { name: "Save details" }).click();
    await page.getByRole("status").filter({ hasText: "Saved: admin name" }).waitFor();
    await page.getByRole("link", { name: "Edit or archive…" }).click();
    await page.getByRole("button", { name: "Archive clinic" }).click();
    await page.getByText("Tick the box to confirm").waitFor();
    await screenshot(page, "edit-clinic");
    await page.getByLabel("Yes, archive Bronte Hands").check();
    await page.getByRole("button", { name: "Archive clinic" }).click();
    await page.getByRole("status").filter({ hasText: "Clinic archived" }).waitFor();
    await page.goto(`${baseUrl}/clinics/archived`);
    await page.getByRole("link", { name: "Bronte Hands" }).waitFor();
    await screenshot(page, "archived-clinics");
    await page.goto(`${baseUrl}/campaigns`);
    await page.getByRole("link", { name: "Cliniko AU key rotation" }).waitFor();
    await screenshot(page, "campaigns");
  });
});
