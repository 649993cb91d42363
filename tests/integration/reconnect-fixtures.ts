import { eq } from "drizzle-orm";
import { clinics, connections, type Connection } from "../../db/schema/index.ts";
import type { DemoClinic } from "../../simulator/demo-fleet.ts";
import type { TestDatabase } from "../support/db.ts";

/** Shared by the reconnect integration tests: a clinic and its connection, shaped like a demo clinic. */

let seq = 0;

export async function makeClinic(
  t: TestDatabase,
  opts: {
    name?: string;
    vendor?: "cliniko" | "nookal";
    region?: string;
    apiVersion?: string;
    connection?: Partial<Connection> | null;
    archived?: boolean;
  } = {},
) {
  seq += 1;
  const [clinic] = await t.db
    .insert(clinics)
    .values({
      name: opts.name ?? `Reconnect Test Clinic ${seq}`,
      timeZone: "Australia/Sydney",
      country: "AU",
      adminName: "Jess Walker",
      adminEmail: `admin${seq}@clinic.example`,
      archivedAt: opts.archived ? new Date() : null,
    })
    .returning();
  if (opts.connection === null) return { clinic: clinic!, connection: null };
  const vendor = opts.vendor ?? "cliniko";
  const [connection] = await t.db
    .insert(connections)
    .values({
      clinicId: clinic!.id,
      vendor,
      region: opts.region ?? (vendor === "cliniko" ? "au1" : "au"),
      apiVersion: opts.apiVersion ?? (vendor === "cliniko" ? "v1" : "v3"),
      ...opts.connection,
    })
    .returning();
  return { clinic: clinic!, connection: connection! };
}

/** A clinic whose stored key broke the way the demo clinic's did: action required, failing for a while. */
export async function makeBrokenClinic(t: TestDatabase, demo: DemoClinic) {
  const failingSince = new Date(Date.now() - 3 * 3600_000);
  return makeClinic(t, {
    name: `${demo.clinicName} ${++seq}`,
    vendor: demo.vendor,
    region: demo.region,
    apiVersion: demo.apiVersion,
    connection: {
      state: "action_required",
      failureCode: demo.expectedFailure ?? "auth_rejected",
      failureEvidence: { kind: "http", httpStatus: 401, vendorMessage: "HTTP Basic: Access denied." },
      consecutiveFailures: 4,
      firstFailureAt: failingSince,
      lastSuccessAt: new Date(failingSince.getTime() - 3600_000),
      keyHint: "…OLD1 (au3)",
      everHadPatients: true,
      visiblePatientCount: 0,
    },
  });
}

export async function connectionOf(t: TestDatabase, id: string) {
  const [row] = await t.db.select().from(connections).where(eq(connections.id, id));
  return row!;
}
