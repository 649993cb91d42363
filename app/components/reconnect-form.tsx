import { Form, useNavigation } from "@remix-run/react";
import { useEffect, useState, type Ref } from "react";
import type { RegionOption } from "../../domain/reconnect/instructions.ts";

export interface ReconnectFormProps {
  vendor: "cliniko" | "nookal";
  vendorLabel: string;
  keyHint: string;
  regionOptions: readonly RegionOption[];
  /** The person's earlier choices (never the key). */
  defaults: { region: string | null; apiVersion: string | null };
  keyError: string | null;
  checkingMessage: string;
  /** Collapsed numbering when the guide is folded away after a refusal. */
  stepNumber: number | null;
  /** Focused after a form error, so its message (right under the field) is read out. */
  keyInputRef?: Ref<HTMLInputElement>;
}

/**
 * The key form. Works without JavaScript (a plain password field and a normal POST); with it, a
 * show/hide toggle and a "Checking your key…" status while the vendor is asked.
 */
export function ReconnectForm(props: ReconnectFormProps) {
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" || (navigation.state === "loading" && navigation.formMethod === "POST");
  const [hydrated, setHydrated] = useState(false);
  const [shown, setShown] = useState(false);
  useEffect(() => setHydrated(true), []);

  return (
    <section className="rc-card" aria-labelledby="form-h">
      <h2 id="form-h">
        {props.stepNumber ? (
          <span className="rc-step-no" aria-hidden="true">
            {props.stepNumber}
          </span>
        ) : null}
        Paste the new key here
      </h2>
      <Form method="post" noValidate={false} autoComplete="off">
        <input type="hidden" name="intent" value="verify" />
        <div className="field">
          <label htmlFor="rc-key">{props.vendorLabel} API key</label>
          <div className="rc-key-row">
            <input
              id="rc-key"
              ref={props.keyInputRef}
              name="key"
              type={shown ? "text" : "password"}
              required
              autoComplete="off"
              autoCapitalize="off"
              autoCorrect="off"
              spellCheck={false}
              data-1p-ignore
              data-lpignore="true"
              aria-describedby={props.keyError ? "rc-key-error rc-key-hint" : "rc-key-hint"}
              aria-invalid={props.keyError ? true : undefined}
              className="rc-key"
            />
            {hydrated ? (
              <button type="button" className="btn secondary rc-toggle" aria-controls="rc-key" aria-pressed={shown} onClick={() => setShown((s) => !s)}>
                {shown ? "Hide" : "Show"}
              </button>
            ) : null}
          </div>
          {props.keyError ? (
            <div className="field-error" id="rc-key-error" role="alert">
              {props.keyError}
            </div>
          ) : null}
          <div className="hint" id="rc-key-hint">
            {props.keyHint} Spaces, quotes or line breaks from copying are tidied up for you.
          </div>
        </div>

        {props.vendor === "nookal" ? (
          <>
            <fieldset className="rc-fieldset" aria-describedby="rc-region-hint">
              <legend>Which Nookal region is your account in?</legend>
              <p className="hint" id="rc-region-hint">
                Look at the web address you use to sign in to Nookal.
              </p>
              <div className="rc-regions">
                {props.regionOptions.map((o) => (
                  <label key={o.value} className="rc-region">
                    <input type="radio" name="region" value={o.value} required defaultChecked={props.defaults.region === o.value} />
                    <span>
                      <strong>{o.label}</strong>
                      <span className="rc-muted mono"> {o.webAddress}</span>
                    </span>
                  </label>
                ))}
              </div>
            </fieldset>
            <details className="rc-inline-details" open={props.defaults.apiVersion !== null && props.defaults.apiVersion !== "auto"}>
              <summary>Using an older Nookal key?</summary>
              <div className="field">
                <label htmlFor="rc-api">Nookal API version</label>
                <select id="rc-api" name="apiVersion" defaultValue={props.defaults.apiVersion ?? "auto"} aria-describedby="rc-api-hint">
                  <option value="auto">Work it out from the key (recommended)</option>
                  <option value="v3">API v3 Basic Key (created under Setup → Integrations → API Keys)</option>
                  <option value="v2">Older API v2 key (looks like 1A2B3C4D-…)</option>
                </select>
                <div className="hint" id="rc-api-hint">
                  New keys are API v3. Only change this if Nookal support gave you an older key.
                </div>
              </div>
            </details>
          </>
        ) : null}

        <div className="rc-submit-row">
          <button className="btn rc-submit" type="submit" disabled={busy} aria-describedby="rc-progress">
            {busy ? "Checking…" : "Check and connect"}
          </button>
          <div id="rc-progress" className="rc-progress" role="status" aria-live="polite">
            {busy ? (
              <>
                <span className="rc-spinner" aria-hidden="true" />
                {props.checkingMessage} This takes a few seconds.
              </>
            ) : null}
          </div>
        </div>
      </Form>
    </section>
  );
}
