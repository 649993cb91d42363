import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { action as clinicAction, loader as clinicLoader } from "../../app/routes/clinics.$clinicId/route.tsx";
import { loader as clinicsLoader } from "../../app/routes/clinics._index/route.tsx";
import { action as addAction } from "../../app/routes/clinics.new.tsx";
import { action as reconnectAction } from "../../app/routes/reconnect.$token.tsx";
import { loader as doneLoader } from "../../app/routes/reconnect.done.tsx";
import { clinics, connectionEvents, connections, rateLimitHits } from "../../db/schema/index.ts";
import { keyringFromConfig, sealApiKey } from "../../domain/connections/key-storage.ts";
import { probeConnection } from "../../domain/health/probe.ts";
import { connectedLine } from "../../domain/reconnect/instructions.ts";
import { createReconnectLink } from "../../domain/reconnect/links.ts";
import type { ReconnectConfirmation } from "../../domain/reconnect/submit.ts";
import { controlClient, type ControlClient } from "../../simulator/control-client.ts";
import type { TestDatabase } from "../support/db.ts";
import { requestAs, settle, startDemoConsole, type createRoleUsers, type TestServices } from "../support/services.ts";
import { connectionOf, makeClinic } from "./reconnect-fixtures.ts";

/**
 * Issue 12: a Nookal count that stopped at the paging cap (10 pages of 200) is stored with its
 * "at least" flag wherever a verify result is written, and every place that shows the count to
 * people says "at least 2,000" — against the simulator over HTTP, with an account of 2,600 patients.
 */
let t: TestDatabase;
let services: TestServices;
let who: Awaited<ReturnType<typeof createRoleUsers>>;
let control: ControlClient;
let fixture: Awaited<ReturnType<typeof startDemoConsole>>;

const CAP = 2000;

beforeAll(async () => {
  fixture = await startDemoConsole();
  ({ t, services, who } = fixture);
  control = controlClient(fixture.sim.url);
});
afterAll(async () => {
  await fixture?.stop();
});
beforeEach(async () => {
  await t.db.delete(rateLimitHits);
});

/** The context every probe path builds (worker, "Probe now"), from the services the web process uses. */
function probeContext() {
  return { db: services.db, keyring: services.keyring, vendors: services.vendors, alerts: services.alerts, probes: services.queues.probe };
}

async function bigNookalAccount(patients = 2600) {
  return control.createNookalAccount({ region: "au", patientsOnly: true, locations: [{ name: "Main", patients }] });
}

/** A Nookal clinic whose stored key is `key`, never probed yet. */
async function nookalClinicWithKey(key: string) {
  const id = randomUUID();
  const keyring = keyringFromConfig(services.masterKey, services.env.MASTER_KEY_ID);
  const made = await makeClinic(t, {
    vendor: "nookal",
    region: "au",
    apiVersion: "v3",
    connection: { id, ...sealApiKey(keyring, id, { vendor: "nookal", key, region: "au" }, new Date()) },
  });
  return { clinic: made.clinic, connection: made.connection! };
}

async function clinicPage(clinicId: string) {
  const request = await requestAs(services, who.viewer.id, `/clinics/${clinicId}`);
  const r = await settle(() => clinicLoader({ request, params: { clinicId }, context: { services } }));
  expect(r.status).toBe(200);
  return r.data as { connection: { visiblePatientCount: number; visiblePatientsAtLeast: boolean }; packet: string };
}

async function tableRow(name: string) {
  const request = await requestAs(services, who.viewer.id, `/clinics?q=${encodeURIComponent(name)}`);
  const r = await settle(() => clinicsLoader({ request, params: {}, context: { services } }));
  const rows = (r.data as { rows: { name: string; visiblePatientCount: number | null; visiblePatientsAtLeast: boolean | null }[] }).rows;
  return rows.find((row) => row.name === name)!;
}

describe("a probe stores the 'at least' flag with the count", () => {
  it("on a state change and on a facts-only probe, and clears it when the count fits under the cap again", async () => {
    const account = await bigNookalAccount();
    const { clinic, connection } = await nookalClinicWithKey(account.keys[0]!.key);
    expect(connection.visiblePatientsAtLeast).toBe(false);

    // setup_pending → healthy: the full write (applyConnectionUpdate)
    const first = await probeConnection(probeContext(), { connectionId: connection.id, probeId: randomUUID(), reason: "setup" });
    expect(first).toMatchObject({ outcome: "healthy", state: "healthy" });
    expect(await connectionOf(t, connection.id)).toMatchObject({ state: "healthy", visiblePatientCount: CAP, visiblePatientsAtLeast: true });

    // the clinic page, its escalation packet and the clinics table say "at least"
    const page = await clinicPage(clinic.id);
    expect(page.connection).toMatchObject({ visiblePatientCount: CAP, visiblePatientsAtLeast: true });
    expect(page.packet).toContain("(at least 2,000 visible at last probe)");
    expect(await tableRow(clinic.name)).toMatchObject({ visiblePatientCount: CAP, visiblePatientsAtLeast: true });

    // "Probe now" (healthy → healthy: the one-statement facts write) keeps it and reports it inline
    const now = await settle(async () =>
      clinicAction({
        request: await requestAs(services, who.agent.id, `/clinics/${clinic.id}`, { form: { intent: "probe" } }),
        params: { clinicId: clinic.id },
        context: { services },
      }),
    );
    expect((now.data as { probe: unknown }).probe).toMatchObject({ outcome: "healthy", visiblePatients: CAP, visiblePatientsAtLeast: true });
    expect(await connectionOf(t, connection.id)).toMatchObject({ visiblePatientCount: CAP, visiblePatientsAtLeast: true });

    // the clinic archives patients until the count is exact again: the flag goes with the count
    await control.setPatients(account.id, 150);
    await probeConnection(probeContext(), { connectionId: connection.id, probeId: randomUUID(), reason: "schedule" });
    const exact = await connectionOf(t, connection.id);
    expect(exact.visiblePatientsAtLeast).toBe(false);
    expect(exact.visiblePatientCount).toBeLessThan(CAP);
    expect((await clinicPage(clinic.id)).packet).not.toContain("at least");
    expect(await tableRow(clinic.name)).toMatchObject({ visiblePatientsAtLeast: false });
  });

  it("a failed probe leaves the last count and its flag as they were", async () => {
    const account = await bigNookalAccount();
    const { connection } = await nookalClinicWithKey(account.keys[0]!.key);
    await probeConnection(probeContext(), { connectionId: connection.id, probeId: randomUUID(), reason: "setup" });
    await control.disableNookalKey(account.keys[0]!.key);
    const failed = await probeConnection(probeContext(), { connectionId: connection.id, probeId: randomUUID(), reason: "schedule" });
    expect(failed.outcome).toBe("failed");
    expect(await connectionOf(t, connection.id)).toMatchObject({ visiblePatientCount: CAP, visiblePatientsAtLeast: true });
  });
});

describe("adding a clinic with a key that sees more than the cap", () => {
  it("stores the flag and says 'at least' in the flash and on the timeline", async () => {
    const account = await bigNookalAccount();
    const name = `Capped Nookal Clinic ${randomUUID().slice(0, 8)}`;
    const form = {
      name,
      timeZone: "Australia/Sydney",
      country: "au",
      adminName: "Jo Lee",
      adminEmail: "jo@capped.example",
      vendor: "nookal",
      region: "au",
      apiVersion: "v3",
      key: account.keys[0]!.key,
    };
    const r = await settle(async () =>
      addAction({ request: await requestAs(services, who.agent.id, "/clinics/new", { form }), params: {}, context: { services } }),
    );
    expect(r.status).toBe(302);
    const [row] = await t.db
      .select({ connection: connections })
      .from(connections)
      .innerJoin(clinics, eq(clinics.id, connections.clinicId))
      .where(eq(clinics.name, name));
    expect(row!.connection).toMatchObject({ state: "healthy", visiblePatientCount: CAP, visiblePatientsAtLeast: true });
    const [created] = await t.db
      .select()
      .from(connectionEvents)
      .where(and(eq(connectionEvents.connectionId, row!.connection.id), eq(connectionEvents.kind, "created")));
    expect(created!.message).toContain("at least 2,000 patients visible.");
  });
});

describe("reconnecting through a link with a key that sees more than the cap", () => {
  it("stores the flag, and the confirmation page and the timeline say 'at least'", async () => {
    const account = await bigNookalAccount();
    const failingSince = new Date(Date.now() - 3 * 3600_000);
    const { clinic, connection } = await makeClinic(t, {
      vendor: "nookal",
      region: "au",
      apiVersion: "v3",
      connection: {
        state: "action_required",
        failureCode: "auth_rejected",
        failureEvidence: { kind: "vendor_failure", httpStatus: 200, vendorMessage: "Invalid API Key" },
        consecutiveFailures: 3,
        firstFailureAt: failingSince,
        lastSuccessAt: new Date(failingSince.getTime() - 3600_000),
        everHadPatients: true,
        visiblePatientCount: 40,
      },
    });
    const link = await createReconnectLink({ clinicId: clinic.id, purpose: "New key please", createdBy: "system" }, t.db);
    const token = link.path.split("/").pop()!;
    const request = new Request(`http://localhost/reconnect/${token}`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ intent: "verify", key: account.keys[0]!.key, region: "au", apiVersion: "v3" }),
    });
    const posted = await settle(() => reconnectAction({ request, params: { token }, context: { services, clientAddress: "203.0.113.20" } }));
    expect(posted.status).toBe(302);
    expect(posted.response!.headers.get("Location")).toBe("/reconnect/done");

    expect(await connectionOf(t, connection!.id)).toMatchObject({ state: "healthy", visiblePatientCount: CAP, visiblePatientsAtLeast: true });
    const cookie = posted.response!.headers.get("Set-Cookie")!.split(";")[0]!;
    const done = await settle(() =>
      doneLoader({ request: new Request("http://localhost/reconnect/done", { headers: { Cookie: cookie } }), params: {}, context: { services } }),
    );
    const confirmation = (done.data as { confirmation: ReconnectConfirmation }).confirmation;
    expect(confirmation).toMatchObject({ visiblePatients: CAP, visiblePatientsAtLeast: true });
    // the line the done page renders
    expect(connectedLine(confirmation)).toMatch(/^Connected as .+; at least 2,000 patients visible\.$/);

    const [recovered] = await t.db
      .select()
      .from(connectionEvents)
      .where(and(eq(connectionEvents.connectionId, connection!.id), eq(connectionEvents.kind, "recovered")));
    expect(recovered!.message).toContain("at least 2,000 patients visible.");
  });
});
