import { Form } from "@remix-run/react";
import type { AlertStatus } from "../../domain/vocabulary.ts";

/** One alert's buttons in the inbox: acknowledge, and mute until a date or unmute. */
export function AlertActions({ alert, now }: { alert: { id: string; status: AlertStatus }; now: number }) {
  const a = alert;
  const tomorrow = new Date(now + 86_400_000).toISOString().slice(0, 10);
  const inAWeek = new Date(now + 7 * 86_400_000).toISOString().slice(0, 10);
  return (
    <div className="row-actions">
      {a.status !== "acknowledged" ? (
        <Form method="post">
          <input type="hidden" name="alertId" value={a.id} />
          <button className="btn secondary small" type="submit" name="intent" value="acknowledge">
            Acknowledge
          </button>
        </Form>
      ) : null}
      {a.status === "muted" ? (
        <Form method="post">
          <input type="hidden" name="alertId" value={a.id} />
          <button className="btn secondary small" type="submit" name="intent" value="unmute">
            Unmute
          </button>
        </Form>
      ) : (
        <Form method="post" className="inline-form">
          <input type="hidden" name="alertId" value={a.id} />
          <label className="visually-hidden" htmlFor={`until-${a.id}`}>
            Mute until
          </label>
          <input id={`until-${a.id}`} type="date" name="until" min={tomorrow} defaultValue={inAWeek} />
          <button className="btn secondary small" type="submit" name="intent" value="mute">
            Mute
          </button>
        </Form>
      )}
    </div>
  );
}
