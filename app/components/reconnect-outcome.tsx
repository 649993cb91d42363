import { Form, useNavigation } from "@remix-run/react";
import { forwardRef, type ReactNode } from "react";
import type { ReconnectRefusal } from "../../domain/reconnect/submit.ts";

/** The panels that answer a submission: refused, wrong region, zero patients, rate limited, retry expired. */

function Notes({ notes }: { notes: string[] }) {
  if (notes.length === 0) return null;
  return (
    <div className="rc-notes">
      <strong>We tidied what you pasted:</strong>
      <ul>
        {notes.map((n) => (
          <li key={n}>{n}</li>
        ))}
      </ul>
    </div>
  );
}

function plural(n: number, one: string, many: string) {
  return `${n.toLocaleString("en-AU")} ${n === 1 ? one : many}`;
}

function who(user: { name: string; role: string | null }) {
  return `${user.name}${user.role ? ` (${user.role})` : ""}`;
}

export const RefusalPanel = forwardRef<HTMLHeadingElement, { refusal: ReconnectRefusal; vendorLabel: string }>(function RefusalPanel(
  { refusal, vendorLabel },
  ref,
) {
  const navigation = useNavigation();
  const retrying = navigation.state !== "idle" && navigation.formData?.get("intent") === "use_suggested_region";

  if (refusal.failureCode === "wrong_region" && refusal.suggestedRegion) {
    return (
      <OutcomePanel ref={ref} tone="info" icon="↻" title={`Your key works — in the ${refusal.suggestedRegionLabel} region`}>
        <p>
          {vendorLabel} accepts this key in <strong>{refusal.suggestedRegionLabel}</strong>
          {vendorLabel === "Nookal" ? ", not in the region you picked" : ""}. Nothing is wrong with the key.
        </p>
        <Form method="post" className="rc-retry">
          <input type="hidden" name="intent" value="use_suggested_region" />
          <button className="btn" type="submit" disabled={retrying}>
            {retrying ? `Connecting with ${refusal.suggestedRegionLabel}…` : `Use ${refusal.suggestedRegionLabel}`}
          </button>
          <span className="hint">No need to paste the key again: we keep it on our secure server for 10 minutes.</span>
        </Form>
        <Notes notes={refusal.notes} />
      </OutcomePanel>
    );
  }

  if (refusal.failureCode === "no_patients_visible") {
    return (
      <OutcomePanel ref={ref} tone="warn" title="Not connected yet: this key can't see any patients">
        <p>
          {refusal.verifiedUser ? (
            <>
              {vendorLabel} accepted the key (it belongs to <strong>{who(refusal.verifiedUser)}</strong>), but{" "}
              <strong>{plural(refusal.visiblePatients ?? 0, "patient is", "patients are")}</strong> visible through it.
            </>
          ) : (
            refusal.clinicMessage
          )}
        </p>
        <p>
          <strong>Likely cause:</strong> {refusal.likelyCause ?? refusal.tellClinic}
        </p>
        <h3>How to fix it</h3>
        <ol className="rc-steps">
          {refusal.steps.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ol>
        <p>Then paste the new key below. This link still works.</p>
        <Notes notes={refusal.notes} />
        <SupportLink href={refusal.supportHref} />
      </OutcomePanel>
    );
  }

  if (refusal.localReason) {
    // why: a paste problem is fixed by pasting again; a short headline here, the exact words under the field
    return (
      <OutcomePanel ref={ref} tone="bad" title={`Not connected: ${refusal.title}`}>
        <p>
          {refusal.localReason} Nothing was sent to {vendorLabel}; this link still works.
        </p>
        <Notes notes={refusal.notes} />
      </OutcomePanel>
    );
  }

  return (
    <OutcomePanel ref={ref} tone="bad" title={`Not connected: ${refusal.title}`}>
      <p>{refusal.clinicMessage}</p>
      {refusal.localReason ? (
        <p>
          <strong>{refusal.localReason}</strong>
        </p>
      ) : null}
      {refusal.steps.length > 0 ? (
        <>
          <h3>How to fix it</h3>
          <ol className="rc-steps">
            {refusal.steps.map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ol>
          <p>Then paste the key below. This link still works.</p>
        </>
      ) : refusal.tellClinic === refusal.clinicMessage ? null : (
        <p>{refusal.tellClinic} You can try again in a few minutes; this link still works.</p>
      )}
      {refusal.vendorAnswer ? (
        <p className="rc-muted rc-small">
          What {vendorLabel} answered: <span className="mono">{refusal.vendorAnswer}</span>
        </p>
      ) : null}
      <Notes notes={refusal.notes} />
      <SupportLink href={refusal.supportHref} />
    </OutcomePanel>
  );
});

function SupportLink({ href }: { href: string }) {
  return (
    <p className="rc-support">
      Still stuck? <a href={href}>Email support with the details filled in</a> (it never includes your key).
    </p>
  );
}

const ICONS = { ok: "✓", info: "i", warn: "!", bad: "✕" } as const;

/**
 * The one panel that answers a submission on the reconnect page (refusals, identity questions,
 * notices): a toned section labelled by its heading, which takes focus after an answer.
 */
export const OutcomePanel = forwardRef<HTMLHeadingElement, { tone: keyof typeof ICONS; title: ReactNode; icon?: string; children: ReactNode }>(
  function OutcomePanel({ tone, title, icon, children }, ref) {
    return (
      <section className={`rc-panel tone-${tone}`} aria-labelledby="outcome-h">
        <h2 id="outcome-h" ref={ref} tabIndex={-1}>
          <span className="rc-panel-icon" aria-hidden="true">
            {icon ?? ICONS[tone]}
          </span>
          {title}
        </h2>
        {children}
      </section>
    );
  },
);

/** A notice (rate limited, retry expired): the outcome panel with a warn or info tone. */
export const NoticePanel = forwardRef<HTMLHeadingElement, { tone: "warn" | "info"; title: string; children: ReactNode }>(function NoticePanel(
  { tone, title, children },
  ref,
) {
  return (
    <OutcomePanel ref={ref} tone={tone} title={title}>
      {children}
    </OutcomePanel>
  );
});
