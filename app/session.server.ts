import { createHash, randomBytes } from "node:crypto";
import { createCookie, redirect, type Cookie } from "@remix-run/node";
import { hasRole } from "../domain/auth/roles.ts";
import { SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS } from "../domain/auth/session-policy.ts";
import { findLiveSession, insertSession, revokeSession, setSessionFlash, takeSessionFlash, touchSession } from "../db/queries/sessions.ts";
import type { SessionFlash } from "../db/schema/sessions.ts";
import type { Services } from "./services.server.ts";
import type { UserRole } from "../domain/vocabulary.ts";

/**
 * Server-side sessions (docs/decisions/0021-web-request-security.md): the cookie carries only a
 * random token; the sessions table says whether it is still live, checked here on every request
 * against the absolute and idle limits of domain/auth/session-policy.ts, so neither depends on
 * the browser honouring a cookie's lifetime.
 */
export { SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS };
/** why: the idle clock moves at most once a minute, so a busy page does not write on every request */
const TOUCH_EVERY_MS = 60_000;

const cookies = new WeakMap<Services, Cookie>();

/** `__Host-` in production: Secure, host-only and path `/`, so no subdomain or http page can plant or read it. */
function sessionCookieName(services: Services): string {
  return services.env.NODE_ENV === "production" ? "__Host-relink" : "__relink";
}

function sessionCookie(services: Services): Cookie {
  let cookie = cookies.get(services);
  if (!cookie) {
    cookie = createCookie(sessionCookieName(services), {
      httpOnly: true,
      sameSite: "lax",
      path: "/",
      // why: Secure cookies are dropped over plain http, which the zero-config start uses
      secure: services.env.NODE_ENV === "production",
      secrets: [services.sessionSecret],
      maxAge: SESSION_ABSOLUTE_SECONDS,
    });
    cookies.set(services, cookie);
  }
  return cookie;
}

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** The session id (token hash) the request's cookie names, whether or not it is still live. */
async function sessionIdOf(request: Request, services: Services): Promise<string | null> {
  const token: unknown = await sessionCookie(services).parse(request.headers.get("Cookie"));
  return typeof token === "string" && token.length >= 32 ? hashToken(token) : null;
}

/** Starts a session for a user; returns the Set-Cookie header that carries it. */
export async function startSession(services: Services, userId: string, now = new Date()): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await insertSession({ id: hashToken(token), userId, now, expiresAt: new Date(now.getTime() + SESSION_ABSOLUTE_SECONDS * 1000) }, services.db);
  return sessionCookie(services).serialize(token);
}

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: UserRole;
}

// why: the root loader and the route's loader both ask for the user of the same request; one lookup serves both
const sessionsOf = new WeakMap<Request, Promise<{ id: string; user: SessionUser; hasFlash: boolean } | null>>();

function readSession(request: Request, services: Services) {
  let session = sessionsOf.get(request);
  if (!session) {
    session = lookUpSession(request, services);
    sessionsOf.set(request, session);
  }
  return session;
}

export async function getUser(request: Request, services: Services): Promise<SessionUser | null> {
  return (await readSession(request, services))?.user ?? null;
}

async function lookUpSession(request: Request, services: Services) {
  const id = await sessionIdOf(request, services);
  if (!id) return null;
  const now = new Date();
  const live = await findLiveSession({ id, now, idleSeconds: SESSION_IDLE_SECONDS }, services.db);
  if (!live) return null;
  if (now.getTime() - live.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await touchSession({ id, now }, services.db);
  return { id, user: live.user, hasFlash: live.hasFlash };
}

export async function requireUser(request: Request, services: Services): Promise<SessionUser> {
  const user = await getUser(request, services);
  if (!user) {
    const url = new URL(request.url);
    throw redirect(`/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`);
  }
  return user;
}

/**
 * The signed-in user when their role is at least `minimum` (viewer < agent < admin); a 403 otherwise.
 * Every loader and action calls this (or requireUser for "any role") before touching data.
 */
export async function requireRole(request: Request, services: Services, minimum: UserRole): Promise<SessionUser> {
  const user = await requireUser(request, services);
  if (!hasRole(user.role, minimum)) {
    throw new Response(`This needs the ${minimum} role; you are signed in as ${user.role}.`, { status: 403 });
  }
  return user;
}

export type FlashTone = SessionFlash["tone"];
export type Flash = SessionFlash;

/** Redirects with a one-time message the next page shows (the action's "done" receipt). */
export async function redirectWithFlash(request: Request, services: Services, to: string, message: string, tone: FlashTone = "ok") {
  const id = await sessionIdOf(request, services);
  // why: every action that flashes has required a user; a request without a session just goes on
  if (id) await setSessionFlash({ id, flash: { message, tone } }, services.db);
  return redirect(to);
}

/** Reads (and so consumes) the flash message. `setCookie` stays null: the flash lives server-side. */
export async function takeFlash(request: Request, services: Services): Promise<{ flash: Flash | null; setCookie: string | null }> {
  const session = await readSession(request, services);
  if (!session?.hasFlash) return { flash: null, setCookie: null };
  return { flash: await takeSessionFlash({ id: session.id }, services.db), setCookie: null };
}

export async function createUserSession(request: Request, services: Services, userId: string, redirectTo: string) {
  // why: signing in over an older session ends it, so one browser holds one live session
  const previous = await sessionIdOf(request, services);
  if (previous) await revokeSession({ id: previous, reason: "replaced" }, services.db);
  return redirect(redirectTo, { headers: { "Set-Cookie": await startSession(services, userId) } });
}

/** Logout: the session ends on the server, so a copied cookie stops working too. */
export async function destroyUserSession(request: Request, services: Services) {
  const id = await sessionIdOf(request, services);
  if (id) await revokeSession({ id, reason: "logout" }, services.db);
  return redirect("/login", { headers: { "Set-Cookie": await sessionCookie(services).serialize("", { maxAge: 0 }) } });
}

// why: any fixed origin works as the base; only whether the result stays on it matters
const SITE = "http://relink.invalid";

/**
 * A path on this site to go to after sign-in, or `fallback`. Parsed the way a browser parses a
 * Location header (tabs and newlines dropped, `\` read as `/`), so `/\t/evil.example`, `/\evil`
 * and `https://evil` are all seen as other origins; the result is the parsed path, never the input.
 */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = "/clinics"): string {
  if (typeof to !== "string" || !to.startsWith("/")) return fallback;
  let url: URL;
  try {
    url = new URL(to, SITE);
  } catch {
    return fallback;
  }
  if (url.origin !== SITE) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // why: "/.//evil" parses to the path "//evil", which a browser reads as another host
  if (!path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return fallback;
  return path;
}
