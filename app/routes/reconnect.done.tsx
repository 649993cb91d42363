import { data, type HeadersFunction, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { RECONNECT_SECURITY_HEADERS } from "../../domain/reconnect/headers.ts";
import { connectedLine } from "../../domain/reconnect/instructions.ts";
import { readConfirmation, reconnectHeaders } from "../components/reconnect-context.server.ts";
import { ReconnectShell } from "../components/reconnect-shell.tsx";
import reconnectStyles from "../reconnect.css?url";

// why: clinic-facing pages answer errors in the clinic's words, with no way into the console
export { ClinicFacingErrorBoundary as ErrorBoundary } from "../components/error-boundary.tsx";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: reconnectStyles }];

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `Reconnected · ${data?.brand.productName ?? "Secure reconnect page"}` },
  { name: "robots", content: "noindex, nofollow" },
  { name: "referrer", content: "no-referrer" },
];

export const headers: HeadersFunction = () => RECONNECT_SECURITY_HEADERS;

/** After a key is accepted: the plain-words confirmation, from a short-lived signed cookie (no token). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const confirmation = await readConfirmation(request, context.services);
  return data({ confirmation, brand: context.services.brand }, { headers: reconnectHeaders() });
}

export default function ReconnectDone() {
  const { confirmation: c, brand } = useLoaderData<typeof loader>();
  if (!c) {
    return (
      <ReconnectShell brand={brand}>
        <section className="rc-card" aria-labelledby="done-h">
          <h1 id="done-h">Nothing more to do here</h1>
          <p>If you have just reconnected, you are all set and can close this page. This link has been used up.</p>
          <p className="rc-muted">If something still looks wrong, reply to the email that brought you here.</p>
        </section>
      </ReconnectShell>
    );
  }
  return (
    <ReconnectShell brand={brand}>
      <section className="rc-panel tone-ok rc-done" aria-labelledby="done-h">
        <p className="rc-done-badge">
          <span aria-hidden="true">✓</span> Connected
        </p>
        <h1 id="done-h">
          {c.clinicName} is reconnected: {brand.productName} can read {c.vendorLabel} again
        </h1>
        <p className="rc-done-line">{connectedLine(c)}</p>
        <dl className="rc-facts">
          <dt>Checked just now</dt>
          <dd>The key works and can read your patients</dd>
          <dt>{c.vendor === "nookal" ? "Nookal region" : "Cliniko region"}</dt>
          <dd>{c.regionLabel}</dd>
        </dl>
        {c.notes.length > 0 ? (
          <div className="rc-notes">
            <strong>We tidied what you pasted:</strong>
            <ul>
              {c.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          </div>
        ) : null}
        {c.heldByPause ? (
          <p>
            <strong>Your support team has paused this connection,</strong> so nothing syncs until they resume it. Your new key is saved and ready; nothing was
            lost. You can close this page.
          </p>
        ) : (
          <p>Everything picks up where it left off within a few minutes. Nothing was lost. You can close this page.</p>
        )}
        {c.briefingLine ? <p className="rc-briefing">{c.briefingLine}</p> : null}
        <p className="rc-muted">This link has now been used up. If you ever need to reconnect again, support will send a new one.</p>
      </section>
    </ReconnectShell>
  );
}
