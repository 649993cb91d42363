import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { z } from "zod";
import { publicUrl } from "../../../config/runtime.ts";
import { findApiToken, listApiTokens } from "../../../db/queries/api-tokens.ts";
import { createApiToken, NewApiTokenSchema, revokeApiToken } from "../../../domain/api/tokens.ts";
import { runAction } from "../../actions.server.ts";
import { ConfirmStep, type ConfirmRequest } from "../../components/confirm-step.tsx";
import { CopyButton } from "../../components/copy-button.tsx";
import { Field, FormError } from "../../components/forms.tsx";
import { notFound } from "../../http.server.ts";
import { redirectWithFlash, requireRole } from "../../session.server.ts";

import { SCOPE_WORDS, TokenTable } from "./token-table.tsx";

export { ErrorBoundary } from "../../components/error-boundary.tsx";

export const meta: MetaFunction = () => [{ title: "API tokens · Relink" }];

export { actionCacheControl as headers } from "../../http.server.ts";

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireRole(request, context.services, "admin");
  return { tokens: await listApiTokens(context.services.db), apiBase: `${publicUrl(context.services.env)}/api/v1`, now: Date.now() };
}

const ActionSchema = z.discriminatedUnion("intent", [
  NewApiTokenSchema.extend({ intent: z.literal("create") }),
  // why confirmed: a revoked token stops working at once and cannot be brought back
  z.object({ intent: z.literal("revoke"), tokenId: z.uuid("No API token has that id."), confirmed: z.literal("1").optional() }),
]);

export async function action(args: ActionFunctionArgs) {
  return runAction(
    args,
    {
      role: "admin",
      schema: ActionSchema,
      echo: (form) => ({
        values: { name: String(form.name ?? ""), scope: String(form.scope ?? "read"), rateLimitPerMinute: String(form.rateLimitPerMinute ?? "600") },
      }),
    },
    async ({ input, actor, services, request }) => {
      if (input.intent === "create") {
        const { intent: _intent, ...fields } = input;
        const created = await createApiToken({ input: fields, actor }, services.db);
        // why: the token exists only in this response; the page lists its hint from now on
        return data(
          { ok: true as const, created: { name: created.name, scope: created.scope, token: created.token } },
          { headers: { "Cache-Control": "no-store" } },
        );
      }
      if (!input.confirmed) {
        const target = (await findApiToken({ id: input.tokenId }, services.db)) ?? notFound("No API token has that id.");
        const confirm: ConfirmRequest = {
          question: `Revoke “${target.name}” (rlk_…${target.hint})?`,
          details: [
            "Every call made with it is refused (401) from now on, and it cannot be brought back.",
            "Whatever uses it needs a new token first, or it stops working.",
          ],
          count: 1,
          confirmLabel: "Revoke the token",
          fields: [
            ["intent", "revoke"],
            ["tokenId", target.id],
          ],
          action: "/api-tokens",
        };
        return data({ ok: true as const, confirm });
      }
      const revoked = await revokeApiToken({ tokenId: input.tokenId, actor }, services.db);
      return redirectWithFlash(request, services, "/api-tokens", `“${revoked.name}” is revoked; calls with it now get 401.`);
    },
  );
}

export default function ApiTokensPage() {
  const { tokens, apiBase, now } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle" && navigation.formData?.get("intent") === "create";
  const errors = result && "fieldErrors" in result ? result.fieldErrors : undefined;
  const values = result && "values" in result ? result.values : undefined;
  const created = result && "created" in result ? result.created : null;
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const [dismissed, setDismissed] = useState<unknown>(null);
  const confirm = result && "confirm" in result && dismissed !== result ? result.confirm : null;
  const formRef = useRef<HTMLFormElement>(null);
  // why: after a create the form starts over; the banner above is where the new token is
  useEffect(() => {
    if (created) formRef.current?.reset();
  }, [created]);
  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1>API tokens</h1>
          <p className="sub">
            Bearer tokens for the JSON API at <span className="mono">{apiBase}</span>. A token acts as the admin who created it, and every call is in the audit
            log under its name.
          </p>
        </div>
      </div>
      {confirm ? <ConfirmStep confirm={confirm} modal={hydrated} onClose={() => setDismissed(result)} cancelHref="/api-tokens" /> : null}
      {created ? (
        <section className="card token-created" role="status" aria-labelledby="created-h">
          <h2 id="created-h">
            “{created.name}” is ready ({SCOPE_WORDS[created.scope].toLowerCase()})
          </h2>
          <p>
            <strong>Copy it now: you won’t see this token again.</strong> Relink keeps only a fingerprint of it; if it is lost, create a new one and revoke this
            one.
          </p>
          <div className="copy-row">
            <input readOnly value={created.token} aria-label="The new API token" className="mono token-value" onFocus={(e) => e.currentTarget.select()} />
            <CopyButton text={created.token} label="Copy token" />
          </div>
          <p className="hint">
            Send it on every call as <span className="mono">Authorization: Bearer rlk_…</span>, e.g.{" "}
            <span className="mono">curl -H &quot;Authorization: Bearer $RELINK_TOKEN&quot; {apiBase}/clinics</span>
          </p>
        </section>
      ) : null}
      <FormError errors={errors} />
      <div className="grid two">
        <section className="card" aria-labelledby="new-token-h">
          <h2 id="new-token-h">Create a token</h2>
          <Form method="post" noValidate ref={formRef}>
            <input type="hidden" name="intent" value="create" />
            <Field name="name" label="Name" errors={errors} hint="What will use it, e.g. “Onboarding service”. 80 characters at most.">
              {(p) => <input {...p} defaultValue={values?.name} maxLength={80} autoComplete="off" required />}
            </Field>
            <Field
              name="scope"
              label="Access"
              errors={errors}
              hint="Read-only: GET calls (clinics, alerts, briefings, timelines). Read-write: also adds clinics, replaces keys, probes, creates reconnect links and syncs."
            >
              {(p) => (
                <select {...p} defaultValue={values?.scope ?? "read"}>
                  <option value="read">Read-only</option>
                  <option value="write">Read-write</option>
                </select>
              )}
            </Field>
            <Field name="rateLimitPerMinute" label="Calls per minute" errors={errors} hint="Past this the API answers 429 with Retry-After. 1 to 100,000.">
              {(p) => (
                <input
                  {...p}
                  type="number"
                  inputMode="numeric"
                  min={1}
                  max={100000}
                  step={1}
                  defaultValue={values?.rateLimitPerMinute ?? "600"}
                  className="short"
                />
              )}
            </Field>
            <button className="btn" type="submit" disabled={busy}>
              {busy ? "Creating…" : "Create token"}
            </button>
          </Form>
        </section>
        <TokenTable tokens={tokens} now={now} />
      </div>
    </main>
  );
}
