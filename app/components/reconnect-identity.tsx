import { Form, useNavigation } from "@remix-run/react";
import { forwardRef } from "react";
import { OutcomePanel } from "./reconnect-outcome.tsx";
import type { ReconnectOutcome } from "../../domain/reconnect/submit.ts";

/**
 * The reconnect page's identity panels (docs/decisions/0026): "This key belongs to X. Is that your
 * practice?", what happens after each answer, and a key that already serves another practice.
 * Plain words for clinic admins; no brand is named here (the page's shell carries it).
 */

export type IdentityOutcome = Extract<
  ReconnectOutcome,
  { kind: "shared_key" | "account_question" | "account_held" | "account_declined" | "account_question_gone" }
>;

const IDENTITY_KINDS: ReadonlySet<string> = new Set(["shared_key", "account_question", "account_held", "account_declined", "account_question_gone"]);

export function isIdentityOutcome(outcome: { kind: string } | null | undefined): outcome is IdentityOutcome {
  return outcome != null && IDENTITY_KINDS.has(outcome.kind);
}

function count(n: number, atLeast: boolean) {
  return `${atLeast ? "at least " : ""}${n.toLocaleString("en-AU")} patient${n === 1 ? "" : "s"}`;
}

export const IdentityPanel = forwardRef<HTMLHeadingElement, { outcome: IdentityOutcome; vendorLabel: string }>(function IdentityPanel(
  { outcome, vendorLabel },
  ref,
) {
  const navigation = useNavigation();
  const answering = navigation.state !== "idle" && navigation.formData?.get("intent") === "answer_account";

  if (outcome.kind === "account_question") {
    const q = outcome.question;
    return (
      <OutcomePanel ref={ref} tone="warn" icon="?" title={`This key belongs to ${q.accountName}. Is that your practice?`}>
        <p>
          The key works, but it is for a different {vendorLabel} account than the one {outcome.link.clinicName} was connected to before. We have not connected
          it yet.
        </p>
        <p>
          Through this key we can see <strong>{count(q.visiblePatients, q.visiblePatientsAtLeast)}</strong>.
          {q.drop ? (
            <>
              {" "}
              <strong>That is far fewer than the {q.drop.before.toLocaleString("en-AU")} patients we could see before.</strong> A key from the wrong account or
              location is the usual reason.
            </>
          ) : null}
        </p>
        <Form method="post" className="rc-answer">
          <input type="hidden" name="intent" value="answer_account" />
          <button className="btn" type="submit" name="answer" value="yes" disabled={answering}>
            Yes, {q.accountName} is my practice
          </button>{" "}
          <button className="btn secondary" type="submit" name="answer" value="no" disabled={answering}>
            No, that is not my practice
          </button>
        </Form>
        <p className="hint">You don&apos;t need to paste the key again: we keep it safely on our server while you answer.</p>
      </OutcomePanel>
    );
  }

  if (outcome.kind === "account_held") {
    return (
      <OutcomePanel ref={ref} tone="info" title={`Thanks — our support team will finish connecting ${outcome.accountName}`}>
        <p>
          Because this key is for a different {vendorLabel} account than before, a person on our support team checks the change before your practice is
          connected to it. This keeps one practice&apos;s records from mixing with another&apos;s.
        </p>
        <p>
          <strong>You don&apos;t need to do anything else.</strong> We will let you know when it is connected, usually within one working day. Until then, keep
          using {vendorLabel} as normal.
        </p>
        <p className="rc-muted">If you pasted the wrong key by mistake, paste the right one below instead.</p>
      </OutcomePanel>
    );
  }

  if (outcome.kind === "account_declined") {
    return (
      <OutcomePanel ref={ref} tone="warn" title="Not connected: that key is for another practice">
        <p>
          We did not keep the key for {outcome.accountName}. Sign in to {vendorLabel} with your own practice&apos;s account, create a key there, and paste it
          below. This link still works.
        </p>
      </OutcomePanel>
    );
  }

  if (outcome.kind === "account_question_gone") {
    return (
      <OutcomePanel ref={ref} tone="info" title="Please paste the key once more">
        <p>That question has already been answered or has timed out. Paste the key below to check it again.</p>
      </OutcomePanel>
    );
  }

  return (
    <OutcomePanel ref={ref} tone="bad" title="Not connected: this key is already in use for another practice">
      <p>
        Each practice needs its own {vendorLabel} key. Sign in to {vendorLabel} with {outcome.link.clinicName}&apos;s own account, create a new key there and
        paste it below. This link still works.
      </p>
    </OutcomePanel>
  );
});
