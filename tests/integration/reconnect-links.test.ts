import { createHash } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as schema from "../../db/schema/index.ts";
import { auditLog, connectionEvents, reconnectLinks, users } from "../../db/schema/index.ts";
import { DomainError } from "../../domain/errors.ts";
import { createReconnectLink, describeLink } from "../../domain/reconnect/links.ts";
import { TOKEN_PATTERN } from "../../domain/reconnect/tokens.ts";
import { createTestDatabase, pgErrorOf, type TestDatabase } from "../support/db.ts";
import { connectionOf, makeClinic } from "./reconnect-fixtures.ts";

let t: TestDatabase;
let agentId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const [agent] = await t.db.insert(users).values({ email: "agent@vendor.example", name: "Agent", role: "agent", passwordHash: "x" }).returning();
  agentId = agent!.id;
});
afterAll(async () => {
  await t?.drop();
});

const tokenOf = (path: string) => path.split("/").pop()!;
const sha256 = (s: string) => createHash("sha256").update(s).digest();

describe("creating a reconnect link", () => {
  it("returns a 256-bit token once and stores only its SHA-256", async () => {
    const { clinic, connection } = await makeClinic(t, { connection: { state: "action_required", failureCode: "auth_rejected" } });
    const now = new Date("2026-04-01T08:00:00Z");
    const link = await createReconnectLink({ clinicId: clinic.id, purpose: "Reconnect Cliniko after the platform migration", createdBy: agentId, now }, t.db);

    const token = tokenOf(link.path);
    expect(link.path).toBe(`/reconnect/${token}`);
    expect(token).toMatch(TOKEN_PATTERN);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    expect(link.expiresAt.toISOString()).toBe("2026-04-08T08:00:00.000Z"); // 7 days by default

    const [row] = await t.db.select().from(reconnectLinks).where(eq(reconnectLinks.id, link.linkId));
    expect(row!.tokenHash.equals(sha256(token))).toBe(true);
    expect(row!.connectionId).toBe(connection!.id);
    // why: the token must not sit anywhere in the row, in any encoding
    const dump = JSON.stringify(row, (_k, v) => (v && v.type === "Buffer" ? Buffer.from(v.data).toString("base64url") : v));
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(Buffer.from(token, "base64url").toString("hex"));
  });

  it("moves the connection to reconnect_pending with a timeline event and an audit entry naming the agent", async () => {
    const { clinic, connection } = await makeClinic(t, { connection: { state: "action_required", failureCode: "auth_rejected" } });
    const link = await createReconnectLink({ clinicId: clinic.id, purpose: "New key after archiving", createdBy: agentId }, t.db);

    const after = await connectionOf(t, connection!.id);
    expect(after.state).toBe("reconnect_pending");
    const [event] = await t.db.select().from(connectionEvents).where(eq(connectionEvents.connectionId, connection!.id));
    expect(event).toMatchObject({ kind: "state_changed", fromState: "action_required", toState: "reconnect_pending", actor: `user:${agentId}` });
    expect(event!.message).toContain("New key after archiving");
    const [audit] = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.clinicId, clinic.id), eq(auditLog.action, "reconnect_link.created")));
    expect(audit).toMatchObject({ actorUserId: agentId, actorLabel: "agent@vendor.example" });
    expect(audit!.details).toMatchObject({ linkId: link.linkId, fromState: "action_required", toState: "reconnect_pending" });
    expect(JSON.stringify([event, audit], (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(tokenOf(link.path));
  });

  it("leaves a state the machine does not allow alone, and still notes the link on the timeline", async () => {
    const { clinic, connection } = await makeClinic(t, { connection: { state: "reconnect_pending" } });
    await createReconnectLink({ clinicId: clinic.id, purpose: "Second reminder", createdBy: "system", ttlHours: 48 }, t.db);
    expect((await connectionOf(t, connection!.id)).state).toBe("reconnect_pending");
    const events = await t.db.select().from(connectionEvents).where(eq(connectionEvents.connectionId, connection!.id));
    expect(events.map((e) => [e.kind, e.actor])).toEqual([["note", "system"]]);
  });

  it("refuses unknown, archived and connection-less clinics, and a blank purpose", async () => {
    const archived = await makeClinic(t, { archived: true });
    const bare = await makeClinic(t, { connection: null });
    const ok = await makeClinic(t);
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "none",
        (e: unknown) => (e instanceof DomainError ? e.code : String(e)),
      );
    expect(await code(createReconnectLink({ clinicId: "7f1c5a52-3c1a-4c53-9d1e-8a0d6a1b2c3d", purpose: "x", createdBy: "system" }, t.db))).toBe(
      "clinic_not_found",
    );
    expect(await code(createReconnectLink({ clinicId: "not-a-uuid", purpose: "x", createdBy: "system" }, t.db))).toBe("clinic_not_found");
    expect(await code(createReconnectLink({ clinicId: bare.clinic.id, purpose: "x", createdBy: "system" }, t.db))).toBe("clinic_not_found");
    expect(await code(createReconnectLink({ clinicId: archived.clinic.id, purpose: "x", createdBy: "system" }, t.db))).toBe("clinic_archived");
    expect(await code(createReconnectLink({ clinicId: ok.clinic.id, purpose: "   ", createdBy: "system" }, t.db))).toBe("invalid_input");
    expect(await code(createReconnectLink({ clinicId: ok.clinic.id, purpose: "x", createdBy: "system", ttlHours: 0 }, t.db))).toBe("invalid_input");
  });
});

describe("what a token opens", () => {
  it("an active link reveals only the clinic name, vendor, purpose and status", async () => {
    const { clinic } = await makeClinic(t, { name: "Bondi Beach Podiatry", vendor: "cliniko", region: "au3" });
    const link = await createReconnectLink({ clinicId: clinic.id, purpose: "Reconnect Cliniko", createdBy: "system" }, t.db);
    const view = await describeLink({ token: tokenOf(link.path) }, t.db);
    expect(view).toEqual({ status: "active", clinicName: "Bondi Beach Podiatry", vendor: "cliniko", purpose: "Reconnect Cliniko" });
  });

  it("expires after its TTL (configurable)", async () => {
    const { clinic } = await makeClinic(t);
    const created = new Date(Date.now() - 8 * 24 * 3600_000);
    const week = await createReconnectLink({ clinicId: clinic.id, purpose: "Old link", createdBy: "system", now: created }, t.db);
    expect(await describeLink({ token: tokenOf(week.path) }, t.db)).toEqual({ status: "unavailable" });
    expect(await describeLink({ token: tokenOf(week.path), now: new Date(created.getTime() + 167 * 3600_000) }, t.db)).toMatchObject({ status: "active" });
    expect(await describeLink({ token: tokenOf(week.path), now: new Date(created.getTime() + 168 * 3600_000) }, t.db)).toEqual({ status: "unavailable" });

    const short = await createReconnectLink({ clinicId: clinic.id, purpose: "Short link", createdBy: "system", ttlHours: 2 }, t.db);
    expect(await describeLink({ token: tokenOf(short.path) }, t.db)).toMatchObject({ status: "active" });
    expect(await describeLink({ token: tokenOf(short.path), now: new Date(Date.now() + 2 * 3600_000 + 1000) }, t.db)).toEqual({ status: "unavailable" });
  });

  it("a newer link revokes the older one, and the database allows one live link per clinic", async () => {
    const { clinic } = await makeClinic(t);
    const first = await createReconnectLink({ clinicId: clinic.id, purpose: "First", createdBy: "system" }, t.db);
    const second = await createReconnectLink({ clinicId: clinic.id, purpose: "Second", createdBy: agentId }, t.db);
    expect(second.revoked).toBe(1);
    expect(await describeLink({ token: tokenOf(first.path) }, t.db)).toEqual({ status: "unavailable" });
    expect(await describeLink({ token: tokenOf(second.path) }, t.db)).toMatchObject({ status: "active", purpose: "Second" });
    const rows = await t.db.select().from(reconnectLinks).where(eq(reconnectLinks.clinicId, clinic.id)).orderBy(asc(reconnectLinks.createdAt));
    expect(rows.map((r) => [r.purpose, r.revokedAt !== null])).toEqual([
      ["First", true],
      ["Second", false],
    ]);
    const [live] = rows.slice(-1);
    const err = await pgErrorOf(
      t.db.insert(reconnectLinks).values({
        clinicId: clinic.id,
        connectionId: live!.connectionId,
        tokenHash: sha256("another"),
        purpose: "x",
        createdBy: "system",
        expiresAt: new Date(Date.now() + 3600_000),
      }),
    );
    expect(err).toContain("reconnect_links_one_live_uidx");
  });

  it("two agents creating links at the same moment leave exactly one live link", async () => {
    const { clinic } = await makeClinic(t);
    const links = await Promise.all([1, 2, 3].map((n) => createReconnectLink({ clinicId: clinic.id, purpose: `Race ${n}`, createdBy: "system" }, t.db)));
    const views = await Promise.all(links.map((l) => describeLink({ token: tokenOf(l.path) }, t.db)));
    expect(views.filter((v) => v.status === "active")).toHaveLength(1);
  });

  it("unknown, malformed, expired, used and revoked tokens all run the same one query and answer the same", async () => {
    // why: "same page, same timing" — check the shape of the work rather than flaky wall-clock times
    const seen: string[] = [];
    const sql = postgres(t.url, { max: 1, onnotice: () => {}, debug: (_c, query) => seen.push(query) });
    const counted = drizzle(sql, { schema });
    try {
      const { clinic } = await makeClinic(t);
      const revoked = await createReconnectLink({ clinicId: clinic.id, purpose: "Revoked", createdBy: "system" }, t.db);
      await createReconnectLink({ clinicId: clinic.id, purpose: "Newer", createdBy: "system" }, t.db);
      const other = await makeClinic(t);
      const expired = await createReconnectLink(
        { clinicId: other.clinic.id, purpose: "Expired", createdBy: "system", now: new Date(Date.now() - 30 * 24 * 3600_000) },
        t.db,
      );
      const used = await makeClinic(t);
      const usedLink = await createReconnectLink({ clinicId: used.clinic.id, purpose: "Used", createdBy: "system" }, t.db);
      await t.db.update(reconnectLinks).set({ usedAt: new Date() }).where(eq(reconnectLinks.id, usedLink.linkId));

      const tokens = [tokenOf(revoked.path), tokenOf(expired.path), tokenOf(usedLink.path), "A".repeat(43), "not a token at all", "", "x".repeat(5000)];
      await describeLink({ token: "warm-up" }, counted); // why: the driver's first query fetches type info
      const answers: unknown[] = [];
      const shapes: string[][] = [];
      for (const token of tokens) {
        seen.length = 0;
        answers.push(await describeLink({ token }, counted));
        shapes.push([...seen]);
      }
      expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(new Set([JSON.stringify({ status: "unavailable" })]));
      for (const s of shapes) expect(s).toEqual(shapes[0]);
      expect(shapes[0]).toHaveLength(1);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});
