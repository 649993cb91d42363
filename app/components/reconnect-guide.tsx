import type { VendorGuide } from "../../domain/reconnect/instructions.ts";

/** Step-by-step: where the key lives in the vendor's own screens. Collapsible once a fix is shown. */
export function ReconnectGuide({ guide, collapsed, productName }: { guide: VendorGuide; collapsed: boolean; productName: string }) {
  const body = (
    <>
      <ol className="rc-steps">
        {guide.steps.map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ol>
      {guide.tips.map((t) => (
        <p className="rc-tip" key={t}>
          <span className="rc-tip-label">Tip</span> {t}
        </p>
      ))}
    </>
  );
  // why: vendors' own onboarding guides say what an integration can and cannot do, and how to revoke it
  const access = (
    <section className="rc-card rc-access" aria-labelledby="access-h">
      <h2 id="access-h">What this connection can do</h2>
      <ul className="rc-list">
        <li>
          <strong>Read-only:</strong> {productName} {guide.readOnly}
        </li>
        <li>
          <strong>You stay in control:</strong> {guide.revoke}
        </li>
      </ul>
    </section>
  );
  if (collapsed) {
    return (
      <>
        <details className="rc-card rc-details">
          <summary>How to create a {guide.vendorLabel} API key, step by step</summary>
          {body}
        </details>
        {access}
      </>
    );
  }
  return (
    <>
      <section className="rc-card" aria-labelledby="guide-h">
        <h2 id="guide-h">
          <span className="rc-step-no" aria-hidden="true">
            1
          </span>
          Create a new API key in {guide.vendorLabel}
        </h2>
        {body}
      </section>
      {access}
    </>
  );
}
