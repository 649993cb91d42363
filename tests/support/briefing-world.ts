import { clinics, connections } from "../../db/schema/index.ts";
import { composeBriefing } from "../../domain/briefings/compose.ts";
import type { BriefingDeliveryDeps } from "../../domain/briefings/deliver.ts";
import { renderBriefingEmail } from "../../domain/briefings/render.ts";
import type { TestDatabase } from "./db.ts";
import type { TestServices } from "./services.ts";
import type { ConnectionState, FailureCode } from "../../domain/vocabulary.ts";

/** A clinic ready for its briefing (or not): a connection in `state`, last synced at `syncedAt`. */
export async function briefingClinic(
  t: TestDatabase,
  opts: {
    name: string;
    timeZone?: string;
    state?: ConnectionState;
    failureCode?: FailureCode | null;
    firstFailureAt?: Date | null;
    syncedAt: Date | null;
    adminEmail?: string | null;
    createdAt?: Date;
  },
) {
  const [clinic] = await t.db
    .insert(clinics)
    .values({
      name: opts.name,
      timeZone: opts.timeZone ?? "Australia/Sydney",
      country: "AU",
      adminName: "Sam Lee",
      adminEmail: opts.adminEmail === undefined ? `admin@${opts.name.toLowerCase().replace(/[^a-z]+/g, "-")}.example` : opts.adminEmail,
      ...(opts.createdAt ? { createdAt: opts.createdAt } : {}),
    })
    .returning();
  const [connection] = await t.db
    .insert(connections)
    .values({
      clinicId: clinic!.id,
      vendor: "cliniko",
      region: "au2",
      apiVersion: "v1",
      keyHint: "••••9f3a (au2)",
      state: opts.state ?? "healthy",
      failureCode: opts.failureCode ?? null,
      firstFailureAt: opts.firstFailureAt ?? null,
      lastSuccessAt: opts.syncedAt,
      lastSyncSuccessAt: opts.syncedAt,
      syncState: opts.syncedAt ? "succeeded" : null,
    })
    .returning();
  return { clinic: clinic!, connection: connection! };
}

/** The delivery deps of the composition root, on the test's services, with the clock and the two seams given. */
export function briefingDeps(services: TestServices, over: Partial<BriefingDeliveryDeps> = {}): BriefingDeliveryDeps {
  return {
    db: services.db,
    deliveries: services.queues.deliver,
    alerts: { ...services.alerts, recipients: { ...services.alerts.recipients, supportEmail: "support@vendor.example" } },
    brand: services.brand,
    // the real compose and render, as the composition root wires them
    compose: composeBriefing,
    render: renderBriefingEmail,
    ...over,
  };
}
