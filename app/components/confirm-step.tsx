import { Form, Link, type useFetcher } from "@remix-run/react";
import { useEffect, useRef } from "react";
import type { ConfirmRequest } from "../../domain/confirm.ts";

export type { ConfirmRequest };

/**
 * The confirm step before a mass action ("Email reconnect links to 37 clinic admins?"). The server
 * decides the count and refuses an unconfirmed request (see domain/bulk/operations.ts and the
 * campaign page), then answers with this step: its hidden fields repeat the request with
 * `confirmed=<count>`. Without JavaScript it is a plain section on the page; with it, `modal`
 * opens it as a modal <dialog> (focus moves into it, Esc or "Go back" closes it, focus returns).
 */
/** The page's <Form>, or a fetcher's (the bulk bar keeps the table in place). */
type FormLike = typeof Form | ReturnType<typeof useFetcher>["Form"];

export function ConfirmStep({
  confirm,
  modal = false,
  onClose,
  cancelHref,
  FormComponent = Form,
  busy = false,
  onConfirm,
}: {
  confirm: ConfirmRequest;
  modal?: boolean;
  onClose?: () => void;
  cancelHref?: string;
  FormComponent?: FormLike;
  busy?: boolean;
  /** Handle the confirmation in the browser instead of posting (a flow that posts batch by batch itself). */
  onConfirm?: (count: number) => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  // why a ref: callers pass a fresh arrow each render; as an effect dependency it re-ran the effect on
  // every re-render (an auto-refresh, say) and re-captured "where focus goes back to" as the dialog's own button
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  useEffect(() => {
    const d = ref.current;
    if (!modal || !d) return;
    const back = document.activeElement as HTMLElement | null;
    if (!d.open) d.showModal();
    // why explicit: React's autoFocus runs before showModal, when the dialog is closed and nothing in it can take focus
    if (confirmButton.current && !confirmButton.current.disabled) confirmButton.current.focus();
    const closed = () => {
      closeRef.current?.();
      back?.focus();
    };
    d.addEventListener("close", closed);
    return () => d.removeEventListener("close", closed);
  }, [modal, confirm]);
  const F = FormComponent as typeof Form;
  const body = (
    <F
      method="post"
      action={confirm.action}
      className="confirm-form"
      onSubmit={
        onConfirm
          ? (e) => {
              e.preventDefault();
              ref.current?.close();
              onConfirm(confirm.count);
            }
          : undefined
      }
    >
      <h2 id="confirm-question">{confirm.question}</h2>
      {confirm.details.map((d) => (
        <p key={d} className="hint">
          {d}
        </p>
      ))}
      {confirm.fields.map(([name, value], i) => (
        <input key={`${name}-${i}`} type="hidden" name={name} value={value} />
      ))}
      <input type="hidden" name="confirmed" value={String(confirm.count)} />
      <div className="row-actions">
        <button ref={confirmButton} className="btn" type="submit" disabled={busy || confirm.count === 0} autoFocus>
          {confirm.confirmLabel}
        </button>
        {modal ? (
          <button className="btn secondary" type="button" onClick={() => ref.current?.close()}>
            Go back
          </button>
        ) : cancelHref ? (
          <Link className="btn secondary" to={cancelHref}>
            Go back
          </Link>
        ) : null}
      </div>
    </F>
  );
  if (modal)
    return (
      <dialog ref={ref} className="confirm-dialog" aria-labelledby="confirm-question">
        {body}
      </dialog>
    );
  return (
    <section className="card confirm-step" aria-labelledby="confirm-question">
      {body}
    </section>
  );
}
