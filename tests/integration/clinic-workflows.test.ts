import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pauseConnection } from "../../domain/clinics/console-actions.ts";
import { clinicWithConnection, loadClinicPage } from "../../domain/clinics/clinic-page.ts";
import { applyRegionAndReprobe, createClinicReconnectLink, resumeAndReprobe, type ProbeStep } from "../../domain/clinics/clinic-workflows.ts";
import { probeNow } from "../../domain/clinics/live.ts";
import { DomainError } from "../../domain/errors.ts";
import { connections } from "../../db/schema/index.ts";
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
const clinicId = (name: string) => fixture.clinicIdOf(name);
async function connectionOf(id: string) {
  const [row] = await services.db.select().from(connections).where(eq(connections.clinicId, id));
  return row!;
}
/** The real probe as the injected step, recording what the connection looked like when it ran. */
function recordingProbe() {
  const calls: { connectionId: string; region: string; state: string }[] = [];
  const probe: ProbeStep = async (input) => {
    const c = await connectionOf(input.clinicId);
    calls.push({ connectionId: input.connectionId, region: c.region, state: c.state });
    return probeNow(input, live());
  };
  return { calls, probe };
}

describe("clinic page workflows in domain, with the probe as one injected step", () => {
  it("apply region stores the region first, then probes that connection once", async () => {
    const id = await clinicId("Leeds Movement Studio");
    await probeNow({ clinicId: id, connectionId: (await connectionOf(id)).id, actor: actor() }, live());
    const { calls, probe } = recordingProbe();
    const { region, report } = await applyRegionAndReprobe({ clinicId: id, actor: actor() }, { db: services.db, probe });
    expect(region).toBe("uk2");
    expect(calls).toEqual([{ connectionId: (await connectionOf(id)).id, region: "uk2", state: expect.any(String) }]);
    expect(report.outcome).toBe("healthy");
  });

  it("a refused step never reaches the probe", async () => {
    const { calls, probe } = recordingProbe();
    await expect(
      applyRegionAndReprobe({ clinicId: await clinicId("Yarra Valley Osteopathy"), actor: actor() }, { db: services.db, probe }),
    ).rejects.toMatchObject({ status: 409 });
    await expect(resumeAndReprobe({ clinicId: await clinicId("Yarra Valley Osteopathy"), actor: actor() }, { db: services.db, probe })).rejects.toBeInstanceOf(
      DomainError,
    );
    expect(calls).toEqual([]);
  });

  it("resume moves a paused connection to setup_pending, then probes it", async () => {
    const id = await clinicId("Camden Sports Clinic");
    await pauseConnection({ clinicId: id, actor: actor() }, services.db);
    const { calls, probe } = recordingProbe();
    await resumeAndReprobe({ clinicId: id, actor: actor() }, { db: services.db, probe });
    expect(calls.map((c) => c.state)).toEqual(["setup_pending"]);
    expect((await connectionOf(id)).state).not.toBe("paused");
  });

  it("emailing a link needs an admin email: a 400 next to the purpose", async () => {
    const id = await clinicId("Camden Sports Clinic");
    const { clinic, connection } = await clinicWithConnection(id, services.db);
    const err = await createClinicReconnectLink(
      {
        clinic: { ...clinic, adminEmail: null },
        vendor: connection.vendor,
        purpose: "New key",
        email: true,
        actor: actor(),
        publicUrl: "http://x",
        ttlHours: 1,
      },
      { db: services.db, keyring: services.keyring, deliveries: services.queues.deliver },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, field: "purpose" });
  });

  it("the page presenter answers null for an unknown clinic and a 404 DomainError for an action on one", async () => {
    const unknown = "00000000-0000-4000-8000-000000000000";
    expect(await loadClinicPage({ clinicId: unknown, page: 1 }, services.db)).toBeNull();
    await expect(clinicWithConnection(unknown, services.db)).rejects.toMatchObject({ status: 404, field: undefined });
  });
});
