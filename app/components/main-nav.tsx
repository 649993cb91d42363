import { Form, Link, NavLink, useLocation } from "@remix-run/react";
import { useEffect, useState } from "react";
import type { UserRole } from "../../domain/vocabulary.ts";

/**
 * The console's top bar. On a phone the links fold behind a "Menu" button (aria-expanded). Progressive
 * enhancement: an inline script in the document head marks <html class="js"> before first paint,
 * and only then does the CSS (app/polish.css) fold the links; without JavaScript they simply wrap,
 * every one reachable. The menu closes on navigation and on Esc.
 */
export function MainNav({ user }: { user: { name: string; role: UserRole } }) {
  const [open, setOpen] = useState(false);
  const location = useLocation();
  useEffect(() => setOpen(false), [location.pathname, location.search]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        document.getElementById("main-nav-toggle")?.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [open]);
  return (
    <nav className="topbar" aria-label="Main">
      <Link to="/clinics" className="brand">
        Relink
      </Link>
      <button id="main-nav-toggle" type="button" className="menu-toggle" aria-expanded={open} aria-controls="main-nav-links" onClick={() => setOpen((o) => !o)}>
        <span aria-hidden="true" className="menu-icon" />
        {open ? "Close menu" : "Menu"}
      </button>
      <div id="main-nav-links" className="nav-links" data-open={open ? "" : undefined}>
        <NavLink to="/dashboard">Dashboard</NavLink>
        <NavLink to="/clinics">Clinics</NavLink>
        <NavLink to="/alerts">Alerts</NavLink>
        <NavLink to="/incidents">Incidents</NavLink>
        <NavLink to="/campaigns">Campaigns</NavLink>
        <NavLink to="/bulk">Bulk actions</NavLink>
        <NavLink to="/deliveries">Deliveries</NavLink>
        <NavLink to="/webhooks">Webhooks</NavLink>
        <NavLink to="/audit">Audit log</NavLink>
        {/* why one entry: the reference leads an admin on to API tokens; two entries wrapped the bar at 1366 px */}
        <NavLink to="/api-docs">API</NavLink>
        {user.role === "admin" ? <NavLink to="/users">Users</NavLink> : null}
        <span className="spacer" />
        <span className="who">
          {user.name} · {user.role}
        </span>
        <Form method="post" action="/logout">
          <button className="btn link" type="submit">
            Sign out
          </button>
        </Form>
      </div>
    </nav>
  );
}

/** Runs before first paint (CSP nonce): lets the CSS fold the phone menu only when a script can open it. */
export const MARK_JS = "document.documentElement.classList.add('js')";
