import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation, useRouteLoaderData } from "@remix-run/react";
import { z } from "zod";
import { hasRole } from "../../../domain/auth/roles.ts";
import { BriefingSetupSchema, loadBriefingSetup, saveBriefingSetup } from "../../../domain/briefings/setup.ts";
import { CLINIC_NOT_FOUND } from "../../../domain/clinics/clinic-page.ts";
import { runAction } from "../../actions.server.ts";
import { FormError } from "../../components/forms.tsx";
import { notFound, paramsOr404 } from "../../http.server.ts";
import type { loader as rootLoader } from "../../root.tsx";
import { redirectWithFlash, requireUser } from "../../session.server.ts";
import { HistoryCard } from "./history-card.tsx";
import { PreviewCard } from "./preview-card.tsx";
import { ReadinessCard } from "./readiness-card.tsx";
import { SettingsCard } from "./settings-card.tsx";

// why: the file name ends the clinic page's nesting ($clinicId_), so /clinics/:id/briefing is its own page

export { ErrorBoundary } from "../../components/error-boundary.tsx";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Weekly briefing · ${data?.clinic.name ?? "Clinic"} · Relink` }];

const ParamsSchema = z.object({ clinicId: z.uuid() });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireUser(request, context.services);
  const { clinicId } = paramsOr404(ParamsSchema, params, CLINIC_NOT_FOUND);
  return (await loadBriefingSetup({ clinicId }, context.services.db)) ?? notFound(CLINIC_NOT_FOUND);
}

export async function action(args: ActionFunctionArgs) {
  return runAction(
    args,
    {
      role: "agent",
      params: ParamsSchema,
      notFoundMessage: CLINIC_NOT_FOUND,
      schema: BriefingSetupSchema,
      // why: a refused form comes back as the agent left it (no secrets on this form)
      echo: (form) => ({ values: form }),
    },
    async ({ input, params: { clinicId }, actor, services, request }) => {
      const { changed } = await saveBriefingSetup({ clinicId, input, actor }, services.db);
      const message = changed.length ? `Briefing setup saved: ${changed.join(", ")}.` : "Nothing changed.";
      return redirectWithFlash(request, services, `/clinics/${clinicId}/briefing`, message, changed.length ? "ok" : "info");
    },
  );
}

export type BriefingSetupData = ReturnType<typeof useLoaderData<typeof loader>>;
export type BriefingActionData = ReturnType<typeof useActionData<typeof action>>;

export default function BriefingSetupRoute() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const canEdit = (root?.user ? hasRole(root.user.role, "agent") : false) && !page.clinic.archived;
  const errors = result && "fieldErrors" in result ? result.fieldErrors : undefined;
  const values = result && "values" in result ? (result.values as Record<string, unknown>) : null;
  return (
    <main id="main">
      <p>
        <Link to={`/clinics/${page.clinic.id}`}>← Back to {page.clinic.name}</Link>
      </p>
      <div className="page-head">
        <div>
          <h1>Weekly briefing</h1>
          <p className="sub">
            {page.clinic.name} · Monday 07:00 {page.clinic.timeZone} · last week's utilisation, revenue, AR and three actions
          </p>
        </div>
      </div>
      {page.arrival ? (
        <div className="result tone-ok" role="status">
          <strong>{page.arrival}</strong>
        </div>
      ) : (
        <div className="result tone-warn" role="status">
          <strong>Not ready yet:</strong> finish the checklist below and the next Monday's briefing goes out.
        </div>
      )}
      {page.heldNow ? (
        <div className="result tone-bad" role="note">
          <strong>This Monday's briefing is held.</strong> {page.heldNow} It goes out marked late as soon as that is fixed today; otherwise it is skipped for
          the week.
        </div>
      ) : null}
      <FormError errors={errors} />
      <div className="grid two">
        <div className="stack">
          <ReadinessCard checklist={page.checklist} />
          <HistoryCard history={page.history} />
        </div>
        {/* why: the wider column, so practitioner and type lists read on one line each */}
        <div className="stack">
          <SettingsCard page={page} canEdit={canEdit} errors={errors} values={values} busy={navigation.state !== "idle"} />
        </div>
      </div>
      <PreviewCard clinicId={page.clinic.id} />
    </main>
  );
}
