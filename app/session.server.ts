import { createCookieSessionStorage, redirect, type SessionStorage } from "@remix-run/node";
import { hasRole } from "../domain/auth/roles.ts";
import { findUserById } from "../db/queries/users.ts";
import type { Services } from "./services.server.ts";
import type { UserRole } from "../domain/vocabulary.ts";

const storages = new WeakMap<Services, SessionStorage>();

export function sessionStorage(services: Services): SessionStorage {
  let storage = storages.get(services);
  if (!storage) {
    storage = createCookieSessionStorage({
      cookie: {
        name: "__relink",
        httpOnly: true,
        sameSite: "lax",
        path: "/",
        // why: Secure cookies are dropped over plain http, which the zero-config start uses
        secure: services.env.NODE_ENV === "production",
        secrets: [services.sessionSecret],
        maxAge: 60 * 60 * 12,
      },
    });
    storages.set(services, storage);
  }
  return storage;
}

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: UserRole;
}

export async function getUser(request: Request, services: Services): Promise<SessionUser | null> {
  const session = await sessionStorage(services).getSession(request.headers.get("Cookie"));
  const userId = session.get("userId");
  if (typeof userId !== "string") return null;
  const user = await findUserById({ id: userId }, services.db);
  if (!user || user.disabledAt) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

/** The signed-in user, or a redirect to the sign-in page that comes back here afterwards. */
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

export type FlashTone = "ok" | "bad" | "info";
export interface Flash {
  message: string;
  tone: FlashTone;
}

/** Redirects with a one-time message the next page shows (the action's "done" receipt). */
export async function redirectWithFlash(request: Request, services: Services, to: string, message: string, tone: FlashTone = "ok") {
  const storage = sessionStorage(services);
  const session = await storage.getSession(request.headers.get("Cookie"));
  session.flash("flash", { message, tone } satisfies Flash);
  return redirect(to, { headers: { "Set-Cookie": await storage.commitSession(session) } });
}

/** Reads (and so consumes) the flash message; the caller must send the returned Set-Cookie. */
export async function takeFlash(request: Request, services: Services): Promise<{ flash: Flash | null; setCookie: string | null }> {
  const storage = sessionStorage(services);
  const session = await storage.getSession(request.headers.get("Cookie"));
  const flash = session.get("flash") as Flash | undefined;
  if (!flash) return { flash: null, setCookie: null };
  return { flash, setCookie: await storage.commitSession(session) };
}

export async function createUserSession(request: Request, services: Services, userId: string, redirectTo: string) {
  const storage = sessionStorage(services);
  const session = await storage.getSession(request.headers.get("Cookie"));
  session.set("userId", userId);
  return redirect(redirectTo, { headers: { "Set-Cookie": await storage.commitSession(session) } });
}

export async function destroyUserSession(request: Request, services: Services) {
  const storage = sessionStorage(services);
  const session = await storage.getSession(request.headers.get("Cookie"));
  return redirect("/login", { headers: { "Set-Cookie": await storage.destroySession(session) } });
}

/** Only same-site relative paths, so a crafted link cannot bounce a user to another site after sign-in. */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = "/clinics"): string {
  if (typeof to !== "string" || !to.startsWith("/") || to.startsWith("//") || to.startsWith("/\\")) return fallback;
  return to;
}
