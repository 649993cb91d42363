import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { openDb } from "../db/client.ts";
import { ensureUser } from "../db/queries/users.ts";
import { insertConnectionEvents } from "../db/queries/connections.ts";
import { clinics, connections } from "../db/schema/index.ts";
import { hashPassword } from "../domain/auth/passwords.ts";
import { keyringFromConfig, sealApiKey } from "../domain/connections/key-storage.ts";
import { DEMO_FLEET } from "../simulator/demo-fleet.ts";

export const DEMO_ADMIN = { email: "admin@relink.test", password: "relink-demo", name: "Alex Admin" } as const;
const DEMO_USERS = [
  { ...DEMO_ADMIN, role: "admin" as const },
  { email: "agent@relink.test", password: "relink-demo", name: "Ava Agent", role: "agent" as const },
  { email: "viewer@relink.test", password: "relink-demo", name: "Vic Viewer", role: "viewer" as const },
];

export class DemoSeedRefused extends Error {
  constructor() {
    super(
      "The demo fleet and its demo users (password relink-demo) are never seeded in production (NODE_ENV=production). Run a demo with NODE_ENV=development; in production leave START_SIMULATOR unset or false.",
    );
    this.name = "DemoSeedRefused";
  }
}

/**
 * The demo fleet: clinics in every failure state, keyed to the simulator's default world.
 * Idempotent: clinics that already exist (by name) are left exactly as they are.
 * Refuses in production: the demo users have a published password, one of them an admin.
 */
export async function seedDemoFleet(options: { databaseUrl: string; masterKey: string; masterKeyId: string; nodeEnv: "development" | "production" | "test" }) {
  if (options.nodeEnv === "production") throw new DemoSeedRefused();
  const handle = openDb(options.databaseUrl, { max: 2, applicationName: "relink-seed" });
  const keyring = keyringFromConfig(options.masterKey, options.masterKeyId);
  let created = 0;
  try {
    for (const u of DEMO_USERS) {
      await ensureUser({ email: u.email, name: u.name, role: u.role, passwordHash: await hashPassword(u.password) }, handle.db);
    }
    for (const demo of DEMO_FLEET) {
      await handle.db.transaction(async (tx) => {
        const [existing] = await tx.select({ id: clinics.id }).from(clinics).where(eq(clinics.name, demo.clinicName)).limit(1);
        if (existing) return;
        const [clinic] = await tx
          .insert(clinics)
          .values({ name: demo.clinicName, timeZone: demo.timeZone, country: demo.country, adminName: demo.adminName, adminEmail: demo.adminEmail })
          .returning({ id: clinics.id });
        const connectionId = randomUUID();
        const sealed = demo.key ? sealApiKey(keyring, connectionId, { vendor: demo.vendor, key: demo.key, region: demo.region }) : null;
        await tx.insert(connections).values({
          id: connectionId,
          clinicId: clinic!.id,
          vendor: demo.vendor,
          region: demo.region,
          apiVersion: demo.apiVersion,
          ...(sealed ?? {}),
          // why: a paused demo clinic shows integration_paused the way support's Pause leaves it (domain/clinics/console-actions.ts)
          ...(demo.pausedReason ? { state: "paused" as const, failureCode: "integration_paused" as const } : {}),
        });
        await insertConnectionEvents(
          [
            {
              connectionId,
              clinicId: clinic!.id,
              kind: "created",
              toState: "setup_pending",
              actor: "system",
              message: "Connection added by the demo seed",
            },
            ...(demo.pausedReason
              ? [
                  {
                    connectionId,
                    clinicId: clinic!.id,
                    kind: "state_changed" as const,
                    fromState: "setup_pending" as const,
                    toState: "paused" as const,
                    failureCode: "integration_paused" as const,
                    actor: "system",
                    message: `Paused by the demo seed: ${demo.pausedReason}. No probes run until it is resumed.`,
                    details: { reason: demo.pausedReason, previousFailureCode: null },
                  },
                ]
              : []),
          ],
          tx,
        );
        created++;
      });
    }
    return { clinics: DEMO_FLEET.length, created };
  } finally {
    await handle.close();
  }
}
