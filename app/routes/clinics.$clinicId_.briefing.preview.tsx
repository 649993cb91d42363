import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { isMonday } from "../../domain/briefings/calendar.ts";
import { BRIEFING_PREVIEW_CSP, loadBriefingPreview } from "../../domain/briefings/preview.ts";
import { paramsOr404 } from "../http.server.ts";
import { requireRole } from "../session.server.ts";

/**
 * The clinic's weekly briefing email as it will be sent (issue 14), for an iframe on the clinic
 * page: staff only, served under a policy that runs nothing and lets only the console frame it.
 * `?week=YYYY-MM-DD` (a Monday) picks the week; default the week next Monday's briefing covers.
 * A resource route (no component): the file name ends the clinic page's nesting ($clinicId_).
 */

const ParamsSchema = z.object({ clinicId: z.uuid() });
const WeekSchema = z.string().refine(isMonday, "a Monday").nullable();

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireRole(request, context.services, "viewer");
  const { clinicId } = paramsOr404(ParamsSchema, params);
  const week = WeekSchema.safeParse(new URL(request.url).searchParams.get("week"));
  if (!week.success) return new Response("week must be a Monday as YYYY-MM-DD", { status: 400, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  const preview = await loadBriefingPreview({ db: context.services.db, brand: context.services.brand }, { clinicId, weekStart: week.data });
  return new Response(preview.html, {
    status: preview.ok ? 200 : preview.status,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      // why these replace the console's defaults (lib/http/remix.ts): the console forbids all framing; this page is made to be framed by it
      "Content-Security-Policy": BRIEFING_PREVIEW_CSP,
      "X-Frame-Options": "SAMEORIGIN",
      "Cache-Control": "private, no-store",
      "X-Robots-Tag": "noindex",
    },
  });
}
