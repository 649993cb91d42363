import { Link } from "@remix-run/react";
import type { FieldRow, OperationView } from "../../api/reference.server.ts";
import { CopyButton } from "../../components/copy-button.tsx";
import { InlineProse, Prose } from "./prose.tsx";

/** One operation of the reference, and the tables it is made of (the schemas section reuses FieldsTable). */

export const tagAnchor = (name: string) => `tag-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
export const schemaAnchor = (name: string) => `schema-${name}`;

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

export function FieldsTable({ rows, caption }: { rows: FieldRow[]; caption: string }) {
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

export function Operation({ op }: { op: OperationView }) {
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
