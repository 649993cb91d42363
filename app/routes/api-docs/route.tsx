import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useRouteLoaderData } from "@remix-run/react";
import { publicUrl } from "../../../config/runtime.ts";
import { loadApiReference, type FieldRow, type OperationView } from "../../api/reference.server.ts";
import { hasRole } from "../../../domain/auth/roles.ts";
import { CopyButton } from "../../components/copy-button.tsx";
import type { loader as rootLoader } from "../../root.tsx";
import { requireUser } from "../../session.server.ts";
import { InlineProse, Prose } from "./prose.tsx";
import styles from "./api-docs.css?url";

export { ErrorBoundary } from "../../components/error-boundary.tsx";

export const meta: MetaFunction = () => [{ title: "API reference · Relink" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

const DOCUMENT_URL = "/api/v1/openapi.json";
// why in-page links are <Link to="#…">: a plain hash <a> fires popstate, and the router's scroll
// restoration puts the page back where it was; a Link's hash navigation scrolls to its target

export async function loader({ request, context }: LoaderFunctionArgs) {
  // why any role: the reference holds no data, only the contract; creating a token is the admin's step
  await requireUser(request, context.services);
  return loadApiReference(publicUrl(context.services.env));
}

const tagAnchor = (name: string) => `tag-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
const schemaAnchor = (name: string) => `schema-${name}`;

function statusTone(status: string): string {
  if (status.startsWith("2")) return "tone-ok";
  if (status === "429" || status.startsWith("5")) return "tone-warn";
  return "tone-bad";
}

function TypeCell({ row }: { row: Pick<FieldRow, "type" | "ref"> }) {
  if (!row.ref) return <code>{row.type}</code>;
  const [before, after] = row.type.split(row.ref);
  return (
    <code>
      {before}
      <Link to={`#${schemaAnchor(row.ref)}`}>{row.ref}</Link>
      {after}
    </code>
  );
}

/** A member's dotted path, its parents dimmed and indented, so the leaf reads first and the path stays copyable. */
function FieldName({ name }: { name: string }) {
  const cut = name.lastIndexOf(".") + 1;
  return (
    <code className="api-name" data-depth={Math.min(name.split(".").length - 1, 5)}>
      {cut ? <span className="api-parent">{name.slice(0, cut)}</span> : null}
      {name.slice(cut)}
    </code>
  );
}

function FieldsTable({ rows, caption }: { rows: FieldRow[]; caption: string }) {
  if (rows.length === 0) return <p className="hint">No members.</p>;
  return (
    <div className="table-wrap">
      <table className="data api-fields">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Type</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((f) => (
            <tr key={f.name}>
              <td data-label="Field">
                <FieldName name={f.name} />
                {f.required ? <span className="api-required">required</span> : null}
              </td>
              <td data-label="Type">
                <TypeCell row={f} />
              </td>
              <td data-label="Description">
                <InlineProse text={f.description} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Operation({ op }: { op: OperationView }) {
  const successes = op.responses.filter((r) => r.status.startsWith("2"));
  const problems = op.responses.filter((r) => !r.status.startsWith("2"));
  return (
    <article id={op.operationId} className="card api-op" aria-labelledby={`${op.operationId}-title`}>
      <div className="api-op-line">
        <span className={`api-method m-${op.method.toLowerCase()}`}>{op.method}</span>
        <code className="api-path">{op.path}</code>
        <span className={`badge ${op.scope === "write" ? "tone-warn" : "tone-info"}`} title={`Needs a ${op.scope} token`}>
          {op.scope === "write" ? "write token" : "read token"}
        </span>
      </div>
      <h3 id={`${op.operationId}-title`}>
        {op.summary} <span className="api-opid">{op.operationId}</span>
      </h3>
      <Prose text={op.description} />

      {op.params.length ? (
        <>
          <h4>Parameters</h4>
          <div className="table-wrap">
            <table className="data api-fields api-params">
              <caption className="visually-hidden">Parameters of {op.operationId}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">In</th>
                  <th scope="col">Type</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {op.params.map((p) => (
                  <tr key={`${p.in}-${p.name}`}>
                    <td data-label="Name">
                      <code className="api-name">{p.name}</code>
                      {p.required ? <span className="api-required">required</span> : null}
                    </td>
                    <td data-label="In">{p.in}</td>
                    <td data-label="Type">
                      <TypeCell row={p} />
                    </td>
                    <td data-label="Description">
                      <InlineProse text={p.description} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}

      {op.body ? (
        <>
          <h4>
            Request body <span className="hint">application/json · unknown members are refused</span>
          </h4>
          <FieldsTable rows={op.body} caption={`Request body of ${op.operationId}`} />
        </>
      ) : null}

      <h4>Responses</h4>
      <div className="table-wrap">
        <table className="data api-responses">
          <caption className="visually-hidden">Responses of {op.operationId}</caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Meaning</th>
              <th scope="col">Body</th>
            </tr>
          </thead>
          <tbody>
            {[...successes, ...problems].map((r) => (
              <tr key={r.status}>
                <td data-label="Status">
                  <span className={`badge api-status ${statusTone(r.status)}`}>{r.status}</span>
                </td>
                <td data-label="Meaning">
                  <InlineProse text={r.description} />
                </td>
                <td data-label="Body">
                  {r.contentType ? <div className="hint mono">{r.contentType}</div> : <span className="hint">No body</span>}
                  {r.ref ? (
                    <Link to={`#${schemaAnchor(r.ref)}`}>
                      <code>{r.ref}</code>
                    </Link>
                  ) : r.fields.length ? (
                    <details className="api-shape">
                      <summary>
                        {r.fields.length} {r.fields.length === 1 ? "field" : "fields"}
                      </summary>
                      <FieldsTable rows={r.fields} caption={`${r.status} body of ${op.operationId}`} />
                    </details>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <div className="api-example-head">
        <h4>Example</h4>
        <CopyButton text={op.curl} label="Copy curl" />
      </div>
      <pre className="api-curl">
        <code>{op.curl}</code>
      </pre>
    </article>
  );
}

export default function ApiDocsPage() {
  const ref = useLoaderData<typeof loader>();
  const count = ref.tags.reduce((n, t) => n + t.operations.length, 0);
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const isAdmin = root?.user ? hasRole(root.user.role, "admin") : false;
  return (
    <main id="main" className="api-docs">
      <div className="page-head">
        <div>
          <h1>API reference</h1>
          <p className="sub">
            {ref.title} v{ref.version} · {count} operations · base URL <code>/api/v1</code> · generated from the same schemas the API validates with
          </p>
        </div>
        <div className="row-actions">
          {/* why here: the nav keeps one API entry; the admin's next step after reading is a token */}
          {isAdmin ? (
            <Link className="btn" to="/api-tokens">
              API tokens
            </Link>
          ) : null}
          <a className="btn secondary" href={DOCUMENT_URL}>
            OpenAPI document (JSON)
          </a>
        </div>
      </div>
      <div className="api-layout">
        <nav className="api-index card" aria-label="API operations">
          {ref.tags.map((tag) => (
            <div key={tag.name} className="api-index-group">
              <Link className="api-index-tag" to={`#${tagAnchor(tag.name)}`}>
                {tag.name}
              </Link>
              <ul>
                {tag.operations.map((op) => (
                  <li key={op.operationId}>
                    <Link to={`#${op.operationId}`}>
                      <span className={`api-method small m-${op.method.toLowerCase()}`}>{op.method}</span>
                      <span>{op.summary}</span>
                    </Link>
                  </li>
                ))}
              </ul>
            </div>
          ))}
          <div className="api-index-group">
            <Link className="api-index-tag" to="#schemas">
              Schemas
            </Link>
            <ul>
              {ref.schemas.map((s) => (
                <li key={s.name}>
                  <Link to={`#${schemaAnchor(s.name)}`}>
                    <code className="api-name">{s.name}</code>
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        </nav>
        <div className="api-content">
          <section className="card api-intro" aria-label="About the API">
            <Prose text={ref.description} />
            <p>
              The machine-readable contract is <a href={DOCUMENT_URL}>{DOCUMENT_URL}</a> (OpenAPI 3.1; no token needed): feed it to a client generator or an
              HTTP tool.
            </p>
          </section>
          {ref.tags.map((tag) => (
            <section key={tag.name} id={tagAnchor(tag.name)} className="api-tag" aria-labelledby={`${tagAnchor(tag.name)}-title`}>
              <h2 id={`${tagAnchor(tag.name)}-title`}>{tag.name}</h2>
              {tag.description ? <p className="sub">{tag.description}</p> : null}
              {tag.operations.map((op) => (
                <Operation key={op.operationId} op={op} />
              ))}
            </section>
          ))}
          <section id="schemas" className="api-tag" aria-labelledby="schemas-title">
            <h2 id="schemas-title">Schemas</h2>
            <p className="sub">The shapes operations name. Timestamps are ISO 8601 instants in UTC; ids are uuids.</p>
            {ref.schemas.map((s) => (
              <article key={s.name} id={schemaAnchor(s.name)} className="card api-op" aria-labelledby={`${schemaAnchor(s.name)}-title`}>
                <h3 id={`${schemaAnchor(s.name)}-title`}>
                  <code>{s.name}</code>
                </h3>
                {s.description ? <Prose text={s.description} /> : null}
                <FieldsTable rows={s.fields} caption={`Fields of ${s.name}`} />
              </article>
            ))}
          </section>
        </div>
      </div>
    </main>
  );
}
