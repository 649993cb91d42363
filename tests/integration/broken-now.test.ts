import { and, eq, ne } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyRegionAndReprobe } from "../../domain/clinics/clinic-workflows.ts";
import { probeNow } from "../../domain/clinics/live.ts";
import { alerts, connections } from "../../db/schema/index.ts";
import { startDemoConsole, type TestServices } from "../support/services.ts";

let fixture: Awaited<ReturnType<typeof startDemoConsole>>;
let services: TestServices;
beforeAll(async () => {
  fixture = await startDemoConsole();
  services = fixture.services;
});
afterAll(async () => {
  await fixture?.stop();
});

const actor = () => ({ userId: fixture.who.agent.id, label: fixture.who.agent.email });
const live = () => ({
  db: services.db,
  keyring: services.keyring,
  vendors: services.vendors,
  vendorSettings: services.vendor,
  alerts: services.alerts,
  probes: services.queues.probe,
});
async function connectionOf(id: string) {
  const [row] = await services.db.select().from(connections).where(eq(connections.clinicId, id));
  return row!;
}

describe("apply suggested region resolves the clinic's alerts", () => {
  it.each(["Leeds Movement Studio", "Auckland Kinetics"])("leaves no alert open once the re-probe succeeds (%s)", async (name) => {
    const id = await fixture.clinicIdOf(name);
    const c0 = await connectionOf(id);
    console.log("seeded", c0.state, c0.failureCode, c0.consecutiveFailures, c0.firstFailureAt);
    const before = await services.db.select().from(alerts).where(eq(alerts.clinicId, id));
    console.log("alerts before", before.map((a) => [a.kind, a.status, a.connectionId === c0.id]));
    await probeNow({ clinicId: id, connectionId: c0.id, actor: actor() }, live());
    const c1 = await connectionOf(id);
    console.log("probed", c1.state, c1.failureCode, c1.consecutiveFailures, c1.suggestedRegion);
    console.log("alerts mid", (await services.db.select().from(alerts).where(eq(alerts.clinicId, id))).map((a) => [a.kind, a.status]));
    await applyRegionAndReprobe({ clinicId: id, actor: actor() }, { db: services.db, probe: (i) => probeNow(i, live()) });
    const c2 = await connectionOf(id);
    console.log("applied", c2.state, c2.failureCode, c2.consecutiveFailures, c2.region);
    const open = await services.db
      .select()
      .from(alerts)
      .where(and(eq(alerts.clinicId, id), ne(alerts.status, "resolved")));
    expect(open.map((a) => a.kind)).toEqual([]);
  });
});
