import type { LoaderFunctionArgs } from "@remix-run/node";
import { deadProbesLastDay } from "../../domain/health/dead-probes.ts";

/**
 * Liveness for load balancers: the database answers and the job queue is reachable. Anyone can
 * call it, so it says only ok / not ok per check; why a check failed (host names, user names,
 * query text in driver errors) goes to the log.
 */
export async function loader({ context }: LoaderFunctionArgs) {
  const { services } = context;
  const started = performance.now();
  const checks: Record<string, { ok: boolean; ms?: number; queued?: number; deadLastDay?: number }> = {};
  try {
    await services.checkDatabase();
    checks.database = { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    services.logger.error({ err, check: "database" }, "health check failed");
    checks.database = { ok: false };
  }
  try {
    const t = performance.now();
    const queue = await services.boss.getQueue("probe");
    // why: dead probes are visible here (a count, not a failure: the process itself is fine)
    checks.queue = {
      ok: Boolean(queue),
      ms: Math.round(performance.now() - t),
      queued: queue?.queuedCount ?? 0,
      deadLastDay: await deadProbesLastDay(services.db),
    };
  } catch (err) {
    services.logger.error({ err, check: "queue" }, "health check failed");
    checks.queue = { ok: false };
  }
  const ok = Object.values(checks).every((c) => c.ok);
  return Response.json({ status: ok ? "ok" : "degraded", checks }, { status: ok ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
