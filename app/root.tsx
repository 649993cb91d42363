import "./zod-browser.ts";
import { data, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import {
  Form,
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  NavLink,
  Outlet,
  Scripts,
  ScrollRestoration,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { useNonce } from "./nonce.ts";
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

/** The one error boundary: every route's errors end here with a page that says what to do next. */
export function ErrorBoundary() {
  const error = useRouteError();
  let title = "Something went wrong";
  let message = "The error has been logged. Try again, or go back to the clinics list.";
  if (isRouteErrorResponse(error)) {
    if (error.status === 404) {
      title = "Not found";
      message = typeof error.data === "string" && error.data ? error.data : "That page or clinic does not exist (or was archived).";
    } else if (error.status === 403) {
      title = "Not allowed";
      message = `${typeof error.data === "string" && error.data ? `${error.data} ` : ""}Ask an admin if you need access.`;
    } else {
      title = `${error.status} ${error.statusText}`;
    }
  }
  return (
    <main id="main">
      <div className="card">
        <h1>{title}</h1>
        <p>{message}</p>
        <Link className="btn secondary" to="/clinics">
          Back to clinics
        </Link>
      </div>
    </main>
  );
}
