import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, clinics, connections } from "../../db/schema/index.ts";
import { createTestDatabase, pgErrorOf, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

describe("schema v1", () => {
  it("refuses an unknown connection state and a Nookal region that does not exist", async () => {
    const [clinic] = await t.db.insert(clinics).values({ name: "Harbour Physio", timeZone: "Australia/Sydney", country: "AU" }).returning();
    expect(
      await pgErrorOf(t.db.insert(connections).values({ clinicId: clinic!.id, vendor: "cliniko", region: "au1", apiVersion: "v1", state: "broken" as never })),
    ).toMatch(/connections_state_check/);
    expect(await pgErrorOf(t.db.insert(connections).values({ clinicId: clinic!.id, vendor: "nookal", region: "mars", apiVersion: "v3" }))).toMatch(
      /connections_region_check/,
    );
    const [ok] = await t.db.insert(connections).values({ clinicId: clinic!.id, vendor: "nookal", region: "eu", apiVersion: "v3" }).returning();
    expect(ok!.state).toBe("setup_pending");
  });

  it("allows one connection per clinic", async () => {
    const [clinic] = await t.db.insert(clinics).values({ name: "Two Keys", timeZone: "Europe/London", country: "GB" }).returning();
    await t.db.insert(connections).values({ clinicId: clinic!.id, vendor: "cliniko", region: "uk1", apiVersion: "v1" });
    expect(await pgErrorOf(t.db.insert(connections).values({ clinicId: clinic!.id, vendor: "cliniko", region: "uk2", apiVersion: "v1" }))).toMatch(
      /connections_clinic_id_uidx/,
    );
  });

  it("keeps the audit log append-only", async () => {
    const [row] = await t.db.insert(auditLog).values({ actorLabel: "system", action: "test.write" }).returning();
    expect(await pgErrorOf(t.db.execute(sql`update audit_log set action = 'rewritten' where id = ${row!.id}`))).toMatch(/append-only/);
    expect(await pgErrorOf(t.db.execute(sql`delete from audit_log where id = ${row!.id}`))).toMatch(/append-only/);
  });
});
