import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { listEventsAfter, type EventPosition } from "../../db/queries/events.ts";
import { EventEnvelopeSchema, eventEnvelope } from "../../domain/events/catalog.ts";
import { recordEvents, type NewEvent } from "../../domain/events/record.ts";
import { handleMaintenanceSweep } from "../../workers/handlers/maintenance.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { silentLogger } from "./alerts-fixtures.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

function held(weekStart: string): NewEvent {
  return {
    type: "briefing.held",
    data: {
      clinicId: randomUUID(),
      clinicName: "Harbour Physio",
      connectionId: randomUUID(),
      vendor: "cliniko",
      weekStart,
      reason: "No appointments synced for the week",
    },
  };
}

/**
 * why poll: xmin is cluster-wide, so a writing transaction in another test file's database can hold
 * events back for a moment too; a reader waits for them, it never sees them out of order.
 */
function readExpecting(after: EventPosition | null, expected: string[]) {
  return vi.waitFor(
    async () => {
      const r = await readAll(after);
      expect(r.seen).toEqual(expected);
      return r;
    },
    { timeout: 10_000, interval: 50 },
  );
}

/** Everything readable after `after`, paged two at a time: what a poller would see. */
async function readAll(after: EventPosition | null) {
  const seen: string[] = [];
  let position = after;
  for (;;) {
    const page = await listEventsAfter({ after: position, limit: 2 }, t.db);
    if (page.length === 0) return { seen, position };
    for (const e of page) seen.push(String(e.data.weekStart));
    position = page.at(-1)!.position;
  }
}

describe("the event stream's commit-safe cursor", () => {
  it("holds back an event committed by a later transaction until the earlier one commits, and skips neither", async () => {
    const before = await readExpecting(null, []);
    let releaseA!: () => void;
    const aMayCommit = new Promise<void>((resolve) => (releaseA = resolve));
    let aInserted!: () => void;
    const aHasInserted = new Promise<void>((resolve) => (aInserted = resolve));
    // A: inserts first (the lower txid), then stays open
    const a = t.db.transaction(async (tx) => {
      await recordEvents(tx, [held("2026-11-02")]);
      aInserted();
      await aMayCommit;
    });
    await aHasInserted;
    // B: starts later, inserts and commits while A is still open
    await t.db.transaction((tx) => recordEvents(tx, [held("2026-11-09")]));

    const whileAOpen = await readAll(before.position);
    // B committed, but a reader that returned it now would move its cursor past A's and lose A for good
    expect(whileAOpen.seen).toEqual([]);

    releaseA();
    await a;
    const afterA = await readExpecting(whileAOpen.position, ["2026-11-02", "2026-11-09"]);
    // and nothing is read twice
    expect((await readAll(afterA.position)).seen).toEqual([]);
  });

  it("orders one transaction's events by insertion and pages through them without gaps", async () => {
    const start = await readExpecting(null, ["2026-11-02", "2026-11-09"]);
    const weeks = ["2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26", "2026-11-16"];
    await t.db.transaction((tx) => recordEvents(tx, weeks.map(held)));
    await readExpecting(start.position, weeks);
    const all = await listEventsAfter({ limit: 200 }, t.db);
    for (const row of all) expect(EventEnvelopeSchema.parse(eventEnvelope(row))).toMatchObject({ id: row.id, type: "briefing.held" });
  });

  it("refuses a payload that does not match its type's schema, and rolls the cause back with it", async () => {
    const countEvents = async () => (await t.sql<{ n: number }[]>`select count(*)::int as n from events`)[0]!.n;
    const count = await countEvents();
    const bad = {
      type: "briefing.held",
      data: {
        clinicId: randomUUID(),
        clinicName: "X",
        connectionId: randomUUID(),
        vendor: "nookal",
        weekStart: "2026-11-02",
        reason: "r",
        reconnectUrl: "https://x",
      },
    };
    await expect(t.db.transaction((tx) => recordEvents(tx, [bad as unknown as NewEvent]))).rejects.toThrow(
      /briefing.held has an invalid payload.*reconnectUrl/,
    );
    expect(await countEvents()).toBe(count);
  });

  it("keeps events 30 days: the hourly maintenance sweep drops older ones and keeps the rest", async () => {
    const now = new Date();
    const [old, edge, recent] = await t.db.transaction((tx) => recordEvents(tx, [held("2026-08-03"), held("2026-08-10"), held("2026-08-17")]));
    const age = async (id: string, days: number) =>
      t.sql`update events set occurred_at = ${new Date(now.getTime() - days * 86_400_000).toISOString()}::timestamptz where id = ${id}`;
    await age(old!.id, 31);
    await age(edge!.id, 29.9);
    await age(recent!.id, 1);
    const swept = await handleMaintenanceSweep({ db: t.db, logger: silentLogger }, now);
    expect(swept.events).toBeGreaterThanOrEqual(1);
    const left = (await t.sql<{ id: string }[]>`select id from events where id in (${old!.id}, ${edge!.id}, ${recent!.id})`).map((r) => r.id);
    expect(left.sort()).toEqual([edge!.id, recent!.id].sort());
  });
});
