import { useFetcher } from "@remix-run/react";
import { useEffect, useId, useState } from "react";
import { DEFAULT_LINK_PURPOSE, MAX_BULK_SELECTION, MAX_MATCHING_SELECTION } from "../../domain/bulk/kinds.ts";
import { ConfirmStep, type ConfirmRequest } from "./confirm-step.tsx";
import "./bulk.css";

export const BULK_FORM_ID = "bulk-form";

type BulkActionData = { ok: false; fieldErrors: Record<string, string[] | undefined> } | { ok: true; confirm: ConfirmRequest; returnTo: string } | undefined;

/**
 * The selection bar above the clinics table: a real form (posting to /bulk?index) whose row
 * checkboxes live in the table and join it through `form="bulk-form"`. Without JavaScript it
 * posts and the server answers with the progress page or the errors; with it, a fetcher keeps
 * the table in place and shows errors here, and the count follows the checkboxes.
 * With JavaScript the bar shows only once something is selected; "all N matching" sends the
 * table's filter (scope=matching, resolved on the server), and the server's confirm step opens as
 * a dialog over the table.
 */
export interface CampaignChoice {
  id: string;
  name: string;
  vendor: string;
  deadline: string;
}

export function BulkBar({
  selected,
  pageIds,
  campaigns,
  returnTo,
  total,
  matchQuery,
}: {
  selected: number;
  pageIds: string[];
  campaigns: CampaignChoice[];
  returnTo: string;
  /** Clinics matching the table's filters (every page). */
  total: number;
  /** The table's filters as a query string, for "all N matching". */
  matchQuery: string;
}) {
  const fetcher = useFetcher<BulkActionData>();
  const errors = fetcher.data && !fetcher.data.ok ? fetcher.data.fieldErrors : undefined;
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  // why idle: after the action answers, the fetcher stays "loading" while the page's loaders
  // revalidate, and the dialog's confirm button is disabled while busy. A dialog opened then got its
  // focus on "Go back" (showModal skips a disabled button), so Enter backed out instead of
  // confirming — how often depended on how fast the revalidation came back (phone.e2e's flake).
  useEffect(() => {
    if (fetcher.state === "idle") setConfirm(fetcher.data?.ok ? fetcher.data.confirm : null);
  }, [fetcher.data, fetcher.state]);
  const [matching, setMatching] = useState(false);
  // why: before hydration (or without JavaScript) nothing is known about the selection, so the bar shows
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  useEffect(() => {
    if (selected < pageIds.length) setMatching(false);
  }, [selected, pageIds.length]);
  const selectionError = errors?.clinicId?.[0] ?? errors?.intent?.[0] ?? errors?.form?.[0];
  const busy = fetcher.state !== "idle";
  const id = useId();
  const offerMatching = total > pageIds.length && total <= MAX_MATCHING_SELECTION && (!hydrated || selected >= pageIds.length);
  const hidden = hydrated && selected === 0 && !matching;
  return (
    <>
      <fetcher.Form
        id={BULK_FORM_ID}
        method="post"
        action="/bulk?index"
        className={hydrated ? "bulkbar" : "bulkbar before-hydration"}
        aria-label="Bulk actions on the selected clinics"
        hidden={hidden}
      >
        <input type="hidden" name="returnTo" value={returnTo} />
        <input type="hidden" name="matchQuery" value={matchQuery} />
        {pageIds.map((pid) => (
          <input key={pid} type="hidden" name="pageClinicId" value={pid} />
        ))}
        <span className="count" aria-live="polite">
          {matching ? `All ${total} matching selected` : selected === 0 ? "No clinics selected" : `${selected} selected`}
        </span>
        {offerMatching ? (
          <label className="select-matching">
            <input type="checkbox" name="scope" value="matching" checked={hydrated ? matching : undefined} onChange={(e) => setMatching(e.target.checked)} />
            Select all {total} matching clinics
          </label>
        ) : null}
        <button className="btn small" type="submit" name="intent" value="probe" disabled={busy}>
          Re-probe selected
        </button>
        <button className="btn small secondary" type="submit" name="intent" value="sync" disabled={busy}>
          Sync selected now
        </button>
        <button className="btn small secondary" type="submit" name="intent" value="reconnect_link" disabled={busy}>
          Email reconnect links
        </button>
        <div className="field">
          <label htmlFor={`${id}-purpose`}>Link message</label>
          <input
            id={`${id}-purpose`}
            name="purpose"
            type="text"
            maxLength={200}
            defaultValue={DEFAULT_LINK_PURPOSE}
            {...(errors?.purpose ? { "aria-invalid": true, "aria-describedby": `${id}-purpose-error` } : {})}
          />
        </div>
        <button className="btn small secondary" type="submit" name="intent" value="pause" disabled={busy}>
          Pause
        </button>
        <button className="btn small secondary" type="submit" name="intent" value="resume" disabled={busy}>
          Resume
        </button>
        {campaigns.length ? (
          <>
            <div className="field">
              <label htmlFor={`${id}-campaign`}>Campaign</label>
              <select
                id={`${id}-campaign`}
                name="campaignId"
                defaultValue=""
                {...(errors?.campaignId ? { "aria-invalid": true, "aria-describedby": `${id}-campaign-error` } : {})}
              >
                <option value="">Choose…</option>
                {campaigns.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} ({c.vendor === "nookal" ? "Nookal" : "Cliniko"}, by {c.deadline})
                  </option>
                ))}
              </select>
            </div>
            <button className="btn small secondary" type="submit" name="intent" value="campaign" disabled={busy}>
              Add to campaign
            </button>
          </>
        ) : null}
        {busy ? <span className="hint">Starting…</span> : null}
        {errors?.campaignId ? (
          <div className="field-error" id={`${id}-campaign-error`}>
            {errors.campaignId[0]}
          </div>
        ) : null}
        {errors?.purpose ? (
          <div className="field-error" id={`${id}-purpose-error`}>
            {errors.purpose[0]}
          </div>
        ) : null}
        {selectionError ? (
          <div className="field-error" role="alert" id={`${id}-selection-error`}>
            {selectionError}
          </div>
        ) : null}
        <span className="hint">
          Up to {MAX_BULK_SELECTION} selected, or all {MAX_MATCHING_SELECTION} matching; you confirm the count first, progress opens on its own page.
        </span>
      </fetcher.Form>
      {confirm ? <ConfirmStep confirm={confirm} modal onClose={() => setConfirm(null)} FormComponent={fetcher.Form} busy={busy} /> : null}
    </>
  );
}
