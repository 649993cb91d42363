import { Form, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { relativeTime } from "../../components/format.ts";
import { LocalTime } from "../../components/local-time.tsx";
import { Field, Pager } from "../../components/forms.tsx";
import { STATE_TONES } from "../../components/state-badge.tsx";
import type { ClinicPageData } from "./route.tsx";

/** The clinic's timeline (state changes with their evidence, notes), a page at a time, with the note form. */
export function TimelineCard({
  timeline,
  page,
  pages,
  params,
  canNote,
  errors,
  now,
  clinicZone,
}: {
  timeline: ClinicPageData["timeline"];
  page: number;
  pages: number;
  params: URLSearchParams;
  canNote: boolean;
  errors: Record<string, string[] | undefined> | undefined;
  now: number;
  clinicZone: string;
}) {
  // why: the note box clears once its note is posted (the redirect back keeps this component, and
  // with it the typed text); a refused note (errors) keeps the text for fixing
  const form = useRef<HTMLFormElement>(null);
  const navigation = useNavigation();
  const posting = useRef(false);
  useEffect(() => {
    if (navigation.state === "submitting" && navigation.formData?.get("intent") === "note") posting.current = true;
    else if (navigation.state === "idle" && posting.current) {
      posting.current = false;
      if (!errors?.note) form.current?.reset();
    }
  }, [navigation.state, navigation.formData, errors]);
  return (
    <section className="card" aria-labelledby="tl-h">
      <h2 id="tl-h">Timeline</h2>
      {canNote ? (
        <Form method="post" noValidate className="note-form" ref={form}>
          <input type="hidden" name="intent" value="note" />
          <Field name="note" label="Add a note" errors={errors}>
            {(p) => <textarea {...p} rows={2} placeholder="What you did or what the clinic said" />}
          </Field>
          <button className="btn secondary small" type="submit">
            Add note
          </button>
        </Form>
      ) : null}
      {timeline.rows.length === 0 ? (
        <p className="hint">Nothing has happened yet. Healthy probes that change nothing are not listed.</p>
      ) : (
        <ol className="timeline">
          {timeline.rows.map((e) => (
            <li key={e.id} className={e.toState ? `tone-${STATE_TONES[e.toState]}` : undefined}>
              <div>
                <strong>{e.message}</strong>
              </div>
              <div className="when">
                <LocalTime at={e.at} clinicZone={clinicZone} /> ({relativeTime(e.at, now)}) · {e.kind.replace("_", " ")} · by{" "}
                <span className="actor">{e.actor}</span>
              </div>
              {e.httpStatus || e.vendorMessage || e.probeId ? (
                <div className="evidence">
                  {e.httpStatus ? `HTTP ${e.httpStatus}` : ""}
                  {e.vendorMessage ? ` · “${e.vendorMessage}”` : ""}
                  {e.probeId ? ` · probe ${e.probeId.slice(0, 8)}` : ""}
                </div>
              ) : null}
            </li>
          ))}
        </ol>
      )}
      <Pager page={page} pages={pages} params={params} label="Timeline pages" />
    </section>
  );
}
