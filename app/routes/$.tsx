import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLocation } from "@remix-run/react";
import { StatusErrorBoundary } from "../components/error-boundary.tsx";
import { notFound } from "../http.server.ts";

/**
 * Every address no other route matches: a real 404 page inside the console's layout, with ways
 * back. why a splat route: without one Remix logs each miss (a stray /favicon.ico, an old bookmark)
 * as "No routes matched" plus a server error line, which reads like a fault to whoever runs it.
 */
export const meta: MetaFunction = () => [{ title: "Page not found · Relink" }];

export function loader(_args: LoaderFunctionArgs): never {
  notFound("No page has this address.");
}

function NotFoundMessage() {
  const { pathname } = useLocation();
  return (
    <>
      Nothing lives at <code>{pathname}</code>: the link may be old or mistyped. Try the <Link to="/dashboard">dashboard</Link> or the{" "}
      <Link to="/clinics">clinics</Link>.
    </>
  );
}

export function ErrorBoundary() {
  return (
    <StatusErrorBoundary
      statusHandlers={{ 404: () => ({ title: "Page not found", message: <NotFoundMessage /> }) }}
      back={{ to: "/clinics", label: "Back to clinics" }}
    />
  );
}

export default function NotFound() {
  return null;
}
