import { eq } from "drizzle-orm";
import { randomBytes } from "node:crypto";
import { parseEnv } from "../../config/env.ts";
import { simulatorVendorEnv } from "../../config/runtime.ts";
import { composeServices } from "../../composition/services.ts";
import { ensureUser } from "../../db/queries/users.ts";
import { clinics } from "../../db/schema/index.ts";
import { createLogger } from "../../lib/logger.ts";
import { hashPassword } from "../../domain/auth/passwords.ts";
import { generateMasterKey } from "../../domain/secrets/key-crypto.ts";
import { startBoss } from "../../workers/boss.ts";
import type { Services } from "../../app/services.server.ts";
import { startSession } from "../../app/session.server.ts";
import { seedDemoFleet } from "../../scripts/seed-demo.ts";
import { startSimulator } from "../../simulator/server.ts";
import { createTestDatabase, type TestDatabase } from "./db.ts";
import type { UserRole } from "../../domain/vocabulary.ts";

export interface TestServices extends Services {
  stop(): Promise<void>;
}

/**
 * Services for calling loaders and actions against a test database, with a send-only pg-boss on
 * it. `vendorEnv` points the vendor URLs somewhere (e.g. simulatorVendorEnv(sim.url)).
 */
export async function createTestServices(t: TestDatabase, options: { vendorEnv?: Record<string, string> } = {}): Promise<TestServices> {
  const env = parseEnv({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    DATABASE_URL: t.url,
    MASTER_KEY: generateMasterKey(),
    SESSION_SECRET: randomBytes(32).toString("hex"),
    ...options.vendorEnv,
  });
  const logger = createLogger({ name: "test", level: "silent", pretty: false });
  const boss = await startBoss({ databaseUrl: t.url, logger, role: "sender" });
  // why: the same composition root as the web and worker processes, on the test's database
  const services: Services = composeServices({
    env,
    logger,
    db: t.db,
    boss,
    async checkDatabase() {
      await t.sql`select 1`;
    },
  });
  return Object.assign(services, {
    async stop() {
      await boss.stop({ graceful: false, timeout: 2000 });
    },
  });
}

const PASSWORD_HASH = hashPassword("test-password-123");

/** One user per role, created once per database. */
export async function createRoleUsers(services: Services): Promise<Record<UserRole, { id: string; email: string }>> {
  const passwordHash = await PASSWORD_HASH;
  const make = async (role: UserRole) => {
    const email = `${role}@tests.relink`;
    return { id: await ensureUser({ email, name: `Test ${role}`, role, passwordHash }, services.db), email };
  };
  return { admin: await make("admin"), agent: await make("agent"), viewer: await make("viewer") };
}

/** A Request carrying the cookie of a new server-side session for `userId` (null: signed out). */
export async function requestAs(
  services: Services,
  userId: string | null,
  path: string,
  init: { method?: string; form?: Record<string, string | string[]>; body?: BodyInit; headers?: Record<string, string> } = {},
): Promise<Request> {
  const headers = new Headers(init.headers);
  if (userId) {
    const setCookie = await startSession(services, userId);
    headers.set("Cookie", setCookie.split(";")[0]!);
  }
  let body = init.body;
  if (init.form) {
    const fd = new URLSearchParams();
    for (const [k, v] of Object.entries(init.form)) for (const one of Array.isArray(v) ? v : [v]) fd.append(k, one);
    body = fd;
    headers.set("Content-Type", "application/x-www-form-urlencoded");
  }
  return new Request(`http://localhost${path}`, { method: init.method ?? (body ? "POST" : "GET"), headers, body });
}

/** Runs a loader/action and returns its Response, whether it was returned or thrown. */
export async function settle(run: () => Promise<unknown>): Promise<{ status: number; response: Response | null; data: unknown }> {
  try {
    const value = await run();
    if (value instanceof Response) return { status: value.status, response: value, data: null };
    // why: Remix's `data()` returns a DataWithResponseInit, not a Response
    if (value && typeof value === "object" && "type" in value && (value as { type: string }).type === "DataWithResponseInit") {
      const d = value as unknown as { data: unknown; init: ResponseInit | null };
      return { status: d.init?.status ?? 200, response: null, data: d.data };
    }
    return { status: 200, response: null, data: value };
  } catch (thrown) {
    if (thrown instanceof Response) return { status: thrown.status, response: thrown, data: null };
    throw thrown;
  }
}

/**
 * The console against the demo fleet: a fresh database seeded with DEMO_FLEET, an in-process
 * simulator serving those keys, services wired to it, and one signed-up user per role.
 */
/** A test database, services and one user per role: what a console loader/action test starts from. */
export async function startRoleConsole() {
  const t = await createTestDatabase();
  const services = await createTestServices(t);
  const who = await createRoleUsers(services);
  return {
    t,
    services,
    who,
    async stop() {
      await services.stop();
      await t.drop();
    },
  };
}

export async function startDemoConsole() {
  const [t, sim] = await Promise.all([createTestDatabase(), startSimulator({ port: 0 })]);
  const services = await createTestServices(t, { vendorEnv: simulatorVendorEnv(sim.url) });
  await seedDemoFleet({ databaseUrl: t.url, masterKey: services.masterKey, masterKeyId: services.env.MASTER_KEY_ID, nodeEnv: services.env.NODE_ENV });
  const who = await createRoleUsers(services);
  return {
    t,
    sim,
    services,
    who,
    /** A demo clinic's id by its name (the demo fleet's names are unique). */
    async clinicIdOf(name: string): Promise<string> {
      const [row] = await t.db.select({ id: clinics.id }).from(clinics).where(eq(clinics.name, name));
      if (!row) throw new Error(`no demo clinic named ${name}`);
      return row.id;
    },
    async stop() {
      await services.stop();
      await Promise.all([t.drop(), sim.close()]);
    },
  };
}
