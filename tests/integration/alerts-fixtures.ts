import { Writable } from "node:stream";
import { clinics, connections, users } from "../../db/schema/index.ts";
import type { AlertWorkInput } from "../../domain/alerts/apply.ts";
import { buildEscalationPacket } from "../../domain/health/escalation.ts";
import { createLogger } from "../../lib/logger.ts";
import type { TestDatabase } from "../support/db.ts";
import type { AlertKind, EscalationPacket, FailureCode } from "../../domain/vocabulary.ts";

/** Shared by the alerts integration tests: a clinic with its connection, and the packets a probe would build. */

export const silentLogger = createLogger({ name: "test", level: "silent", pretty: false }, new Writable({ write: (_c, _e, cb) => cb() }));

let seq = 0;

export async function makeConnection(t: TestDatabase, opts: { adminEmail?: string | null; name?: string } = {}) {
  seq += 1;
  const [clinic] = await t.db
    .insert(clinics)
    .values({
      name: opts.name ?? `Harbour Physio ${seq}`,
      timeZone: "Australia/Sydney",
      country: "AU",
      adminName: "Sam Lee",
      adminEmail: opts.adminEmail === undefined ? `admin${seq}@harbour.example` : opts.adminEmail,
    })
    .returning();
  const [connection] = await t.db
    .insert(connections)
    .values({ clinicId: clinic!.id, vendor: "cliniko", region: "au2", apiVersion: "v1", keyHint: "••••9f3a (au2)" })
    .returning();
  return { clinic: clinic!, connection: connection! };
}

export async function makeUser(t: TestDatabase) {
  seq += 1;
  const [user] = await t.db
    .insert(users)
    .values({ email: `agent${seq}@vendor.example`, name: "Agent", role: "agent", passwordHash: "x" })
    .returning();
  return { userId: user!.id, label: user!.email };
}

export function failurePacket(organisationName: string, failureCode: FailureCode, at: Date): EscalationPacket {
  return buildEscalationPacket({
    organisationName,
    vendor: "cliniko",
    region: "au2",
    apiVersion: "v1",
    state: "action_required",
    failureCode,
    evidence: { kind: "http", httpStatus: 401, vendorMessage: "HTTP Basic: Access denied.", request: "GET /v1/users/me" },
    keyHint: "••••9f3a (au2)",
    keyUpdatedAt: new Date(at.getTime() - 90 * 86_400_000),
    firstFailureAt: at,
    lastSuccessAt: new Date(at.getTime() - 5 * 60_000),
  });
}

function healthyPacket(organisationName: string, at: Date): EscalationPacket {
  return buildEscalationPacket({
    organisationName,
    vendor: "cliniko",
    region: "au2",
    apiVersion: "v1",
    state: "healthy",
    failureCode: null,
    evidence: null,
    keyHint: "••••9f3a (au2)",
    keyUpdatedAt: at,
    firstFailureAt: null,
    lastSuccessAt: at,
  });
}

type Conn = Awaited<ReturnType<typeof makeConnection>>;

/** What the probe passes after an action_required decision. */
export function sighting(c: Conn, kind: AlertKind, now: Date, code: FailureCode = "auth_rejected"): AlertWorkInput {
  return {
    connectionId: c.connection.id,
    clinicId: c.clinic.id,
    open: [kind],
    resolve: [],
    recovered: false,
    packet: failurePacket(c.clinic.name, code, now),
    now,
  };
}

/** What the probe passes after a recovery: every health kind resolved. */
export function recovery(c: Conn, now: Date): AlertWorkInput {
  return {
    connectionId: c.connection.id,
    clinicId: c.clinic.id,
    open: [],
    resolve: ["connection_needs_action", "no_patients_visible", "degraded_too_long"],
    recovered: true,
    packet: healthyPacket(c.clinic.name, now),
    now,
  };
}

export function minutes(base: Date, n: number): Date {
  return new Date(base.getTime() + n * 60_000);
}

/** Polls until `check` returns a value, or fails after the deadline (no fixed sleeps). */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
