import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useRouteLoaderData } from "@remix-run/react";
import { listCampaigns } from "../../db/queries/campaigns.ts";
import { hasRole } from "../../domain/auth/roles.ts";
import { createCampaign, CreateCampaignSchema, todayUtc } from "../../domain/campaigns/campaigns.ts";
import { formatCount } from "../components/format.ts";
import { Field, FormError } from "../components/forms.tsx";
import { runAction } from "../actions.server.ts";
import type { loader as rootLoader } from "../root.tsx";
import { redirectWithFlash, requireUser } from "../session.server.ts";

export { ErrorBoundary } from "../components/error-boundary.tsx";
import { VENDOR_LABELS } from "../../domain/vocabulary.ts";

export const meta: MetaFunction = () => [{ title: "Migration campaigns · Relink" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context.services);
  return { campaigns: await listCampaigns(context.services.db), today: todayUtc() };
}

export async function action(args: ActionFunctionArgs) {
  return runAction(
    args,
    { role: "agent", schema: CreateCampaignSchema, echo: (form) => ({ values: form as Record<string, string> }) },
    async ({ input, actor, services, request }) => {
      const { campaignId } = await createCampaign({ input, actor }, services.db);
      return redirectWithFlash(request, services, `/campaigns/${campaignId}`, `Campaign "${input.name}" created. Now add its clinics.`);
    },
  );
}

export default function Campaigns() {
  const { campaigns, today } = useLoaderData<typeof loader>();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const canAct = !!root?.user && hasRole(root.user.role, "agent");
  const result = useActionData<typeof action>();
  const errors = result?.fieldErrors;
  const values = result?.values ?? {};
  return (
    <main id="main">
      <div className="page-head">
        <div>
          <h1>Migration campaigns</h1>
          <p className="sub">
            A planned change every clinic in it must reconnect for before a deadline: add the clinics, send everyone their link, watch them come back.
          </p>
        </div>
      </div>
      <div className="grid two">
        {canAct ? (
          <section className="card" aria-labelledby="new-h">
            <h2 id="new-h">New campaign</h2>
            <FormError errors={errors} />
            <Form method="post" noValidate>
              <Field name="name" label="Name" errors={errors}>
                {(p) => <input {...p} defaultValue={values.name ?? ""} placeholder="e.g. Cliniko AU key rotation, June" />}
              </Field>
              <Field name="vendor" label="Vendor" errors={errors}>
                {(p) => (
                  <select {...p} defaultValue={values.vendor ?? "cliniko"}>
                    <option value="cliniko">Cliniko</option>
                    <option value="nookal">Nookal</option>
                  </select>
                )}
              </Field>
              <Field name="reason" label="Reason (the clinics read this)" errors={errors}>
                {(p) => <textarea {...p} rows={2} defaultValue={values.reason ?? ""} placeholder="e.g. Cliniko is retiring old API keys on 30 June" />}
              </Field>
              <Field name="deadline" label="Deadline" errors={errors} hint="Counted as past from the next day (UTC).">
                {(p) => <input {...p} type="date" min={today} defaultValue={values.deadline ?? ""} className="short-date" />}
              </Field>
              <button className="btn" type="submit">
                Create campaign
              </button>
            </Form>
          </section>
        ) : null}
        <section aria-labelledby="list-h" style={canAct ? undefined : { gridColumn: "1 / -1" }}>
          <h2 id="list-h" className="visually-hidden">
            Campaigns
          </h2>
          {campaigns.length === 0 ? (
            <div className="card empty">No campaigns yet.</div>
          ) : (
            <div className="table-wrap">
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">Campaign</th>
                    <th scope="col">Vendor</th>
                    <th scope="col">Deadline</th>
                    <th scope="col" className="num">
                      Clinics
                    </th>
                    <th scope="col" className="num">
                      Links sent
                    </th>
                    <th scope="col" className="num">
                      Reconnected
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {campaigns.map((c) => (
                    <tr key={c.id}>
                      <td>
                        <Link to={`/campaigns/${c.id}`}>{c.name}</Link>
                        <div className="hint">{c.reason}</div>
                      </td>
                      <td>{VENDOR_LABELS[c.vendor]}</td>
                      <td>
                        {c.deadline}
                        {c.deadline < today ? <div className="hint">past</div> : null}
                      </td>
                      <td className="num">{formatCount(c.total)}</td>
                      <td className="num">{formatCount(c.linksSent)}</td>
                      <td className="num">
                        {formatCount(c.reconnected)}
                        {c.total ? <span className="hint"> ({Math.round((100 * c.reconnected) / c.total)}%)</span> : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      </div>
    </main>
  );
}
