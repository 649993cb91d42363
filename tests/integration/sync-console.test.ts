import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as bulkAction } from "../../app/routes/bulk._index.tsx";
import { action as clinicAction, loader as clinicLoader } from "../../app/routes/clinics.$clinicId/route.tsx";
import { loader as clinicsLoader } from "../../app/routes/clinics._index/route.tsx";
import { syncContext } from "../../composition/services.ts";
import { getBulkProgress } from "../../db/queries/bulk-operations.ts";
import { connections } from "../../db/schema/index.ts";
import { MAX_BULK_SELECTION } from "../../domain/bulk/kinds.ts";
import { syncConnection } from "../../domain/sync/run.ts";
import { requestAs, settle, startDemoConsole } from "../support/services.ts";

let fixture: Awaited<ReturnType<typeof startDemoConsole>>;
beforeAll(async () => {
  fixture = await startDemoConsole();
});
afterAll(async () => {
  await fixture?.stop();
});

const connectionIdOf = async (clinicId: string) =>
  (await fixture.t.db.select({ id: connections.id }).from(connections).where(eq(connections.clinicId, clinicId)))[0]!.id;
const syncJobs = (connectionId: string) =>
  fixture.t.sql<
    { trigger: string; state: string; priority: number }[]
  >`select data->>'trigger' as trigger, state, priority from pgboss.job where name = 'sync' and data->>'connectionId' = ${connectionId}`;

describe("sync in the console", () => {
  it("Sync now on the clinic page queues one sync job (agents only); the loader shows the card", async () => {
    const { services, who } = fixture;
    // why a small clinic: a full sync is paced by the shared budget's sync share (160 requests a minute);
    // Harbourside's ~250 pages would take over a minute, which says nothing about the console
    const clinicId = await fixture.clinicIdOf("Maple Leaf Chiropractic");
    const connectionId = await connectionIdOf(clinicId);
    const post = async (role: "viewer" | "agent") =>
      settle(async () =>
        clinicAction({
          request: await requestAs(services, who[role].id, `/clinics/${clinicId}`, { form: { intent: "sync" } }),
          params: { clinicId },
          context: { services },
        }),
      );
    expect((await post("viewer")).status).toBe(403);
    expect((await post("agent")).status).toBe(302);
    expect((await post("agent")).status).toBe(302);
    // why: the stately sync queue keeps one waiting job per connection
    // a person's "Sync now" is fetched before the scheduled spread (priority 1 over 0)
    expect(await syncJobs(connectionId)).toEqual([{ trigger: "manual", state: "created", priority: 1 }]);

    const before = await settle(async () =>
      clinicLoader({ request: await requestAs(services, who.viewer.id, `/clinics/${clinicId}`), params: { clinicId }, context: { services } }),
    );
    expect((before.data as { sync: { latest: unknown } }).sync.latest).toBeNull();
    const report = await syncConnection(syncContext(services), { connectionId, jobId: null, trigger: "manual" });
    expect(report.outcome).toBe("succeeded");
    const after = await settle(async () =>
      clinicLoader({ request: await requestAs(services, who.viewer.id, `/clinics/${clinicId}`), params: { clinicId }, context: { services } }),
    );
    const sync = (after.data as { sync: { latest: { state: string; percent: number }; resources: { resource: string; state: string }[] } }).sync;
    expect(sync.latest).toMatchObject({ state: "succeeded", percent: 100 });
    expect(sync.resources.map((r) => r.resource)).toContain("invoices");
    expect(sync.resources.every((r) => r.state === "succeeded")).toBe(true);
  });

  it("Sync selected now in bulk queues a sync per clinic; items settle when their sync finished", async () => {
    const { services, who } = fixture;
    const ids = [await fixture.clinicIdOf("Yarra Valley Osteopathy"), await fixture.clinicIdOf("Camden Sports Clinic")];
    const request = await requestAs(services, who.agent.id, "/bulk?index", { form: { intent: "sync", clinicId: ids, confirmed: String(MAX_BULK_SELECTION) } });
    const r = await settle(() => bulkAction({ request, params: {}, context: { services } }));
    expect(r.status).toBe(302);
    const operationId = /\/bulk\/([0-9a-f-]{36})$/.exec(r.response!.headers.get("Location") ?? "")![1]!;
    const connectionIds = await Promise.all(ids.map(connectionIdOf));
    for (const id of connectionIds) expect((await syncJobs(id)).map((j) => j.trigger)).toEqual(["bulk"]);
    expect((await getBulkProgress({ operationId }, fixture.t.db))!.items.map((i) => i.status)).toEqual(["waiting", "waiting"]);
    await syncConnection(syncContext(services), { connectionId: connectionIds[0]!, jobId: null, trigger: "bulk" });
    const progress = (await getBulkProgress({ operationId }, fixture.t.db))!;
    const byClinic = new Map(progress.items.map((i) => [i.clinicId, i.status]));
    expect(byClinic.get(ids[0]!)).toBe("done");
    expect(byClinic.get(ids[1]!)).toBe("waiting");
  });

  it("the fleet table filters Sync failing and sorts by last successful sync", async () => {
    const { services, who } = fixture;
    const failing = await fixture.clinicIdOf("Fremantle Allied Health");
    await syncConnection(syncContext(services), { connectionId: await connectionIdOf(failing), jobId: null, trigger: "manual" });
    const load = async (query: string) =>
      (await settle(async () => clinicsLoader({ request: await requestAs(services, who.viewer.id, `/clinics?${query}`), params: {}, context: { services } })))
        .data as {
        rows: { id: string; name: string; lastSyncSuccessAt: string | null }[];
      };
    const filtered = await load("sync=failing");
    expect(filtered.rows.map((r) => r.id)).toEqual([failing]);
    const sorted = await load("sort=lastSync&dir=desc");
    const synced = sorted.rows.filter((r) => r.lastSyncSuccessAt !== null);
    expect(synced.length).toBeGreaterThanOrEqual(2);
    // newest successful sync first; never-synced after
    expect(sorted.rows.slice(0, synced.length).map((r) => r.id)).toEqual(synced.map((r) => r.id));
    const times = synced.map((r) => Date.parse(r.lastSyncSuccessAt!));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });
});
