import "./zod-browser.ts";
import { data, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, Links, Meta, NavLink, Outlet, Scripts, ScrollRestoration, useRouteLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { useNonce } from "./nonce.ts";
import { StatusErrorBoundary } from "./components/error-boundary.tsx";
import { getUser, takeFlash } from "./session.server.ts";
import styles from "./styles.css?url";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const [user, { flash, setCookie }] = await Promise.all([getUser(request, context.services), takeFlash(request, context.services)]);
  return data(
    { user: user ? { name: user.name, email: user.email, role: user.role } : null, flash },
    setCookie ? { headers: { "Set-Cookie": setCookie } } : undefined,
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const data = useRouteLoaderData<typeof loader>("root");
  const user = data?.user;
  const nonce = useNonce();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <a className="skip" href="#main">
          Skip to content
        </a>
        {user ? (
          <nav className="topbar" aria-label="Main">
            <Link to="/clinics" className="brand">
              Relink
            </Link>
            <NavLink to="/dashboard">Dashboard</NavLink>
            <NavLink to="/clinics">Clinics</NavLink>
            <NavLink to="/alerts">Alerts</NavLink>
            <NavLink to="/campaigns">Campaigns</NavLink>
            <NavLink to="/bulk">Bulk actions</NavLink>
            <NavLink to="/deliveries">Deliveries</NavLink>
            <NavLink to="/audit">Audit log</NavLink>
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
          </nav>
        ) : null}
        {data?.flash ? (
          <div className={`flash tone-${data.flash.tone}`} role="status">
            {data.flash.message}
          </div>
        ) : null}
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

/** The one error boundary (app/components/error-boundary.tsx): every route's errors end here or in its own copy of it. */
export function ErrorBoundary() {
  return <StatusErrorBoundary />;
}
