import { Form, useFetcher } from "@remix-run/react";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { formatCount } from "../../components/format.ts";
import type { action, CampaignActionData } from "./route.tsx";

/**
 * "Send everyone their reconnect link": with JavaScript it sends batch after batch through a fetcher
 * and shows progress between them; without it the form posts once and the server loops.
 */
export function SendLinks({ unsent, failedTotal, total, disabled }: { unsent: number; failedTotal: number; total: number; disabled: boolean }) {
  const fetcher = useFetcher<typeof action>();
  const [run, setRun] = useState<{ sent: number; failed: number; total: number; running: boolean; retry: boolean } | null>(null);
  const handled = useRef<unknown>(null);
  useEffect(() => {
    const d = fetcher.data as CampaignActionData | undefined;
    if (fetcher.state !== "idle" || !run?.running || !d || handled.current === d) return;
    handled.current = d;
    if (!d.ok) {
      setRun({ ...run, running: false });
      return;
    }
    const next = { ...run, sent: run.sent + d.send.sent, failed: run.failed + d.send.failed.length };
    const progressed = d.send.sent + d.send.failed.length > 0;
    if (d.send.remaining > 0 && progressed && !run.retry) {
      setRun(next);
      fetcher.submit({ intent: "send-links", batch: "1" }, { method: "post" });
    } else setRun({ ...next, running: false });
  }, [fetcher, run]);
  const start = (retry: boolean) => (e: FormEvent) => {
    e.preventDefault();
    handled.current = fetcher.data;
    setRun({ sent: 0, failed: 0, total: retry ? failedTotal : unsent, running: true, retry });
    fetcher.submit({ intent: "send-links", batch: "1", ...(retry ? { retryFailed: "1" } : {}) }, { method: "post" });
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
