import type { VendorGuide } from "../../domain/reconnect/instructions.ts";

/** Step-by-step: where the key lives in the vendor's own screens. Collapsible once a fix is shown. */
export function ReconnectGuide({ guide, collapsed }: { guide: VendorGuide; collapsed: boolean }) {
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
  if (collapsed) {
    return (
      <details className="rc-card rc-details">
        <summary>How to create a {guide.vendorLabel} API key, step by step</summary>
        {body}
      </details>
    );
  }
  return (
    <section className="rc-card" aria-labelledby="guide-h">
      <h2 id="guide-h">
        <span className="rc-step-no" aria-hidden="true">
          1
        </span>
        Create a new API key in {guide.vendorLabel}
      </h2>
      {body}
    </section>
  );
}
