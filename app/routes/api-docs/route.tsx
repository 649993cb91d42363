import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useRouteLoaderData } from "@remix-run/react";
import { publicUrl } from "../../../config/runtime.ts";
import { loadApiReference } from "../../api/reference.server.ts";
import { hasRole } from "../../../domain/auth/roles.ts";
import type { loader as rootLoader } from "../../root.tsx";
import { requireUser } from "../../session.server.ts";
import { FieldsTable, Operation, schemaAnchor, tagAnchor } from "./operation.tsx";
import { Prose } from "./prose.tsx";
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
