import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { WebhookTargetPolicy } from "../domain/webhooks/target.ts";
import type { Brand } from "../domain/brand.ts";
import type { VendorSettings } from "../domain/vendors/types.ts";
import type { Vendor } from "../domain/vocabulary.ts";
import type { Env } from "./env.ts";

/**
 * Secrets for development: when MASTER_KEY / SESSION_SECRET are not configured (never in production,
 * the env schema refuses that), they are generated once into the data folder and reused, so the
 * zero-config start keeps decrypting what it encrypted yesterday.
 */
function fileSecret(env: Env, file: string, make: () => string): string {
  const p = path.resolve(env.DATA_DIR, file);
  try {
    return fs.readFileSync(p, "utf8").trim();
  } catch {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    const value = make();
    // why: wx fails if two processes race to create it; the loser reads the winner's value
    try {
      fs.writeFileSync(p, `${value}\n`, { mode: 0o600, flag: "wx" });
      return value;
    } catch {
      return fs.readFileSync(p, "utf8").trim();
    }
  }
}

export function masterKeyBase64(env: Env): string {
  return env.MASTER_KEY ?? fileSecret(env, "master.key", () => randomBytes(32).toString("base64"));
}

export function sessionSecret(env: Env): string {
  return env.SESSION_SECRET ?? fileSecret(env, "session.secret", () => randomBytes(32).toString("hex"));
}

export function vendorSettings(env: Env): VendorSettings {
  return {
    clinikoBaseUrlTemplate: env.CLINIKO_API_URL,
    nookalV3BaseUrls: {
      au: env.NOOKAL_API_URL_AU,
      ...(env.NOOKAL_API_URL_EU ? { eu: env.NOOKAL_API_URL_EU } : {}),
      ...(env.NOOKAL_API_URL_US ? { us: env.NOOKAL_API_URL_US } : {}),
    },
    nookalV2BaseUrl: env.NOOKAL_V2_API_URL,
    appName: env.VENDOR_APP_NAME,
    contactEmail: env.VENDOR_CONTACT_EMAIL,
    timeoutMs: env.VENDOR_TIMEOUT_MS,
  };
}

/** The shared rate budget's settings (docs/decisions/0034-shared-rate-budget.md). */
export function vendorBudgetSettings(env: Env): { limits: Partial<Record<Vendor, { limit: number }>>; reserve: number } {
  return {
    limits: {
      cliniko: { limit: env.CLINIKO_RATE_LIMIT_PER_MINUTE },
      ...(env.NOOKAL_RATE_LIMIT_PER_MINUTE ? { nookal: { limit: env.NOOKAL_RATE_LIMIT_PER_MINUTE } } : {}),
    },
    reserve: env.VENDOR_BUDGET_RESERVE,
  };
}

/** The clinic-facing brand (BRAND_*): product name, optional logo and support contact. */
export function brand(env: Env): Brand {
  return {
    productName: env.BRAND_PRODUCT_NAME,
    logoUrl: env.BRAND_LOGO_URL ?? null,
    supportEmail: env.BRAND_SUPPORT_EMAIL ?? null,
    supportUrl: env.BRAND_SUPPORT_URL ?? null,
  };
}

/** Where webhook receivers may be: https only in production; private addresses only when explicitly allowed. */
export function webhookTargetPolicy(env: Env): WebhookTargetPolicy {
  return { allowPrivate: env.WEBHOOK_ALLOW_PRIVATE_TARGETS, requireHttps: env.NODE_ENV === "production" };
}

export function publicUrl(env: Env): string {
  return env.PUBLIC_URL ?? `http://${env.HOST === "0.0.0.0" ? "localhost" : env.HOST}:${env.PORT}`;
}

/** The vendor URLs that point Relink at the simulator started on SIMULATOR_PORT. */
export function simulatorVendorEnv(simulatorUrl: string): Record<string, string> {
  return {
    CLINIKO_API_URL: `${simulatorUrl}/cliniko/{shard}/v1`,
    NOOKAL_API_URL_AU: `${simulatorUrl}/nookal/au`,
    NOOKAL_API_URL_EU: `${simulatorUrl}/nookal/eu`,
    NOOKAL_API_URL_US: `${simulatorUrl}/nookal/us`,
    NOOKAL_V2_API_URL: `${simulatorUrl}/nookal-v2/production/v2`,
  };
}

/** Where a process serves /metrics (docs/metrics.md): its own port (null = none) and the console port's bearer token (null = not there). */
export interface MetricsSettings {
  listen: { host: string; port: number } | null;
  token: string | null;
}

export function metricsSettings(env: Env, role: "web" | "worker"): MetricsSettings {
  const port = role === "web" ? env.METRICS_PORT : env.WORKER_METRICS_PORT;
  return {
    listen: port === undefined ? null : { host: env.METRICS_HOST, port },
    // why: only the web process has a public port to put the token on
    token: role === "web" ? (env.METRICS_TOKEN ?? null) : null,
  };
}
