import { createCookieSessionStorage, type AppLoadContext, type SessionStorage } from "@remix-run/node";
import { RECONNECT_SECURITY_HEADERS } from "../../domain/reconnect/headers.ts";
import type { ReconnectConfirmation, ReconnectDeps } from "../../domain/reconnect/submit.ts";
import type { Services } from "../services.server.ts";

/** Remix glue for the reconnect pages: their dependencies, headers and the "done" cookie. */

const deps = new WeakMap<Services, Omit<ReconnectDeps, "now">>();

export function reconnectDeps(services: Services): Omit<ReconnectDeps, "now"> {
  let d = deps.get(services);
  if (!d) {
    d = {
      db: services.db,
      vendors: services.vendors,
      keyring: services.keyring,
      alerts: services.alerts,
      // why: the clinic writes to the vendor's own support (BRAND_SUPPORT_EMAIL) first
      supportEmail: services.env.BRAND_SUPPORT_EMAIL ?? services.env.ALERT_SUPPORT_EMAIL ?? services.env.VENDOR_CONTACT_EMAIL,
    };
    deps.set(services, d);
  }
  return d;
}

/** The address attempts are counted against; "unknown" when the server did not say (tests, other adapters). */
export function clientAddressOf(context: AppLoadContext): string {
  return context.clientAddress ?? "unknown";
}

export function reconnectHeaders(extra: Record<string, string> = {}): Headers {
  const h = new Headers(RECONNECT_SECURITY_HEADERS);
  for (const [k, v] of Object.entries(extra)) h.set(k, v);
  return h;
}

const storages = new WeakMap<Services, SessionStorage>();

/**
 * The confirmation shown at /reconnect/done, in a signed cookie scoped to /reconnect for ten
 * minutes: the done page needs no token, and a reload or "back" cannot re-post the key.
 */
function doneStorage(services: Services): SessionStorage {
  let s = storages.get(services);
  if (!s) {
    s = createCookieSessionStorage({
      cookie: {
        name: "__relink_reconnected",
        httpOnly: true,
        sameSite: "lax",
        path: "/reconnect",
        secure: services.env.NODE_ENV === "production",
        secrets: [services.sessionSecret],
        maxAge: 10 * 60,
      },
    });
    storages.set(services, s);
  }
  return s;
}

export async function commitConfirmation(services: Services, confirmation: ReconnectConfirmation): Promise<string> {
  const storage = doneStorage(services);
  const session = await storage.getSession();
  session.set("confirmation", confirmation);
  return storage.commitSession(session);
}

export async function readConfirmation(request: Request, services: Services): Promise<ReconnectConfirmation | null> {
  const session = await doneStorage(services).getSession(request.headers.get("Cookie"));
  const value = session.get("confirmation") as ReconnectConfirmation | undefined;
  return value && typeof value.clinicName === "string" ? value : null;
}
