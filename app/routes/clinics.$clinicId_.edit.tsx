import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { archiveClinic, ArchiveReasonSchema, editClinicDetails, EditClinicSchema, restoreClinic } from "../../domain/clinics/clinic-details.ts";
import { CLINIC_NOT_FOUND, loadClinicDetails } from "../../domain/clinics/clinic-page.ts";
import { runAction } from "../actions.server.ts";
import { ClinicDetailsFields, timeZoneOf } from "../components/clinic-fields.tsx";
import { absoluteTime } from "../components/format.ts";
import { Field, FormError } from "../components/forms.tsx";
import type { FormFields } from "../forms.server.ts";
import { notFound, paramsOr404 } from "../http.server.ts";
import { redirectWithFlash, requireRole } from "../session.server.ts";

// why: the file name ends the clinic page's nesting ($clinicId_), so /clinics/:id/edit is its own page

export { ErrorBoundary } from "../components/error-boundary.tsx";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Edit ${data?.clinic.name ?? "clinic"} · Relink` }];

const ParamsSchema = z.object({ clinicId: z.uuid() });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireRole(request, context.services, "agent");
  const { clinicId } = paramsOr404(ParamsSchema, params, CLINIC_NOT_FOUND);
  return { clinic: (await loadClinicDetails(clinicId, context.services.db)) ?? notFound(CLINIC_NOT_FOUND) };
}

const DetailsForm = EditClinicSchema.extend({ intent: z.literal("save") });
const ArchiveForm = z.object({
  intent: z.literal("archive"),
  reason: ArchiveReasonSchema,
  // why: archiving takes the clinic out of every list and the sweep, so it asks once more, also without JavaScript
  confirm: z.literal("yes", "Tick the box to confirm you mean to archive this clinic"),
});
const RestoreForm = z.object({ intent: z.literal("restore") });

const ActionSchema = z.discriminatedUnion("intent", [DetailsForm, ArchiveForm, RestoreForm]);
const editsDetails = (form: FormFields) => form.intent !== "archive" && form.intent !== "restore";

export async function action(args: ActionFunctionArgs) {
  return runAction(
    args,
    {
      role: "agent",
      params: ParamsSchema,
      notFoundMessage: CLINIC_NOT_FOUND,
      schema: ActionSchema,
      prepare: (form) => (editsDetails(form) ? { ...form, timeZone: timeZoneOf(form as Record<string, string>) } : form),
      // why: a refused details form comes back filled in; the archive and restore forms have nothing to refill
      echo: (form) => ({ values: editsDetails(form) ? (form as Record<string, string>) : null }),
    },
    async ({ input, params: { clinicId }, actor, services, request }) => {
      const here = `/clinics/${clinicId}`;
      if (input.intent === "archive") {
        await archiveClinic({ clinicId, reason: input.reason || undefined, actor }, services.db);
        return redirectWithFlash(request, services, here, "Clinic archived. It is no longer listed or probed; restore it from this page at any time.");
      }
      if (input.intent === "restore") {
        await restoreClinic({ clinicId, actor }, services.db);
        return redirectWithFlash(request, services, here, "Clinic restored. The next sweep probes it again.");
      }
      const { intent: _intent, ...details } = input;
      const { changed } = await editClinicDetails({ clinicId, details, actor }, services.db);
      return redirectWithFlash(request, services, here, changed.length ? `Saved: ${changed.join(", ")}.` : "Nothing changed.", changed.length ? "ok" : "info");
    },
  );
}

export default function EditClinic() {
  const { clinic } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.fieldErrors;
  const values = result?.values ?? clinic;
  return (
    <main id="main">
      <p>
        <Link to={`/clinics/${clinic.id}`}>← Back to {clinic.name}</Link>
      </p>
      <div className="page-head">
        <div>
          <h1>Edit {clinic.name}</h1>
          <p className="sub">
            {clinic.archivedAt ? `Archived ${absoluteTime(clinic.archivedAt)}.` : "Changes are recorded on the timeline and in the audit log."}
          </p>
        </div>
      </div>
      <FormError errors={errors} />
      <div className="grid halves">
        <section className="card" aria-labelledby="details-h">
          <h2 id="details-h">Details</h2>
          {clinic.archivedAt ? (
            <p className="hint">Restore the clinic to edit its details.</p>
          ) : (
            <Form method="post" noValidate>
              <input type="hidden" name="intent" value="save" />
              <ClinicDetailsFields values={values} errors={errors} />
              <button className="btn" type="submit">
                Save details
              </button>
            </Form>
          )}
        </section>
        <section className="card" aria-labelledby="archive-h">
          {clinic.archivedAt ? (
            <>
              <h2 id="archive-h">Restore</h2>
              <p>The clinic comes back into the table, the sweep and the alerts. Its history was kept.</p>
              <Form method="post">
                <button className="btn" type="submit" name="intent" value="restore">
                  Restore clinic
                </button>
              </Form>
            </>
          ) : (
            <>
              <h2 id="archive-h">Archive</h2>
              <p>
                For a clinic that left or closed. It disappears from the clinics table, is no longer probed, and its reconnect links stop working. Nothing is
                deleted: the timeline and audit history stay, and it can be restored from the <Link to="/clinics/archived">archived clinics</Link> list.
              </p>
              <Form method="post" noValidate>
                <input type="hidden" name="intent" value="archive" />
                <Field name="reason" label="Why (optional)" errors={errors}>
                  {(p) => <input {...p} placeholder="e.g. clinic closed in March" />}
                </Field>
                <div className="field">
                  <label className="checkbox">
                    <input
                      type="checkbox"
                      name="confirm"
                      value="yes"
                      aria-invalid={errors?.confirm ? true : undefined}
                      aria-describedby={errors?.confirm ? "confirm-error" : undefined}
                    />{" "}
                    Yes, archive {clinic.name}
                  </label>
                  {errors?.confirm?.[0] ? (
                    <div className="field-error" id="confirm-error">
                      {errors.confirm[0]}
                    </div>
                  ) : null}
                </div>
                <button className="btn danger" type="submit">
                  Archive clinic
                </button>
              </Form>
            </>
          )}
        </section>
      </div>
    </main>
  );
}
