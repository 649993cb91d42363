import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { pauseConnection, resumeConnection } from "../../domain/clinics/console-actions.ts";
import type { EventEnvelope } from "../../domain/events/catalog.ts";
import { callApi, createTestApiToken } from "../support/api.ts";
import { insertClinic } from "../support/fleet.ts";
import { startRoleConsole } from "../support/services.ts";
import { expectDocumented, expectProblem } from "./api-fixtures.ts";

/** GET /api/v1/events (issue 15): the event stream a consumer catches up from, through the real router. */

let fixture: Awaited<ReturnType<typeof startRoleConsole>>;
let read: string;
let agent: { userId: string; label: string };
const clinics: Record<string, { clinicId: string; connectionId: string }> = {};

type Page = { data: EventEnvelope[]; next: string | null };

async function get(query: string, token: string | null = read) {
  const r = await callApi(fixture.services, "GET", `/events${query}`, { token });
  if (r.status === 200) expectDocumented("listEvents", r);
  return r;
}
async function page(query: string): Promise<Page> {
  const r = await get(query);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json as Page;
}

/** Every event after `after`, `limit` at a time, as a poller reads them; and the position it ends at. */
async function readAll(after: string | null, limit: number, extra = "") {
  const seen: EventEnvelope[] = [];
  let position = after;
  for (;;) {
    const p = await page(`?limit=${limit}${position ? `&after=${position}` : ""}${extra}`);
    if (p.data.length === 0) {
      // an empty page keeps the poller where it is
      expect(p.next).toBe(position);
      return { seen, position };
    }
    seen.push(...p.data);
    position = p.next;
  }
}

/**
 * why wait: an event is held back while ANY older writing transaction in the cluster is open (other
 * test files' databases share it), so a just-committed event can take a moment to appear.
 */
const eventually = <T>(fn: () => Promise<T>) => vi.waitFor(fn, { timeout: 10_000, interval: 50 });

const pause = (name: string) => pauseConnection({ clinicId: clinics[name]!.clinicId, reason: "test", actor: agent }, fixture.services.db);
const resume = (name: string) => resumeConnection({ clinicId: clinics[name]!.clinicId, actor: agent }, fixture.services.db);
const describeEvent = (e: EventEnvelope) => `${(e.data as { clinicName: string }).clinicName}:${(e.data as { to: string }).to}`;

beforeAll(async () => {
  fixture = await startRoleConsole();
  const { services, who } = fixture;
  ({ token: read } = await createTestApiToken(services, { scope: "read", createdBy: who.admin.id, name: "event poller" }));
  agent = { userId: who.agent.id, label: who.agent.email };
  for (const name of ["Alpha", "Beta", "Gamma"]) clinics[name] = await insertClinic(services.db, { name, state: "healthy" });
});
afterAll(async () => {
  await fixture?.stop();
});

describe("GET /api/v1/events", () => {
  it("before any event: an empty page, and no position yet", async () => {
    expect(await page("")).toEqual({ data: [], next: null });
  });

  it("pages every event oldest first with no gap or repeat, each as its documented envelope", async () => {
    await pause("Alpha");
    await pause("Beta");
    await resume("Alpha");
    await pause("Gamma");
    await resume("Beta");
    const { seen, position } = await eventually(async () => {
      const r = await readAll(null, 2);
      expect(r.seen).toHaveLength(5);
      return r;
    });
    expect(seen.map(describeEvent)).toEqual(["Alpha:paused", "Beta:paused", "Alpha:setup_pending", "Gamma:paused", "Beta:setup_pending"]);
    expect(new Set(seen.map((e) => e.id)).size).toBe(5);
    expect(seen.every((e) => e.type === "connection.state_changed" && !Number.isNaN(Date.parse(e.timestamp)))).toBe(true);
    // one page of everything says the same
    const whole = await page("?limit=200");
    expect(whole.data.map((e) => e.id)).toEqual(seen.map((e) => e.id));
    expect(whole.next).toBe(position);
    // the stored position picks up exactly what comes next
    await resume("Gamma");
    const more = await eventually(async () => {
      const r = await readAll(position, 2);
      expect(r.seen).toHaveLength(1);
      return r;
    });
    expect(more.seen.map(describeEvent)).toEqual(["Gamma:setup_pending"]);
  });

  it("filters by type (repeatable) and by clinic", async () => {
    expect((await page("?type=alert.opened")).data).toEqual([]);
    const both = await page("?type=alert.opened&type=connection.state_changed&limit=200");
    expect(both.data).toHaveLength(6);
    const gamma = await page(`?clinicId=${clinics.Gamma!.clinicId}`);
    expect(gamma.data.map(describeEvent)).toEqual(["Gamma:paused", "Gamma:setup_pending"]);
    // a filtered page's `next` continues that filtered stream
    const first = await page(`?clinicId=${clinics.Gamma!.clinicId}&limit=1`);
    const second = await page(`?clinicId=${clinics.Gamma!.clinicId}&limit=1&after=${first.next}`);
    expect(second.data.map(describeEvent)).toEqual(["Gamma:setup_pending"]);
  });

  it("refuses a forged cursor, an unknown type and a limit out of range with 400 problem details", async () => {
    const forged = Buffer.from(JSON.stringify(["1; drop table events", "1"])).toString("base64url");
    for (const q of [`?after=${forged}`, "?after=not-a-cursor", `?after=${Buffer.from(JSON.stringify(["1"])).toString("base64url")}`]) {
      const r = await get(q);
      expectProblem(r, 400, "invalid_query");
      expect(r.json).toMatchObject({ errors: [{ field: "query.after" }] });
    }
    expectProblem(await get("?type=alert.exploded"), 400, "invalid_query");
    expectProblem(await get("?limit=201"), 400, "invalid_query");
    expectProblem(await get("?limit=0"), 400, "invalid_query");
    expectProblem(await get("?clinicId=nope"), 400, "invalid_query");
  });

  it("needs a token", async () => {
    expectProblem(await get("", null), 401);
  });

  it("an event appears only after its transaction commits, and a later one never overtakes it", async () => {
    const start = (await readAll(null, 200)).position;
    const committed = Promise.withResolvers<void>();
    const paused = Promise.withResolvers<void>();
    // A: pauses Alpha (set up pending since the paging test) and stays open
    const a = fixture.services.db.transaction(async (tx) => {
      await pauseConnection({ clinicId: clinics.Alpha!.clinicId, reason: "slow transaction", actor: agent }, tx);
      paused.resolve();
      await committed.promise;
    });
    await paused.promise;
    // B: pauses Beta and commits while A is still open
    await pause("Beta");
    // neither shows: A's is not committed, and B's would put the cursor past A's for good
    const whileOpen = await readAll(start, 200);
    expect(whileOpen.seen).toEqual([]);
    expect(whileOpen.position).toBe(start);
    committed.resolve();
    await a;
    // A started first: its event comes first, then B's, neither skipped
    await eventually(async () => expect((await readAll(whileOpen.position, 1)).seen.map(describeEvent)).toEqual(["Alpha:paused", "Beta:paused"]));
  });
});
