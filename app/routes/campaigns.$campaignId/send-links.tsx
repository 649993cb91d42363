import { Form, useFetcher } from "@remix-run/react";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { ConfirmStep, type ConfirmRequest } from "../../components/confirm-step.tsx";
import { formatCount } from "../../components/format.ts";
import type { action, CampaignActionData } from "./route.tsx";

/**
 * "Send everyone their reconnect link": with JavaScript it sends batch after batch through a fetcher
 * and shows progress between them; without it the form posts once and the server loops. Either way
 * the count is confirmed first: with JavaScript in a dialog here, without it on the server's confirm
 * step; every batch carries the confirmed count and the server asks again if more are waiting.
 */
export function SendLinks({ unsent, failedTotal, total, disabled }: { unsent: number; failedTotal: number; total: number; disabled: boolean }) {
  const fetcher = useFetcher<typeof action>();
  const [run, setRun] = useState<{ sent: number; failed: number; total: number; running: boolean; retry: boolean; confirmed: number } | null>(null);
  const [ask, setAsk] = useState<{ confirm: ConfirmRequest; retry: boolean } | null>(null);
  const handled = useRef<unknown>(null);
  useEffect(() => {
    const d = fetcher.data as CampaignActionData | undefined;
    if (fetcher.state !== "idle" || !run?.running || !d || handled.current === d) return;
    handled.current = d;
    if (!d.ok) {
      setRun({ ...run, running: false });
      return;
    }
    if (d.confirm) {
      // why: more clinics wait than were confirmed (someone added some): the server's count, asked again
      setRun({ ...run, running: false });
      setAsk({ confirm: d.confirm, retry: run.retry });
      return;
    }
    const next = { ...run, sent: run.sent + d.send.sent, failed: run.failed + d.send.failed.length };
    const progressed = d.send.sent + d.send.failed.length > 0;
    if (d.send.remaining > 0 && progressed && !run.retry) {
      setRun(next);
      fetcher.submit({ intent: "send-links", batch: "1", confirmed: String(run.confirmed) }, { method: "post" });
    } else setRun({ ...next, running: false });
  }, [fetcher, run]);
  const begin = (retry: boolean, confirmed: number) => {
    setAsk(null);
    handled.current = fetcher.data;
    setRun({ sent: 0, failed: 0, total: confirmed, running: true, retry, confirmed });
    fetcher.submit({ intent: "send-links", batch: "1", confirmed: String(confirmed), ...(retry ? { retryFailed: "1" } : {}) }, { method: "post" });
  };
  const start = (retry: boolean) => (e: FormEvent) => {
    e.preventDefault();
    const n = retry ? failedTotal : unsent;
    setAsk({
      retry,
      confirm: {
        question: `Email reconnect links to ${n} clinic admin${n === 1 ? "" : "s"}?`,
        details: [retry ? "Only the clinics whose last send failed are tried again." : "Clinics already reconnected or sent a link are left alone."],
        count: n,
        confirmLabel: `Send ${n} link${n === 1 ? "" : "s"}`,
        fields: [],
        action: "",
      },
    });
  };
  const done = run ? run.sent + run.failed : 0;
  return (
    <div>
      <Form method="post" onSubmit={start(false)}>
        <input type="hidden" name="intent" value="send-links" />
        <button className="btn" type="submit" disabled={disabled || run?.running || unsent === 0}>
          {unsent ? `Send everyone their reconnect link (${formatCount(unsent)})` : total ? "Every clinic has its link" : "Add clinics first"}
        </button>
      </Form>
      {failedTotal > 0 ? (
        <Form method="post" onSubmit={start(true)} className="inline-form" style={{ marginTop: "0.5rem" }}>
          <input type="hidden" name="intent" value="send-links" />
          <input type="hidden" name="retryFailed" value="1" />
          <button className="btn secondary small" type="submit" disabled={disabled || run?.running}>
            Retry the {formatCount(failedTotal)} that could not be sent
          </button>
        </Form>
      ) : null}
      {ask ? <ConfirmStep confirm={ask.confirm} modal onClose={() => setAsk(null)} onConfirm={(n) => begin(ask.retry, n)} /> : null}
      {run ? (
        <div role="status" aria-live="polite" className="send-progress">
          <div className="progress" aria-hidden="true">
            <span style={{ width: `${run.total ? Math.min(100, Math.round((100 * done) / run.total)) : 100}%` }} />
          </div>
          {run.running ? `Sending… ${done} of ${run.total}` : `Done: ${run.sent} sent${run.failed ? `, ${run.failed} could not be sent (see the table)` : ""}.`}
        </div>
      ) : null}
    </div>
  );
}
