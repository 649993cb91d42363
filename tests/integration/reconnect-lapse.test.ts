import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionEvents, connections, reconnectLinks } from "../../db/schema/index.ts";
import { expireLapsedReconnects } from "../../domain/reconnect/expire.ts";
import { createReconnectLink } from "../../domain/reconnect/links.ts";
import { insertClinic } from "../support/fleet.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

const stateOf = async (id: string) => (await t.db.select({ s: connections.state }).from(connections).where(eq(connections.id, id)))[0]!.s;

describe("lapsed reconnect links", () => {
  it("send a connection back to the triage queue once its link expired unused, and leave live links alone", async () => {
    const lapsing = await insertClinic(t.db, { name: "Lapsing Physio", state: "action_required", failureCode: "auth_rejected" });
    const live = await insertClinic(t.db, { name: "Live Link Physio", state: "action_required", failureCode: "auth_rejected" });
    const created = new Date("2026-11-01T00:00:00Z");
    await createReconnectLink({ clinicId: lapsing.clinicId, purpose: "Replace the archived key", createdBy: "system", ttlHours: 24, now: created }, t.db);
    await createReconnectLink({ clinicId: live.clinicId, purpose: "Replace the archived key", createdBy: "system", ttlHours: 24 * 60, now: created }, t.db);
    expect(await stateOf(lapsing.connectionId)).toBe("reconnect_pending");

    const report = await expireLapsedReconnects({ now: new Date("2026-11-03T00:00:00Z") }, t.db);
    expect(report.lapsed).toBe(1);
    expect(await stateOf(lapsing.connectionId)).toBe("action_required");
    expect(await stateOf(live.connectionId)).toBe("reconnect_pending");
    const events = await t.db.select().from(connectionEvents).where(eq(connectionEvents.connectionId, lapsing.connectionId));
    expect(events.some((e) => e.fromState === "reconnect_pending" && e.toState === "action_required")).toBe(true);
    expect((await expireLapsedReconnects({ now: new Date("2026-11-03T00:00:00Z") }, t.db)).lapsed).toBe(0);
  });

  it("wipes a sealed retry key once its window has passed", async () => {
    const c = await insertClinic(t.db, {
      name: "Retry Wipe Physio",
      vendor: "nookal",
      region: "us",
      apiVersion: "v3",
      state: "action_required",
      failureCode: "wrong_region",
    });
    const link = await createReconnectLink({ clinicId: c.clinicId, purpose: "Reconnect Nookal", createdBy: "system" }, t.db);
    const past = new Date(Date.now() - 60_000);
    await t.db
      .update(reconnectLinks)
      .set({
        retryKeyCiphertext: Buffer.from("x"),
        retryKeyIv: Buffer.alloc(12),
        retryKeyTag: Buffer.alloc(16),
        retryKeyId: "k1",
        retryRegion: "au",
        retryApiVersion: "v3",
        retryExpiresAt: past,
      })
      .where(eq(reconnectLinks.id, link.linkId));
    expect((await expireLapsedReconnects({}, t.db)).retryKeysWiped).toBe(1);
    const [row] = await t.db.select().from(reconnectLinks).where(eq(reconnectLinks.id, link.linkId));
    expect(row!.retryKeyCiphertext).toBeNull();
  });
});
