import { Form } from "@remix-run/react";
import { CopyButton } from "../../components/copy-button.tsx";
import { Field, FormError, type FieldErrors } from "../../components/forms.tsx";
import { absoluteTime, relativeTime } from "../../components/format.ts";

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string | null;
  active: boolean;
  createdAt: string | Date;
}

/** The signed webhook receivers: the list, the once-shown secret of one just added, and (admins) the add form. */
export function WebhookReceiversCard({
  endpoints,
  created,
  errors,
  isAdmin,
  busy,
  now,
}: {
  endpoints: WebhookEndpointView[];
  created: { url: string; secret: string } | null;
  errors: FieldErrors;
  isAdmin: boolean;
  busy: boolean;
  now: number;
}) {
  return (
    <section className="card" aria-labelledby="wh-h" style={{ marginBottom: "1rem" }}>
      <h2 id="wh-h">Webhook receivers</h2>
      <p className="hint">
        Each alert is POSTed as JSON, signed with HMAC-SHA256 over <span className="mono">timestamp.body</span>: headers{" "}
        <span className="mono">X-Relink-Timestamp</span> and <span className="mono">X-Relink-Signature: v1=&lt;hex&gt;</span>. Failed deliveries are retried
        with backoff for about two hours, then marked failed.
      </p>
      {created ? (
        <div className="card" role="status" style={{ background: "var(--ok-bg)", margin: "0.75rem 0" }}>
          <strong>Receiver added: {created.url}</strong>
          <p style={{ margin: "0.4rem 0" }}>Its signing secret is shown only now. Store it with the receiver:</p>
          <p className="mono" style={{ wordBreak: "break-all" }}>
            {created.secret} <CopyButton text={created.secret} label="Copy secret" />
          </p>
        </div>
      ) : null}
      {endpoints.length === 0 ? (
        <p className="hint">No receivers yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Description</th>
                <th scope="col">Status</th>
                <th scope="col">Added</th>
                {isAdmin ? <th scope="col">Action</th> : null}
              </tr>
            </thead>
            <tbody>
              {endpoints.map((e) => (
                <tr key={e.id}>
                  <td className="mono">{e.url}</td>
                  <td>{e.description ?? "—"}</td>
                  <td>{e.active ? <span className="badge tone-ok">Active</span> : <span className="badge tone-idle">Disabled</span>}</td>
                  <td title={absoluteTime(e.createdAt)}>{relativeTime(e.createdAt, now)}</td>
                  {isAdmin ? (
                    <td>
                      <Form method="post">
                        <input type="hidden" name="endpointId" value={e.id} />
                        <button className="btn secondary" type="submit" name="intent" value={e.active ? "disable-webhook" : "enable-webhook"}>
                          {e.active ? "Disable" : "Enable"}
                        </button>
                      </Form>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {isAdmin ? (
        <Form method="post" className="filters" style={{ marginTop: "1rem" }}>
          <FormError errors={errors} />
          <Field name="url" label="Receiver URL" errors={errors}>
            {(p) => <input {...p} type="url" placeholder="https://hooks.example.com/relink" required />}
          </Field>
          <Field name="description" label="Description (optional)" errors={errors}>
            {(p) => <input {...p} type="text" placeholder="Ops channel" />}
          </Field>
          <button className="btn" type="submit" name="intent" value="add-webhook" disabled={busy}>
            {busy ? "Adding…" : "Add receiver"}
          </button>
        </Form>
      ) : null}
    </section>
  );
}
