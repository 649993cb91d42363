import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconnectDeps } from "../../app/components/reconnect-context.server.ts";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { accountChanges, alerts, auditLog, connectionEvents, connections } from "../../db/schema/index.ts";
import { confirmAccountChange, discardAccountChange } from "../../domain/clinics/account-change.ts";
import { addClinicByHand } from "../../domain/clinics/add-clinic.ts";
import { applyRegionAndReprobe } from "../../domain/clinics/clinic-workflows.ts";
import { loadClinicPage } from "../../domain/clinics/clinic-page.ts";
import { importClinicsCsv } from "../../domain/clinics/csv-import.ts";
import { probeNow, type LiveDeps } from "../../domain/clinics/live.ts";
import { sealApiKey } from "../../domain/connections/key-storage.ts";
import { probeConnection } from "../../domain/health/probe.ts";
import { expireLapsedReconnects } from "../../domain/reconnect/expire.ts";
import { createReconnectLink } from "../../domain/reconnect/links.ts";
import { submitReconnectKey, type ReconnectSubmission } from "../../domain/reconnect/submit.ts";
import { keyFingerprint } from "../../domain/secrets/key-fingerprint.ts";
import { controlClient, type ControlClient } from "../../simulator/control-client.ts";
import { DEMO_FLEET, DEMO_OTHER_PRACTICE_KEY } from "../../simulator/demo-fleet.ts";
import { startSimulator, type SimulatorHandle } from "../../simulator/server.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { createRoleUsers, createTestServices, type TestServices } from "../support/services.ts";
import { connectionOf, makeClinic } from "./reconnect-fixtures.ts";

/** Identity continuity on every key entry (docs/decisions/0026), against Postgres and the simulator over HTTP. */

let t: TestDatabase;
let sim: SimulatorHandle;
let services: TestServices;
let control: ControlClient;
let actor: { userId: string; label: string };

beforeAll(async () => {
  [t, sim] = await Promise.all([createTestDatabase(), startSimulator({ port: 0 })]);
  services = await createTestServices(t, { vendorEnv: simulatorVendorEnv(sim.url) });
  control = controlClient(sim.url);
  const users = await createRoleUsers(services);
  actor = { userId: users.agent.id, label: users.agent.email };
});
afterAll(async () => {
  await services?.stop();
  await sim?.close();
  await t?.drop();
});

let seq = 0;
/** A Cliniko account in the simulator with one key (shard ending included). */
async function clinikoAccount(businessName: string, patients: number, shard = "au2") {
  const a = await control.createClinikoAccount({ shard, businessName, patients, label: `acct-${++seq}-${randomUUID().slice(0, 8)}` });
  return { ...a, key: a.keys[0]!.key };
}

const deps = () => reconnectDeps(services);
async function clinicWith(opts: Parameters<typeof makeClinic>[1]) {
  const made = await makeClinic(t, opts);
  return { clinic: made.clinic, connection: made.connection! };
}
const live = (): LiveDeps => ({
  db: services.db,
  keyring: services.keyring,
  vendors: services.vendors,
  vendorSettings: services.vendor,
  vendorDeps: services.vendorDeps,
  alerts: services.alerts,
  probes: services.queues.probe,
});

async function linkFor(clinicId: string) {
  const link = await createReconnectLink({ clinicId, purpose: "Please enter a new key", createdBy: "system" }, t.db);
  return link.path.split("/").pop()!;
}

function submit(token: string, submission: ReconnectSubmission) {
  return submitReconnectKey({ token, submission, clientAddress: `10.0.0.${++seq % 250}` }, deps());
}

/** A clinic connected through a link with `key`, so its account is recorded the way production records it. */
async function connectedClinic(key: string, region = "au2") {
  const { clinic, connection } = await clinicWith({ region, connection: { state: "action_required", failureCode: "auth_rejected", consecutiveFailures: 3 } });
  const out = await submit(await linkFor(clinic.id), { intent: "verify", rawKey: key });
  expect(out.kind).toBe("connected");
  return { clinic, connection: await connectionOf(t, connection.id) };
}

async function eventsOf(clinicId: string) {
  return t.db.select().from(connectionEvents).where(eq(connectionEvents.clinicId, clinicId)).orderBy(connectionEvents.at, connectionEvents.id);
}

describe("the reconnect page", () => {
  it("records who the key belongs to: exact Cliniko user and business ids, the business name, and a keyed fingerprint", async () => {
    const bayview = await clinikoAccount("Bayview Physio", 300);
    const { connection } = await connectedClinic(bayview.key);
    expect(connection.vendorAccount).toEqual({
      userId: bayview.users[0]!.id,
      accountIds: [expect.stringMatching(/^\d{19}$/)],
      practiceId: null,
      name: "Bayview Physio",
    });
    expect(BigInt(connection.vendorAccount!.accountIds[0]!)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
    expect(connection.keyFingerprint).toBe(keyFingerprint(services.keyring, "cliniko", bayview.key));
    expect(connection.keyFingerprint).not.toContain(bayview.key.slice(0, 12));
  });

  it("asks about a key of a different account, holds a 'yes' for support, and connects only when support confirms", async () => {
    const bayview = await clinikoAccount("Bayview Physio", 300);
    const harbourside = await clinikoAccount("Harbourside Physiotherapy", 12);
    const { clinic, connection: before } = await connectedClinic(bayview.key);
    const token = await linkFor(clinic.id);

    const asked = await submit(token, { intent: "verify", rawKey: harbourside.key });
    // why: the simulator's visible count leaves out archived patients, so it is read rather than assumed
    const seen = before.visiblePatientCount!;
    expect(seen).toBeGreaterThan(250);
    expect(asked).toMatchObject({
      kind: "account_question",
      question: { accountName: "Harbourside Physiotherapy", visiblePatients: expect.any(Number), drop: { before: seen, after: expect.any(Number) } },
    });
    const fewer = asked.kind === "account_question" ? asked.question.visiblePatients : -1;
    expect(fewer).toBeLessThanOrEqual(12);
    // nothing connected: same key, same account, same state
    const untouched = await connectionOf(t, before.id);
    expect(untouched.keyUpdatedAt).toEqual(before.keyUpdatedAt);
    expect(untouched.vendorAccount).toEqual(before.vendorAccount);
    expect((await eventsOf(clinic.id)).at(-1)!.message).toContain(`Visible patients would fall from ${seen} to ${fewer}.`);
    expect((await eventsOf(clinic.id)).at(-1)!.message).toMatch(/different account.*Harbourside Physiotherapy.*Bayview Physio/);

    const held = await submit(token, { intent: "answer_account", answer: "yes" });
    expect(held).toMatchObject({ kind: "account_held", accountName: "Harbourside Physiotherapy" });
    expect((await connectionOf(t, before.id)).keyUpdatedAt).toEqual(before.keyUpdatedAt);
    const [alert] = await t.db
      .select()
      .from(alerts)
      .where(and(eq(alerts.clinicId, clinic.id), eq(alerts.kind, "account_change_pending")));
    expect(alert?.status).toBe("open");
    // a second answer finds nothing to answer
    expect((await submit(token, { intent: "answer_account", answer: "yes" })).kind).toBe("account_question_gone");

    const { accountName } = await confirmAccountChange(
      { clinicId: clinic.id, actor },
      { db: services.db, keyring: services.keyring, vendors: services.vendors, alerts: services.alerts },
    );
    expect(accountName).toBe("Harbourside Physiotherapy");
    const after = await connectionOf(t, before.id);
    expect(after.state).toBe("healthy");
    expect(after.vendorAccount?.name).toBe("Harbourside Physiotherapy");
    expect(after.vendorAccount?.userId).toBe(harbourside.users[0]!.id);
    expect(after.keyFingerprint).toBe(keyFingerprint(services.keyring, "cliniko", harbourside.key));
    expect(after.visiblePatientCount).toBe(fewer);
    const changed = (await eventsOf(clinic.id)).find((e) => e.kind === "account_changed");
    expect(changed?.message).toMatch(/confirmed by agent@tests\.relink: from Bayview Physio to Harbourside Physiotherapy/);
    const audit = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.clinicId, clinic.id), eq(auditLog.action, "connection.account_change_confirmed")));
    expect(audit).toHaveLength(1);
    const [resolved] = await t.db.select().from(alerts).where(eq(alerts.id, alert!.id));
    expect(resolved?.status).toBe("resolved");
    const [row] = await t.db.select().from(accountChanges).where(eq(accountChanges.clinicId, clinic.id));
    expect(row).toMatchObject({ status: "confirmed", keyCiphertext: null });
    // the link is used up by the confirmed change
    expect((await submit(token, { intent: "verify", rawKey: bayview.key })).kind).toBe("unavailable");
  });

  it("a 'no' drops the held key; support discarding leaves the connection as it was", async () => {
    const bayview = await clinikoAccount("Bayview Physio", 300);
    const other = await clinikoAccount("Someone Else Pty Ltd", 80);
    const { clinic, connection: before } = await connectedClinic(bayview.key);
    const token = await linkFor(clinic.id);
    expect((await submit(token, { intent: "verify", rawKey: other.key })).kind).toBe("account_question");
    expect(await submit(token, { intent: "answer_account", answer: "no" })).toMatchObject({ kind: "account_declined", accountName: "Someone Else Pty Ltd" });
    const [declined] = await t.db.select().from(accountChanges).where(eq(accountChanges.clinicId, clinic.id));
    expect(declined).toMatchObject({ status: "declined", keyCiphertext: null });

    expect((await submit(token, { intent: "verify", rawKey: other.key })).kind).toBe("account_question");
    // an unanswered question keeps its key for an hour only
    await expireLapsedReconnects({ now: new Date(Date.now() + 61 * 60_000) }, t.db);
    const rows = await t.db.select().from(accountChanges).where(eq(accountChanges.clinicId, clinic.id));
    expect(rows.map((r) => r.status).sort()).toEqual(["declined", "discarded"]);
    expect(rows.every((r) => r.keyCiphertext === null)).toBe(true);
    expect((await submit(token, { intent: "verify", rawKey: other.key })).kind).toBe("account_question");
    await discardAccountChange({ clinicId: clinic.id, actor }, { db: services.db, alerts: services.alerts });
    expect((await connectionOf(t, before.id)).vendorAccount).toEqual(before.vendorAccount);
    await expect(
      confirmAccountChange({ clinicId: clinic.id, actor }, { db: services.db, keyring: services.keyring, vendors: services.vendors, alerts: services.alerts }),
    ).rejects.toMatchObject({ status: 409 });
  });

  it("connects another account's key without asking when the recorded account saw no patients (the wrong-account symptom)", async () => {
    const trial = await clinikoAccount("Vancouver Trial", 0);
    const real = await clinikoAccount("Vancouver Physio", 150);
    // as a probe of the trial key leaves it: its account recorded, no patients visible
    const { clinic, connection } = await clinicWith({
      region: "au2",
      connection: {
        state: "action_required",
        failureCode: "no_patients_visible",
        visiblePatientCount: 0,
        vendorAccount: { userId: trial.users[0]!.id, accountIds: [], practiceId: null, name: "Vancouver Trial" },
      },
    });
    expect((await submit(await linkFor(clinic.id), { intent: "verify", rawKey: real.key })).kind).toBe("connected");
    expect((await connectionOf(t, connection.id)).vendorAccount?.name).toBe("Vancouver Physio");
    expect((await eventsOf(clinic.id)).find((e) => e.kind === "account_changed")?.message).toBe(
      "Account changed from Vancouver Trial, whose key saw no patients, to Vancouver Physio with the new key.",
    );
  });

  it("connects a new key of the same account (another user who sees the same business) without asking", async () => {
    const bayview = await clinikoAccount("Bayview Physio", 300);
    const colleague = await control.addClinikoUser(bayview.id, { firstName: "Sam", lastName: "Reception", role: "receptionist" });
    const second = await control.addClinikoKey(bayview.id, { userId: colleague.id });
    const { clinic } = await connectedClinic(bayview.key);
    const out = await submit(await linkFor(clinic.id), { intent: "verify", rawKey: second.key });
    expect(out.kind).toBe("connected");
  });

  it("refuses a key another clinic already uses, and stores nothing", async () => {
    const shared = await clinikoAccount("Shared Key Physio", 120);
    await connectedClinic(shared.key);
    const { clinic, connection } = await clinicWith({ region: "au2", connection: { state: "action_required", failureCode: "auth_rejected" } });
    const out = await submit(await linkFor(clinic.id), { intent: "verify", rawKey: shared.key });
    expect(out.kind).toBe("shared_key");
    const row = await connectionOf(t, connection.id);
    expect(row.keyCiphertext).toBeNull();
    expect(row.keyFingerprint).toBeNull();
    expect((await eventsOf(clinic.id)).at(-1)!.message).toMatch(/already connected for "Reconnect Test Clinic \d+"/);
    // the same key without its shard ending is the same key
    const bare = shared.key.replace(/-au2$/, "");
    expect((await submit(await linkFor(clinic.id), { intent: "verify", rawKey: bare })).kind).toBe("shared_key");
  });

  it("tries a Cliniko key pasted without its ending on the clinic's known shard, and says so", async () => {
    const uk = await clinikoAccount("Leeds Movement", 90, "uk2");
    const { clinic, connection } = await clinicWith({ region: "uk2", connection: { state: "action_required", failureCode: "auth_rejected" } });
    const out = await submit(await linkFor(clinic.id), { intent: "verify", rawKey: uk.key.replace(/-uk2$/, "") });
    expect(out.kind).toBe("connected");
    if (out.kind !== "connected") return;
    expect(out.confirmation.notes).toContain('The key was missing its ending "-uk2"; we added it.');
    const row = await connectionOf(t, connection.id);
    expect(row.region).toBe("uk2");
    expect(row.keyHint).toMatch(/\(uk2\)$/);
  });
});

describe("Nookal (v3: the account is its set of locations)", () => {
  it("asks about another practice's key, and connects a key of the same practice scoped to fewer locations", async () => {
    const practice = await control.createNookalAccount({
      region: "au",
      practiceName: "Bayside Allied Health",
      locations: [
        { name: "Bayside Main", patients: 120 },
        { name: "Bayside North", patients: 60 },
      ],
      label: `nk-${randomUUID().slice(0, 8)}`,
    });
    const other = await control.createNookalAccount({
      region: "au",
      practiceName: "Elsewhere Physio",
      locations: [{ name: "Elsewhere", patients: 90 }],
      label: `nk-${randomUUID().slice(0, 8)}`,
    });
    const { clinic, connection } = await clinicWith({
      vendor: "nookal",
      region: "au",
      apiVersion: "v3",
      connection: { state: "action_required", failureCode: "auth_rejected" },
    });
    expect((await submit(await linkFor(clinic.id), { intent: "verify", rawKey: practice.keys[0]!.key, region: "au" })).kind).toBe("connected");
    const stored = (await connectionOf(t, connection.id)).vendorAccount!;
    expect(stored.userId).toBeNull();
    expect(stored.accountIds).toEqual(practice.locations.map((l) => l.id).sort());

    const asked = await submit(await linkFor(clinic.id), { intent: "verify", rawKey: other.keys[0]!.key, region: "au" });
    expect(asked).toMatchObject({ kind: "account_question", question: { accountName: "Elsewhere" } });

    const northOnly = await control.addNookalKey(practice.id, { locationIds: [practice.locations[1]!.id] });
    expect((await submit(await linkFor(clinic.id), { intent: "verify", rawKey: northOnly.key, region: "au" })).kind).toBe("connected");
    expect((await connectionOf(t, connection.id)).vendorAccount!.accountIds).toEqual([practice.locations[1]!.id]);
  });
});

describe("the demo world", () => {
  it("serves another practice's key for Bondi Podiatry: asked about, not connected", async () => {
    const bondi = DEMO_FLEET.find((d) => d.scenario === "cliniko_key_archived")!;
    const current = await control.createClinikoAccount({
      shard: bondi.region,
      businessName: "Bondi Podiatry (test)",
      patients: 200,
      label: `bondi-${randomUUID().slice(0, 8)}`,
    });
    const { clinic } = await connectedClinic(current.keys[0]!.key, bondi.region);
    const out = await submit(await linkFor(clinic.id), { intent: "verify", rawKey: DEMO_OTHER_PRACTICE_KEY });
    expect(out).toMatchObject({ kind: "account_question", question: { accountName: "Coogee Sports Physio" } });
  });
});

describe("adding a clinic by hand", () => {
  const input = (name: string, key: string) => ({
    name,
    timeZone: "Australia/Sydney",
    country: "AU",
    adminName: "Jess",
    adminEmail: "jess@clinic.example",
    vendor: "cliniko" as const,
    key,
  });

  it("records the account, and refuses a key another clinic already uses next to the key field", async () => {
    const acct = await clinikoAccount("Northside Osteo", 40);
    const added = await addClinicByHand({ input: input(`Northside ${seq}`, acct.key), actor }, services);
    expect(added.ok).toBe(true);
    if (!added.ok) return;
    const [conn] = await t.db.select().from(connections).where(eq(connections.clinicId, added.clinicId));
    expect(conn?.vendorAccount?.name).toBe("Northside Osteo");
    expect(conn?.keyFingerprint).toBe(keyFingerprint(services.keyring, "cliniko", acct.key));

    await expect(addClinicByHand({ input: input(`Northside again ${seq}`, acct.key), actor }, services)).rejects.toMatchObject({
      status: 400,
      field: "key",
      code: "key_in_use",
      message: expect.stringContaining(`"Northside ${seq}"`),
    });
  });
});

describe("CSV import", () => {
  const header = "name,time_zone,country,admin_name,admin_email,vendor,region,api_version,key";
  const line = (name: string, key: string) => `${name},Australia/Sydney,AU,Jess,jess@clinic.example,cliniko,,,${key}`;

  it("refuses rows whose key another clinic uses or an earlier row repeats; stores the fingerprint of the rest", async () => {
    const used = await clinikoAccount("Used Already", 30);
    await connectedClinic(used.key);
    const fresh = await clinikoAccount("Fresh Import", 30);
    const refused = await importClinicsCsv(
      { text: [header, line(`Csv A ${seq}`, used.key), line(`Csv B ${seq}`, fresh.key), line(`Csv C ${seq}`, fresh.key)].join("\n"), actor },
      services,
    );
    expect(refused).toEqual({
      ok: false,
      errors: [
        { line: 2, message: expect.stringMatching(/^key: This key is already connected for "Reconnect Test Clinic \d+"/) },
        { line: 4, message: "key: The same key is on line 3 of this file. Each clinic needs its own key." },
      ],
    });
    const ok = await importClinicsCsv({ text: [header, line(`Csv Fresh ${seq}`, fresh.key)].join("\n"), actor }, services);
    expect(ok).toMatchObject({ ok: true, created: 1, withKey: 1 });
    const [row] = await t.db
      .select()
      .from(connections)
      .where(eq(connections.keyFingerprint, keyFingerprint(services.keyring, "cliniko", fresh.key)));
    expect(row?.state).toBe("setup_pending");
    expect(row?.vendorAccount).toBeNull();

    // its first probe learns the account
    const report = await probeConnection({ ...live() }, { connectionId: row!.id, probeId: randomUUID(), reason: "setup" });
    expect(report.outcome).toBe("healthy");
    expect((await connectionOf(t, row!.id)).vendorAccount).toMatchObject({ name: "Fresh Import", accountIds: [expect.any(String)] });
  });
});

describe("probes", () => {
  it("backfill the fingerprint of a key stored before it existed, and keep the account of the same key", async () => {
    const acct = await clinikoAccount("Legacy Clinic", 55);
    const { clinic, connection } = await clinicWith({ region: "au2" });
    await t.db
      .update(connections)
      .set({ ...sealApiKey(services.keyring, connection.id, { vendor: "cliniko", key: acct.key, region: "au2" }), state: "healthy" })
      .where(eq(connections.id, connection.id));
    expect((await connectionOf(t, connection.id)).keyFingerprint).toBeNull();
    await probeNow({ clinicId: clinic.id, connectionId: connection.id, actor }, live());
    const first = await connectionOf(t, connection.id);
    expect(first.keyFingerprint).toBe(keyFingerprint(services.keyring, "cliniko", acct.key));
    expect(first.vendorAccount?.name).toBe("Legacy Clinic");
    // a later probe (no business list) keeps the ids and writes nothing new about the account
    await probeNow({ clinicId: clinic.id, connectionId: connection.id, actor }, live());
    expect((await connectionOf(t, connection.id)).vendorAccount).toEqual(first.vendorAccount);
  });

  it("flag two clinics found sharing one key when a probe first learns its fingerprint (support finding + timeline, both sides, once)", async () => {
    const acct = await clinikoAccount("Twice Stored Physio", 20);
    const a = await clinicWith({ region: "au2" });
    const b = await clinicWith({ region: "au2" });
    // why sealed directly: keys stored before fingerprints existed (or by two CSV files) have none
    for (const x of [a, b])
      await t.db
        .update(connections)
        .set({ ...sealApiKey(services.keyring, x.connection.id, { vendor: "cliniko", key: acct.key, region: "au2" }), state: "healthy" })
        .where(eq(connections.id, x.connection.id));
    await probeNow({ clinicId: a.clinic.id, connectionId: a.connection.id, actor }, live());
    // the first clinic alone: no other fingerprint yet, nothing to flag
    expect((await connectionOf(t, a.connection.id)).supportFindings?.sharedKey ?? null).toBeNull();
    await probeNow({ clinicId: b.clinic.id, connectionId: b.connection.id, actor }, live());
    const [fa, fb] = [await connectionOf(t, a.connection.id), await connectionOf(t, b.connection.id)];
    expect(fa.supportFindings?.sharedKey?.clinics).toEqual([{ clinicId: b.clinic.id, clinicName: b.clinic.name }]);
    expect(fb.supportFindings?.sharedKey?.clinics).toEqual([{ clinicId: a.clinic.id, clinicName: a.clinic.name }]);
    const notesOf = async (clinicId: string) =>
      (await eventsOf(clinicId)).filter((e) => (e.details as { reason?: string } | null)?.reason === "shared_key_found");
    expect((await notesOf(a.clinic.id))[0]!.message).toContain(`also stored for "${b.clinic.name}"`);
    expect(await notesOf(b.clinic.id)).toHaveLength(1);
    // the escalation packet says so
    const page = await loadClinicPage({ clinicId: a.clinic.id, page: 1 }, t.db);
    expect(page!.packet).toContain(`Key shared with another clinic: ${b.clinic.name}`);
    // later probes know the fingerprint: no further lookups, no repeated notes
    await probeNow({ clinicId: b.clinic.id, connectionId: b.connection.id, actor }, live());
    await probeNow({ clinicId: a.clinic.id, connectionId: a.connection.id, actor }, live());
    expect(await notesOf(a.clinic.id)).toHaveLength(1);
    expect(await notesOf(b.clinic.id)).toHaveLength(1);
  });

  it("clears the shared-key finding when a clinic stores a key of its own, on its side and its partners'", async () => {
    const acct = await clinikoAccount("Thrice Stored Physio", 20);
    const [a, b, c] = [await clinicWith({ region: "au2" }), await clinicWith({ region: "au2" }), await clinicWith({ region: "au2" })];
    for (const x of [a, b, c])
      await t.db
        .update(connections)
        .set({ ...sealApiKey(services.keyring, x.connection.id, { vendor: "cliniko", key: acct.key, region: "au2" }), state: "healthy" })
        .where(eq(connections.id, x.connection.id));
    for (const x of [a, b, c]) await probeNow({ clinicId: x.clinic.id, connectionId: x.connection.id, actor }, live());
    const partners = async (x: typeof a) => ((await connectionOf(t, x.connection.id)).supportFindings?.sharedKey?.clinics ?? []).map((p) => p.clinicId).sort();
    expect(await partners(a)).toEqual([b.clinic.id, c.clinic.id].sort());
    // b gets a key of its own (same account, another key) through its reconnect link
    const own = await control.addClinikoKey(acct.id);
    expect((await submit(await linkFor(b.clinic.id), { intent: "verify", rawKey: own.key })).kind).toBe("connected");
    expect((await connectionOf(t, b.connection.id)).supportFindings?.sharedKey ?? null).toBeNull();
    expect(await partners(a)).toEqual([c.clinic.id]);
    expect(await partners(c)).toEqual([a.clinic.id]);
    // then c: a is left sharing with nobody, so its finding goes too (and the packet stops saying so)
    const cOwn = await control.addClinikoKey(acct.id);
    expect((await submit(await linkFor(c.clinic.id), { intent: "verify", rawKey: cOwn.key })).kind).toBe("connected");
    expect((await connectionOf(t, a.connection.id)).supportFindings?.sharedKey ?? null).toBeNull();
    expect((await loadClinicPage({ clinicId: a.clinic.id, page: 1 }, t.db))!.packet).not.toContain("Key shared with another clinic");
  });

  it("apply-region re-probes the same key: the same account, recorded, no question", async () => {
    const acct = await clinikoAccount("Region Fix Clinic", 70, "au3");
    const { clinic, connection } = await clinicWith({ region: "au1" });
    // why: a key without its ending, stored before shards were named, that works on au3 only
    const record = await control.addClinikoKey(acct.id, { withSuffix: false });
    await t.db
      .update(connections)
      .set({
        ...sealApiKey(services.keyring, connection.id, { vendor: "cliniko", key: record.key, region: "au1" }),
        state: "action_required",
        failureCode: "wrong_region",
        suggestedRegion: "au3",
        vendorAccount: { userId: acct.users[0]!.id, accountIds: [], practiceId: null, name: "Region Fix Clinic" },
      })
      .where(eq(connections.id, connection.id));
    const { report } = await applyRegionAndReprobe({ clinicId: clinic.id, actor }, { db: services.db, probe: (i) => probeNow(i, live()) });
    expect(report.outcome).toBe("healthy");
    const after = await connectionOf(t, connection.id);
    expect(after.region).toBe("au3");
    expect(after.vendorAccount).toMatchObject({ userId: acct.users[0]!.id, name: "Region Fix Clinic", accountIds: [expect.any(String)] });
    expect(await t.db.select().from(accountChanges).where(eq(accountChanges.clinicId, clinic.id))).toEqual([]);
  });
});
