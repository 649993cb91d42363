import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { z } from "zod";
import { GUIDES, BUSY_CLINIC_NOTE, NOOKAL_REGION_OPTIONS, checkingMessage } from "../../domain/reconnect/instructions.ts";
import { describeLinkPage } from "../../domain/reconnect/links.ts";
import { RECONNECT_SECURITY_HEADERS } from "../../domain/reconnect/headers.ts";
import { submitReconnectKey, type ReconnectOutcome } from "../../domain/reconnect/submit.ts";
import { clientAddressOf, commitConfirmation, reconnectDeps, reconnectHeaders } from "../components/reconnect-context.server.ts";
import { ReconnectForm } from "../components/reconnect-form.tsx";
import { ReconnectGuide } from "../components/reconnect-guide.tsx";
import { NoticePanel, RefusalPanel } from "../components/reconnect-outcome.tsx";
import { IdentityPanel, isIdentityOutcome } from "../components/reconnect-identity.tsx";
import { ReconnectFixed, ReconnectShell, ReconnectUnavailable } from "../components/reconnect-shell.tsx";
import reconnectStyles from "../reconnect.css?url";
import { NOOKAL_REGIONS, VENDOR_LABELS } from "../../domain/vocabulary.ts";

// why: clinic-facing pages answer errors in the clinic's words, with no way into the console
export { ClinicFacingErrorBoundary as ErrorBoundary } from "../components/error-boundary.tsx";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: reconnectStyles }];

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    // why: the tab names the product the clinic knows (decision 0027), never Relink
    title:
      data?.view.status === "active"
        ? `Reconnect ${data.view.vendor === "nookal" ? "Nookal" : "Cliniko"} to ${data.brand.productName} · ${data.view.clinicName}`
        : data?.view.status === "fixed"
          ? `Already fixed · ${data.brand.productName} · ${data.view.clinicName}`
          : `Reconnect link · ${data?.brand.productName ?? "Secure reconnect page"}`,
  },
  { name: "robots", content: "noindex, nofollow" },
  { name: "referrer", content: "no-referrer" },
];

// why: the token is in the URL; whatever the loader or action said, these headers go out
export const headers: HeadersFunction = ({ loaderHeaders, actionHeaders }) => {
  const h = new Headers(actionHeaders);
  const retryAfter = actionHeaders.get("Retry-After") ?? loaderHeaders.get("Retry-After");
  for (const [k, v] of Object.entries(RECONNECT_SECURITY_HEADERS)) h.set(k, v);
  if (retryAfter) h.set("Retry-After", retryAfter);
  return h;
};

export async function loader({ params, context }: LoaderFunctionArgs) {
  const { view, expiresText, knownRegion } = await describeLinkPage({ token: params.token ?? "" }, context.services.db);
  const brand = context.services.brand;
  // why: one status and one page for unknown, expired, used and replaced links
  return data({ view, brand, expiresText, knownRegion }, { status: view.status === "unavailable" ? 404 : 200, headers: reconnectHeaders() });
}

const SubmissionSchema = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("verify"),
    key: z
      .string()
      .max(4000, "That is far longer than any API key. Copy just the key.")
      .refine((k) => k.trim().length > 0, "Paste your API key into the box first."),
    region: z.enum(NOOKAL_REGIONS).optional(),
    apiVersion: z.enum(["auto", "v2", "v3"]).optional(),
  }),
  z.object({ intent: z.literal("use_suggested_region") }),
  z.object({ intent: z.literal("answer_account"), answer: z.enum(["yes", "no"]) }),
]);

type ActionResult = {
  attemptId: string;
  outcome: Exclude<ReconnectOutcome, { kind: "connected" }> | null;
  keyError: string | null;
  form: { region: string | null; apiVersion: string | null };
};

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { services } = context;
  const started = performance.now();
  const parsed = SubmissionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) {
    const keyError = parsed.error.issues.find((i) => i.path[0] === "key")?.message ?? "Something in the form was not understood. Please try again.";
    return data<ActionResult>(
      { attemptId: crypto.randomUUID(), outcome: null, keyError, form: { region: null, apiVersion: null } },
      { status: 400, headers: reconnectHeaders() },
    );
  }
  const input = parsed.data;
  const outcome = await submitReconnectKey(
    {
      token: params.token ?? "",
      clientAddress: clientAddressOf(context),
      submission:
        input.intent === "verify"
          ? { intent: "verify", rawKey: input.key, region: input.region, apiVersion: input.apiVersion === "auto" ? undefined : input.apiVersion }
          : input.intent === "answer_account"
            ? { intent: "answer_account", answer: input.answer }
            : { intent: "use_suggested_region" },
    },
    reconnectDeps(services),
  );
  // why: the outcome and timing only — never the token, the key or the client address
  services.logger.info(
    { outcome: outcome.kind, failureCode: outcome.kind === "refused" ? outcome.refusal.failureCode : undefined, ms: Math.round(performance.now() - started) },
    "reconnect attempt",
  );
  if (outcome.kind === "connected") {
    // why: redirect after POST, to a page that needs no token: a reload cannot re-post the key
    throw redirect("/reconnect/done", { headers: reconnectHeaders({ "Set-Cookie": await commitConfirmation(services, outcome.confirmation) }) });
  }
  const form =
    outcome.kind === "refused"
      ? outcome.refusal.form
      : { region: input.intent === "verify" ? (input.region ?? null) : null, apiVersion: input.intent === "verify" ? (input.apiVersion ?? null) : null };
  const status = {
    unavailable: 404,
    rate_limited: 429,
    retry_expired: 409,
    refused: 422,
    shared_key: 422,
    account_question: 409,
    account_held: 202,
    account_declined: 200,
    account_question_gone: 409,
  }[outcome.kind];
  const extra: Record<string, string> = outcome.kind === "rate_limited" ? { "Retry-After": String(outcome.retryAfterSeconds) } : {};
  return data<ActionResult>({ attemptId: crypto.randomUUID(), outcome, keyError: null, form }, { status, headers: reconnectHeaders(extra) });
}

export default function ReconnectPage() {
  const { view, brand, expiresText, knownRegion } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const outcomeRef = useRef<HTMLHeadingElement>(null);
  const keyInputRef = useRef<HTMLInputElement>(null);
  const attemptId = result?.attemptId;
  useEffect(() => {
    // why: after an answer, keyboard and screen-reader users land on what happened, not the top of the page
    // (a form error alone has no panel: focus goes to the field, whose message is right under it)
    if (attemptId) (outcomeRef.current ?? keyInputRef.current)?.focus();
  }, [attemptId]);

  const outcome = result?.outcome ?? null;
  if (view.status === "fixed") return <ReconnectFixed brand={brand} clinicName={view.clinicName} vendorLabel={VENDOR_LABELS[view.vendor]} />;
  if (view.status !== "active" || outcome?.kind === "unavailable") return <ReconnectUnavailable brand={brand} />;
  const guide = GUIDES[view.vendor];
  const refusal = outcome?.kind === "refused" ? outcome.refusal : null;
  const foldGuide = refusal !== null && refusal.steps.length > 0;

  return (
    <ReconnectShell brand={brand} expiresText={expiresText}>
      <div className="rc-intro">
        <h1>
          Reconnect {guide.vendorLabel} to {brand.productName}
        </h1>
        <p className="rc-clinic">for {view.clinicName}</p>
        <p className="rc-purpose">
          <span className="rc-purpose-label">Why you got this link</span>
          {view.purpose}
        </p>
        <p className="rc-muted">
          It takes about two minutes. You need to be able to sign in to {guide.vendorLabel}.{expiresText ? ` This link works once, until ${expiresText}.` : ""}
        </p>
      </div>

      {refusal ? <RefusalPanel ref={outcomeRef} refusal={refusal} vendorLabel={guide.vendorLabel} /> : null}
      {isIdentityOutcome(outcome) ? <IdentityPanel ref={outcomeRef} outcome={outcome} vendorLabel={guide.vendorLabel} /> : null}
      {outcome?.kind === "rate_limited" ? (
        <NoticePanel ref={outcomeRef} tone="warn" title="Too many attempts for now">
          <p>
            To keep your clinic safe, this link accepts only a few tries at a time.{" "}
            <strong>
              Try again in {Math.max(1, Math.ceil(outcome.retryAfterSeconds / 60))} minute{Math.ceil(outcome.retryAfterSeconds / 60) > 1 ? "s" : ""}.
            </strong>{" "}
            Your link still works.
          </p>
        </NoticePanel>
      ) : null}
      {outcome?.kind === "retry_expired" ? (
        <NoticePanel ref={outcomeRef} tone="info" title="Please paste the key once more">
          <p>That one-click option has timed out (we only keep a key for 10 minutes). Paste it again below and pick the region we suggested.</p>
        </NoticePanel>
      ) : null}

      <ReconnectGuide guide={guide} collapsed={foldGuide} productName={brand.productName} />
      <ReconnectForm
        key={attemptId ?? "first"}
        vendor={view.vendor}
        vendorLabel={guide.vendorLabel}
        keyHint={guide.keyHint}
        regionOptions={NOOKAL_REGION_OPTIONS}
        // why: the region on file is preselected; the person's own choice wins after a try
        defaults={result?.form ?? { region: view.vendor === "nookal" ? knownRegion : null, apiVersion: null }}
        // why: a short message right under the field it is about; the panel above explains the fix
        keyError={result?.keyError ?? refusal?.localReason ?? null}
        keyInputRef={keyInputRef}
        checkingMessage={checkingMessage(view.vendor)}
        stepNumber={foldGuide ? null : 2}
      />
      <aside className="rc-busy">
        <p>{BUSY_CLINIC_NOTE}</p>
      </aside>
    </ReconnectShell>
  );
}
