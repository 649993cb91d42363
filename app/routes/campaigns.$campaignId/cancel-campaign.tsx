import { Form } from "@remix-run/react";
import { useId } from "react";

/** "Cancel this campaign": posts without a count, so the server answers with its confirm step first. */
export function CancelCampaign({ total, disabled }: { total: number; disabled: boolean }) {
  const id = useId();
  return (
    <Form method="post" className="inline-form cancel-campaign">
      <input type="hidden" name="intent" value="cancel" />
      <div className="field">
        <label htmlFor={`${id}-reason`}>Why cancel (kept in the audit log)</label>
        <input id={`${id}-reason`} name="reason" type="text" maxLength={200} placeholder="e.g. the vendor postponed the migration" />
      </div>
      <button className="btn danger small" type="submit" disabled={disabled}>
        Cancel this campaign…
      </button>
      <span className="hint">You confirm first; the {total} clinics in it are released.</span>
    </Form>
  );
}
