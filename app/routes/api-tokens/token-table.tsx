import { Form } from "@remix-run/react";
import { absoluteTime, formatCount, relativeTime } from "../../components/format.ts";
import type { loader } from "./route.tsx";

export const SCOPE_WORDS = { read: "Read-only", write: "Read-write" } as const;

type View = Awaited<ReturnType<typeof loader>>;

/** Every API token: its hint (never the token), access, creator, last use, limit and status; a live one can be revoked. */
export function TokenTable({ tokens, now }: Pick<View, "tokens" | "now">) {
  const active = tokens.filter((t) => !t.revokedAt).length;
  return (
    <section aria-labelledby="tokens-h">
      <h2 id="tokens-h" className="visually-hidden">
        Tokens
      </h2>
      {tokens.length === 0 ? (
        <div className="card empty">
          <p>
            <strong>No API tokens yet.</strong>
          </p>
          <p>Create one to let another system read the fleet or onboard clinics through the API.</p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="data api-tokens">
            <caption className="visually-hidden">
              {tokens.length} tokens, {active} active
            </caption>
            <thead>
              <tr>
                <th scope="col">Token</th>
                <th scope="col">Access</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Limit</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id}>
                  <td>
                    <strong>{t.name}</strong>
                    <div className="hint mono">rlk_…{t.hint}</div>
                  </td>
                  <td>
                    <span className={`badge ${t.scope === "write" ? "tone-warn" : "tone-info"}`}>{SCOPE_WORDS[t.scope]}</span>
                  </td>
                  <td>
                    <span title={absoluteTime(t.createdAt)}>{relativeTime(t.createdAt, now, "short")}</span>
                    <div className="hint" title={t.creatorEmail}>
                      by {t.creatorName}
                    </div>
                  </td>
                  <td>
                    {t.lastUsedAt ? (
                      <>
                        {relativeTime(t.lastUsedAt, now, "short")}
                        <div className="hint">{absoluteTime(t.lastUsedAt)}</div>
                      </>
                    ) : (
                      <span className="hint">Never</span>
                    )}
                  </td>
                  <td className="num">{formatCount(t.rateLimitPerMinute)}/min</td>
                  <td>
                    {t.revokedAt ? (
                      <span className="badge tone-idle" title={absoluteTime(t.revokedAt)}>
                        Revoked {relativeTime(t.revokedAt, now, "short")}
                      </span>
                    ) : (
                      <span className="badge tone-ok">Active</span>
                    )}
                  </td>
                  <td>
                    {t.revokedAt ? null : (
                      <Form method="post">
                        <input type="hidden" name="tokenId" value={t.id} />
                        <button className="btn secondary small" type="submit" name="intent" value="revoke" aria-label={`Revoke ${t.name}`}>
                          Revoke
                        </button>
                      </Form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
