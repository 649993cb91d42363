import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));

/** Debian's Chromium, headless and quiet on this closed network; playwright gives it a fresh profile. */
export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error("Chromium is not installed: apt-get install -y chromium");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

export async function signIn(page: Page, baseUrl: string, email = "admin@relink.test", password = "relink-demo") {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/clinics/);
}

/** Screenshots land in test-results/ so a person can look at what the test saw. */
export async function screenshot(page: Page, name: string) {
  fs.mkdirSync("test-results", { recursive: true });
  await page.screenshot({ path: path.join("test-results", `${name}.png`), fullPage: true });
}
