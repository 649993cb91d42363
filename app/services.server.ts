import type { PgBoss } from "pg-boss";
import type { Env } from "../config/env.ts";
import { masterKeyBase64, sessionSecret, vendorSettings } from "../config/runtime.ts";
import { openDb, type Db, type DbHandle } from "../db/client.ts";
import { keyringFromConfig, type Keyring } from "../domain/connections/key-storage.ts";
import type { VendorAccess } from "../domain/health/probe.ts";
import { createVendorAccess } from "../domain/health/vendor-access.ts";
import type { VendorSettings } from "../domain/vendors/types.ts";
import type { Logger } from "../lib/logger.ts";
import { startBoss } from "../workers/boss.ts";

/** Everything a loader or action needs, handed in through Remix's load context. */
export interface Services {
  env: Env;
  db: Db;
  logger: Logger;
  boss: PgBoss;
  vendor: VendorSettings;
  /** Vendor clients for live key checks (reconnect, add clinic); one per process, so its caches are shared. */
  vendors: VendorAccess;
  masterKey: string;
  /** The master keys, for the few web actions that decrypt or store an API key server-side. */
  keyring: Keyring;
  sessionSecret: string;
  checkDatabase(): Promise<void>;
}

declare module "@remix-run/node" {
  interface AppLoadContext {
    services: Services;
    /** The client's address as scripts/web.ts determined it (TRUST_PROXY_HOPS); for rate limits. */
    clientAddress?: string;
    /** This response's CSP nonce (lib/http/security-headers.ts), for Remix's inline scripts. */
    cspNonce?: string;
  }
}

export async function createServices(env: Env, logger: Logger, databaseUrl: string): Promise<Services & { close(): Promise<void> }> {
  const handle: DbHandle = openDb(databaseUrl, { max: 10, applicationName: "relink-web" });
  const boss = await startBoss({ databaseUrl, logger, role: "sender" });
  const vendor = vendorSettings(env);
  return {
    env,
    db: handle.db,
    logger,
    boss,
    vendor,
    vendors: createVendorAccess(vendor),
    masterKey: masterKeyBase64(env),
    keyring: keyringFromConfig(masterKeyBase64(env), env.MASTER_KEY_ID, env.MASTER_KEYS_PREVIOUS),
    sessionSecret: sessionSecret(env),
    async checkDatabase() {
      await handle.sql`select 1`;
    },
    async close() {
      await boss.stop({ graceful: true, timeout: 5000 });
      await handle.close();
    },
  };
}
