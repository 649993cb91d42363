import type { Env } from "../config/env.ts";
import type { Logger } from "../lib/logger.ts";
import { createServices as createProcessServices, type Services } from "../composition/services.ts";

/** The web process's view of the composition root (composition/services.ts), handed to loaders and actions. */
export type { Services };

declare module "@remix-run/node" {
  interface AppLoadContext {
    services: Services;
    /** The client's address as scripts/web.ts determined it (TRUST_PROXY_HOPS); for rate limits. */
    clientAddress?: string;
    /** This response's CSP nonce (lib/http/security-headers.ts), for Remix's inline scripts. */
    cspNonce?: string;
  }
}

export function createServices(env: Env, logger: Logger, databaseUrl: string): Promise<Services & { close(): Promise<void> }> {
  return createProcessServices({ env, logger, databaseUrl, role: "web" });
}
