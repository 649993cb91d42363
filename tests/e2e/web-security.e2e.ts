import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDb, type DbHandle } from "../../db/client.ts";
import { ensureUser } from "../../db/queries/users.ts";
import { users } from "../../db/schema/index.ts";
import { hashPassword } from "../../domain/auth/passwords.ts";
import { launchBrowser } from "./support/browser.ts";
import { startWebChild, type WebChild } from "./support/web-server.ts";

/**
 * Issue 10, Security 2–7 and Reliability 6, against the real web server (scripts/web.ts as a child
 * process) and, where a browser decides, Chromium. Accounts and client addresses are this file's
 * own, so its failed sign-ins lock nobody the other journeys use.
 */
const databaseUrl = inject("databaseUrl");
const dataDir = inject("dataDir");
const PASSWORD = "websec-password-123";
const EMAIL = (name: string) => `websec-${name}@relink.test`;

let db: DbHandle;
let web: WebChild;
let browser: Browser;
let addressSeq = 0;
/** A fresh client address per scenario (the child trusts one X-Forwarded-For hop, like a load balancer). */
const freshAddress = () => `203.0.113.${++addressSeq}`;

async function makeUser(name: string, role: "admin" | "agent" | "viewer") {
  const id = await ensureUser({ email: EMAIL(name), name: `Websec ${name}`, role, passwordHash: await hashPassword(PASSWORD) }, db.db);
  return { id, email: EMAIL(name) };
}

function form(fields: Record<string, string>) {
  return new URLSearchParams(fields).toString();
}

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  return fetch(url, { method: "POST", body, redirect: "manual", headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers } });
}

/** Signs in through the login form like a browser on our origin; returns the session cookie pair. */
async function signInCookie(base: string, email: string, address = freshAddress()): Promise<string> {
  const res = await post(`${base}/login`, form({ email, password: PASSWORD, redirectTo: "/clinics" }), { Origin: base, "X-Forwarded-For": address });
  expect(res.status).toBe(302);
  const cookie = res.headers.getSetCookie().find((c) => /^(__Host-)?__?relink=/.test(c) || c.startsWith("__relink="));
  expect(cookie).toBeTruthy();
  return cookie!.split(";")[0]!;
}

beforeAll(async () => {
  db = openDb(databaseUrl, { max: 3, applicationName: "relink-websec-test" });
  web = await startWebChild({ NODE_ENV: "development", DATABASE_URL: databaseUrl, DATA_DIR: dataDir, TRUST_PROXY_HOPS: "1", START_SIMULATOR: "false" });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await db?.close();
});

describe("cross-site requests are refused on every mutating URL form (Security 2)", () => {
  const forms = ["/users", "/users.data", "/users?_data=routes%2Fusers"];

  it.each(forms)("POST %s from another origin, with an admin's cookie, is refused and creates nobody", async (target) => {
    const admin = await makeUser("csrf-admin", "admin");
    const cookie = await signInCookie(web.url, admin.email);
    const email = EMAIL(`csrf-victim-${randomBytes(3).toString("hex")}`);
    const body = form({ intent: "create", email, name: "Planted", role: "admin", password: "attacker-password-1" });
    const attempts: Record<string, string>[] = [
      { Origin: "https://evil.example" },
      // same site, another origin: SameSite=Lax cookies still travel here
      { Origin: `http://127.0.0.1:${web.port + 1}`, "Sec-Fetch-Site": "same-site" },
      { Origin: "null", "Sec-Fetch-Site": "cross-site" },
      { Origin: "null" },
      { "Sec-Fetch-Site": "cross-site" },
      { Referer: "https://evil.example/page" },
    ];
    for (const headers of attempts) {
      const res = await post(`${web.url}${target}`, body, { Cookie: cookie, ...headers });
      expect(res.status, JSON.stringify(headers)).toBe(403);
    }
    expect(await db.db.select().from(users).where(eq(users.email, email))).toHaveLength(0);
  });

  it("lets the same post through from our own origin", async () => {
    const admin = await makeUser("csrf-admin", "admin");
    const cookie = await signInCookie(web.url, admin.email);
    const email = EMAIL(`csrf-own-${randomBytes(3).toString("hex")}`);
    const res = await post(`${web.url}/users`, form({ intent: "create", email, name: "Own", role: "viewer", password: "a-long-password-1" }), {
      Cookie: cookie,
      Origin: web.url,
      "Sec-Fetch-Site": "same-origin",
    });
    expect(res.status).toBe(302);
    expect(await db.db.select().from(users).where(eq(users.email, email))).toHaveLength(1);
  });

  it("Chromium: a signed-in admin who opens a page on another origin does not create the admin its form posts", async () => {
    const admin = await makeUser("csrf-browser", "admin");
    const email = EMAIL(`csrf-browser-victim-${randomBytes(3).toString("hex")}`);
    // why: 127.0.0.1 on another port is the same site (cookies go along) but another origin
    const attacker = http.createServer((_req, res) => {
      res.setHeader("Content-Type", "text/html");
      res.end(`<!doctype html><form id="f" method="post" action="${web.url}/users?_data=routes%2Fusers">
        <input name="intent" value="create"><input name="email" value="${email}"><input name="name" value="Planted">
        <input name="role" value="admin"><input name="password" value="attacker-password-1"></form>
        <script>document.getElementById("f").submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${web.url}/login`);
      await page.getByLabel("Email").fill(admin.email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(/\/clinics/);
      const answered = page.waitForResponse((r) => r.url().startsWith(`${web.url}/users`) && r.request().method() === "POST");
      await page.goto(`http://127.0.0.1:${(attacker.address() as net.AddressInfo).port}/`);
      const response = await answered;
      expect(response.status()).toBe(403);
      expect(await db.db.select().from(users).where(eq(users.email, email))).toHaveLength(0);
    } finally {
      await context.close();
      await new Promise((resolve) => attacker.close(resolve));
    }
  });
});

describe("sign-in limits hold under concurrency (Security 3)", () => {
  it("60 concurrent guesses with the right password last: the right one does not win", async () => {
    const target = await makeUser("burst", "agent");
    const address = freshAddress();
    const attempt = (password: string) =>
      post(`${web.url}/login`, form({ email: target.email, password, redirectTo: "/clinics" }), { Origin: web.url, "X-Forwarded-For": address }).then(
        (r) => r.status,
      );
    const statuses = await Promise.all([...Array.from({ length: 59 }, (_, i) => attempt(`wrong-${i}`)), attempt(PASSWORD)]);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((s) => s === 302)).toHaveLength(0);
    // at most the account's limit were verified: four plain refusals, the rest counted and refused
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(4);
  });

  it("one address failing against many accounts is stopped before it locks them all", async () => {
    const attacker = freshAddress();
    const accounts = await Promise.all(["spray-a", "spray-b", "spray-c", "spray-d"].map((n) => makeUser(n, "admin")));
    const statuses: number[] = [];
    for (const account of accounts) {
      for (let i = 0; i < 5; i++) {
        const r = await post(`${web.url}/login`, form({ email: account.email, password: "guess", redirectTo: "/" }), {
          Origin: web.url,
          "X-Forwarded-For": attacker,
        });
        statuses.push(r.status);
      }
    }
    // the address limit (10) stops the attacker after two accounts' worth of failures
    expect(statuses.slice(10).every((s) => s === 429)).toBe(true);
    // …so the third and fourth admins still sign in from their own address
    for (const account of accounts.slice(2)) await signInCookie(web.url, account.email);
  });
});

describe("no open redirect after sign-in (Security 4)", () => {
  it.each(["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/", "/.//evil.example"])(
    "redirectTo=%j lands on /clinics",
    async (redirectTo) => {
      const user = await makeUser("redirect", "viewer");
      const res = await post(`${web.url}/login`, form({ email: user.email, password: PASSWORD, redirectTo }), {
        Origin: web.url,
        "X-Forwarded-For": freshAddress(),
      });
      expect(res.status).toBe(302);
      expect(res.headers.get("Location")).toBe("/clinics");
    },
  );

  it("keeps a same-site path with its query", async () => {
    const user = await makeUser("redirect", "viewer");
    const res = await post(`${web.url}/login`, form({ email: user.email, password: PASSWORD, redirectTo: "/alerts?state=open" }), {
      Origin: web.url,
      "X-Forwarded-For": freshAddress(),
    });
    expect(res.headers.get("Location")).toBe("/alerts?state=open");
  });
});

/** A raw HTTP/1.1 request, so a test decides exactly how the body is framed and when it ends. */
function rawRequest(port: number, head: string) {
  const socket = net.connect(port, "127.0.0.1");
  socket.write(head);
  let text = "";
  socket.on("data", (c) => (text += c.toString("latin1")));
  let error = "";
  socket.on("error", (e) => (error = e.message));
  const response = new Promise<string>((resolve) => socket.on("close", () => resolve(text)));
  return {
    socket,
    response,
    received: () => text,
    error: () => error,
    /** The final status line (after any `100 Continue`). */
    status: (all: string) =>
      all
        .split("\r\n")
        .filter((l) => /^HTTP\/1\.1 \d{3}/.test(l) && !l.startsWith("HTTP/1.1 100"))
        .at(0),
  };
}

const chunked = (data: string) => `${data.length.toString(16)}\r\n${data}\r\n`;

describe("request bodies are bounded before parsing (Security 5)", () => {
  it("answers 413 to a 100 KB form post that declares its length", async () => {
    const res = await post(`${web.url}/login`, form({ email: "x@relink.test", password: "p".repeat(100 * 1024) }), { Origin: web.url });
    expect(res.status).toBe(413);
  });

  it("answers 413 to a chunked body with no Content-Length once it passes 64 KB", async () => {
    const raw = rawRequest(
      web.port,
      `POST /login HTTP/1.1\r\nHost: 127.0.0.1:${web.port}\r\nOrigin: ${web.url}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const { socket } = raw;
    const chunk = "a".repeat(16 * 1024);
    // why: keeps sending until the server answers, as a client streaming an endless body would
    const answered = new Promise((resolve) => socket.once("data", resolve));
    let sent = 0;
    while (!socket.destroyed && !raw.received() && sent < 8 * 1024 * 1024) {
      if (!socket.write(chunked(chunk))) await Promise.race([new Promise((resolve) => socket.once("drain", resolve)), answered, raw.response]);
      sent += chunk.length;
    }
    await Promise.race([answered, raw.response]);
    expect(raw.status(raw.received()), `${raw.received().slice(0, 400)} ${raw.error()}`).toBe("HTTP/1.1 413 Payload Too Large");
    socket.destroy();
  });

  it("allows a 1 MB CSV on the import route, and refuses 3 MB there", async () => {
    const admin = await makeUser("upload", "admin");
    const cookie = await signInCookie(web.url, admin.email);
    const upload = (bytes: number) => {
      const fd = new FormData();
      fd.set("csv", new Blob(["name,time_zone\n" + "x".repeat(bytes)], { type: "text/csv" }), "clinics.csv");
      return fetch(`${web.url}/clinics/import`, { method: "POST", body: fd, redirect: "manual", headers: { Cookie: cookie, Origin: web.url } });
    };
    expect((await upload(1024 * 1024)).status).toBe(400); // read and parsed: the CSV is nonsense
    expect((await upload(3 * 1024 * 1024)).status).toBe(413);
  });
});

describe("security headers on every response (Security 7)", () => {
  it("sends a nonce CSP, nosniff and a referrer policy on pages, assets and errors; no HSTS over development http", async () => {
    const page = await fetch(`${web.url}/login`);
    const html = await page.text();
    const csp = page.headers.get("Content-Security-Policy")!;
    for (const directive of ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "default-src 'self'"]) expect(csp).toContain(directive);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    const inlineScripts = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((m) => m[1]!);
    expect(inlineScripts.length).toBeGreaterThan(0);
    for (const attrs of inlineScripts) expect(attrs).toContain(`nonce="${nonce}"`);
    const asset = /href="(\/assets\/[^"]+\.css)"/.exec(html)![1]!;
    for (const res of [
      page,
      await fetch(`${web.url}${asset}`),
      await fetch(`${web.url}/no-such-page`),
      await post(`${web.url}/login`, "x", { Origin: "https://evil.example" }),
    ]) {
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("Referrer-Policy")).toBe("same-origin");
      expect(res.headers.get("Strict-Transport-Security")).toBeNull();
    }
    // a second response gets a different nonce
    expect((await fetch(`${web.url}/login`)).headers.get("Content-Security-Policy")).not.toContain(nonce);
  });

  it("keeps the reconnect pages' stricter headers, each once", async () => {
    const res = await fetch(`${web.url}/reconnect/not-a-real-token-${randomBytes(8).toString("hex")}`);
    expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("X-Robots-Tag")).toBe("noindex");
    expect(res.headers.get("Content-Security-Policy")).toContain("object-src 'none'");
  });

  it("Chromium: pages hydrate and navigate with no CSP violation", async () => {
    const user = await makeUser("csp", "admin");
    const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": freshAddress() } });
    const problems: string[] = [];
    try {
      const page = await context.newPage();
      page.on("console", (m) => {
        // why: a missing favicon is a 404 "Failed to load resource", not a policy problem
        if (/Content Security Policy|CSP violation/i.test(m.text()) || (m.type() === "error" && !/Failed to load resource/.test(m.text())))
          problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(String(e)));
      await page.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
      });
      await page.goto(`${web.url}/login`);
      await page.getByLabel("Email").fill(user.email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(/\/clinics/);
      // a client-side navigation keeps this window's state: proof that the page hydrated
      await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
      await page.waitForURL(/\/alerts/);
      expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
      await page.waitForURL(/\/dashboard/);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe("sessions end on the server (Security 6)", () => {
  const clinicsStatus = (cookie: string) => fetch(`${web.url}/clinics`, { headers: { Cookie: cookie }, redirect: "manual" }).then((r) => r.status);

  it("a copied cookie stops working after logout", async () => {
    const user = await makeUser("logout", "viewer");
    const cookie = await signInCookie(web.url, user.email);
    expect(await clinicsStatus(cookie)).toBe(200);
    const out = await post(`${web.url}/logout`, "", { Cookie: cookie, Origin: web.url });
    expect(out.status).toBe(302);
    expect(await clinicsStatus(cookie)).toBe(302);
  });

  it("disabling a user and changing a role end that user's sessions", async () => {
    const admin = await makeUser("session-admin", "admin");
    const adminCookie = await signInCookie(web.url, admin.email);
    for (const [name, change] of [
      ["session-disabled", { intent: "disable", confirmed: "1" }],
      ["session-demoted", { intent: "role", role: "viewer" }],
    ] as const) {
      const user = await makeUser(name, "agent");
      const cookie = await signInCookie(web.url, user.email);
      expect(await clinicsStatus(cookie)).toBe(200);
      const res = await post(`${web.url}/users`, form({ ...change, userId: user.id }), { Cookie: adminCookie, Origin: web.url });
      expect(res.status).toBe(302);
      expect(await clinicsStatus(cookie)).toBe(302);
    }
  });

  it("the cookie carries an opaque id, not the user", async () => {
    const user = await makeUser("opaque", "viewer");
    const cookie = await signInCookie(web.url, user.email);
    const value = decodeURIComponent(cookie.split("=").slice(1).join("="));
    expect(Buffer.from(value.split(".")[0]!, "base64").toString("latin1")).not.toContain(user.id);
    expect(value).not.toContain(user.id);
  });
});

describe("production mode", () => {
  let prod: WebChild;
  beforeAll(async () => {
    prod = await startWebChild({
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl,
      MASTER_KEY: fs.readFileSync(path.join(dataDir, "master.key"), "utf8").trim(),
      SESSION_SECRET: randomBytes(32).toString("hex"),
      PUBLIC_URL: "https://relink.example",
      START_SIMULATOR: "false",
    });
  });
  afterAll(async () => {
    await prod?.stop();
  });

  it("sends HSTS and a __Host- Secure session cookie", async () => {
    const page = await fetch(`${prod.url}/login`);
    expect(page.headers.get("Strict-Transport-Security")).toMatch(/max-age=\d{7,}/);
    const user = await makeUser("prod", "viewer");
    const res = await post(`${prod.url}/login`, form({ email: user.email, password: PASSWORD, redirectTo: "/clinics" }), { Origin: "https://relink.example" });
    expect(res.status).toBe(302);
    const cookie = res.headers.getSetCookie().join("\n");
    expect(cookie).toMatch(/^__Host-relink=[^;]+;.*Path=\/.*HttpOnly.*Secure/im);
    expect(cookie).not.toMatch(/Domain=/i);
  });
});

describe("bounded shutdown (Reliability 6)", () => {
  it("on SIGTERM a request in flight still gets its answer; a stuck one is cut off after the grace period", async () => {
    const child = await startWebChild({
      NODE_ENV: "development",
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      SHUTDOWN_GRACE_SECONDS: "3",
      START_SIMULATOR: "false",
    });
    try {
      const head = `POST /login HTTP/1.1\r\nHost: 127.0.0.1:${child.port}\r\nOrigin: ${child.url}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n`;
      const slow = rawRequest(child.port, head);
      const stuck = rawRequest(child.port, head);
      // why: the server answers `100 Continue` once it has taken the request in: both are in flight
      await waitFor(() => slow.received().includes("100 Continue") && stuck.received().includes("100 Continue"));
      slow.socket.write(chunked("email=slow%40relink.test&password="));
      stuck.socket.write(chunked("email=stuck%40relink.test&password="));
      const signalled = performance.now();
      child.child.kill("SIGTERM");
      await waitFor(() => child.output().includes('"stopping"'));
      slow.socket.write(`${chunked("wrong")}0\r\n\r\n`);
      const answer = await slow.response;
      expect(slow.status(answer)).toMatch(/^HTTP\/1\.1 (401|429) /);
      expect(answer).toMatch(/\r\nConnection: close\r\n/i);
      const code = await child.exited;
      const seconds = (performance.now() - signalled) / 1000;
      expect(code).toBe(0);
      expect(seconds).toBeGreaterThanOrEqual(2.5);
      expect(seconds).toBeLessThan(10);
      expect(stuck.status(await stuck.response)).toBeUndefined();
    } finally {
      await child.stop();
    }
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}
