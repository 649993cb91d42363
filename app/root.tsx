import "./zod-browser.ts";
import { data, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { useNonce } from "./nonce.ts";
import { StatusErrorBoundary } from "./components/error-boundary.tsx";
import { MainNav, MARK_JS } from "./components/main-nav.tsx";
import { getUser, takeFlash } from "./session.server.ts";
import polish from "./polish.css?url";
import styles from "./styles.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: styles },
  { rel: "stylesheet", href: polish },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
  { rel: "icon", href: "/favicon.ico", sizes: "32x32" },
];

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
    // why suppressHydrationWarning: MARK_JS adds class="js" before React hydrates
    <html lang="en" suppressHydrationWarning>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {/* why suppressHydrationWarning: the nonce exists only in the server render (the browser hides it) */}
        <script nonce={nonce} suppressHydrationWarning dangerouslySetInnerHTML={{ __html: MARK_JS }} />
        <Meta />
        <Links />
      </head>
      <body>
        <a className="skip" href="#main">
          Skip to content
        </a>
        {user ? <MainNav user={user} /> : null}
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
