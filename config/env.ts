import { z } from "zod";

// why: one schema parses process.env once; every other module receives typed settings.
const port = z.coerce.number().int().min(1).max(65535);
const optionalUrl = z.url().optional();
const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  LOG_PRETTY: bool.optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  DATA_DIR: z.string().min(1).default("./.data"),
  EMBEDDED_PG_PORT: port.default(5433),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port.default(3000),
  PUBLIC_URL: optionalUrl,
  SIMULATOR_PORT: port.default(4010),
  START_SIMULATOR: bool.optional(),
  CLINIKO_API_URL: z
    .string()
    .regex(/^https?:\/\/.*\{shard\}/, "must be an http(s) URL template containing {shard}")
    .default("https://api.{shard}.cliniko.com/v1"),
  NOOKAL_API_URL_AU: z.url().default("https://au-apiv3.nookal.com"),
  NOOKAL_API_URL_EU: optionalUrl,
  NOOKAL_API_URL_US: optionalUrl,
  NOOKAL_V2_API_URL: z.url().default("https://api.nookal.com/production/v2"),
  VENDOR_APP_NAME: z.string().min(1).default("Relink"),
  // why: also the reconnect page's "email support" address when no BRAND_SUPPORT_EMAIL is set; clinics see it
  VENDOR_CONTACT_EMAIL: z.email().default("support@clinic-connect.example"),
  /**
   * The vendor's own product name, logo and support contact on every page and email a clinic admin
   * sees (docs/decisions/0027): clinics never heard of Relink. "Relink" itself is refused.
   */
  BRAND_PRODUCT_NAME: z
    .string()
    .trim()
    .min(1)
    .max(60)
    .refine((v) => !/relink/i.test(v), "must be the vendor's own product name, not Relink")
    .default("Clinic Connect"),
  BRAND_LOGO_URL: optionalUrl,
  BRAND_SUPPORT_EMAIL: z.email().optional(),
  BRAND_SUPPORT_URL: optionalUrl,
  VENDOR_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Cliniko's published limit per user (docs/decisions/0034-shared-rate-budget.md); every process shares it through Postgres. */
  CLINIKO_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(200),
  /** Nookal publishes no limit: unset = not budgeted client-side; set = the same shared budget as Cliniko's. */
  NOOKAL_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).optional(),
  /** Share of each user's budget sync may never take: probes and interactive checks stay prompt during a big sync. */
  VENDOR_BUDGET_RESERVE: z.coerce.number().min(0.05).max(0.9).default(0.2),
  MASTER_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, "must be 32 random bytes in base64 (openssl rand -base64 32)")
    .optional(),
  MASTER_KEY_ID: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, "must be 1-32 of a-z, 0-9, -")
    .default("k1"),
  /** Retired master keys that still decrypt during a rotation: `id:base64,id:base64`. */
  MASTER_KEYS_PREVIOUS: z
    .string()
    .regex(/^[a-z0-9-]{1,32}:[A-Za-z0-9+/]{43}=(,[a-z0-9-]{1,32}:[A-Za-z0-9+/]{43}=)*$/, "must be id:base64 pairs separated by commas")
    .optional(),
  SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  PROBE_INTERVAL_MINUTES: z.coerce.number().int().min(1).max(1440).default(5),
  /** How often each connection syncs (docs/decisions/0033-sync.md); the fleet is spread over it. 0: only on demand ("Sync now", bulk). */
  SYNC_INTERVAL_MINUTES: z.coerce.number().int().min(0).max(1440).default(60),
  /** A sync that sees more than this share of the previous sync's patients (or appointments, invoices) gone raises the no-patients alert. */
  SYNC_DROP_ALERT_SHARE: z.coerce.number().min(0).max(1).default(0.5),
  /** Nookal lists hide deleted records: each resource is listed whole (deletions applied) at most once per this many hours, and on the first sync. */
  SYNC_FULL_PASS_HOURS: z.coerce
    .number()
    .min(1)
    .max(24 * 30)
    .default(24),
  /** Vendor incidents (docs/decisions/0049): at least this many clinics of one shard/region failing transiently at once… */
  INCIDENT_MIN_CLINICS: z.coerce.number().int().min(1).max(100_000).default(5),
  /** …and at least this share of the region's connections. */
  INCIDENT_SHARE: z.coerce.number().gt(0).max(1).default(0.3),
  /** Support hears about an open incident's count at most this often (besides opened and resolved). */
  INCIDENT_UPDATE_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  SMTP_URL: optionalUrl,
  /** Refuse to send mail over an SMTP connection that does not upgrade to TLS (STARTTLS) — nodemailer requireTLS. */
  SMTP_REQUIRE_TLS: bool.default(false),
  // why: clinic admins read the sender address too; the demo default names the demo brand, not Relink
  ALERT_FROM_EMAIL: z.email().default("alerts@clinic-connect.example"),
  /** Support team inbox for alerts in support words with the escalation packet; unset = none. */
  ALERT_SUPPORT_EMAIL: z.email().optional(),
  /** Also email each clinic's admin (clinics.admin_email) in clinic-facing words. */
  ALERT_EMAIL_CLINIC_ADMINS: bool.default(true),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /**
   * Let webhook receivers be loopback, private or link-local addresses. Only for tests and demos
   * (a receiver on this machine); off, delivery refuses them at connect time (SSRF).
   */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: bool.default(false),
  /** How long a reconnect link sent to a clinic stays usable (default 7 days). */
  RECONNECT_LINK_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(168),
  /**
   * Proxies in front of the web process that append to X-Forwarded-For; 0 = none, use the socket
   * address (docs/decisions/0007-reconnect-page.md: client addresses for rate limits).
   */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** On SIGTERM the web console lets requests in flight finish this long, then closes their connections. */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(120).default(10),
  /**
   * Prometheus metrics (docs/metrics.md): the web process serves /metrics on its own port here,
   * apart from the console; unset = no metrics port. Bound to METRICS_HOST.
   */
  METRICS_PORT: port.optional(),
  /** The same for the worker process (it has no other port). */
  WORKER_METRICS_PORT: port.optional(),
  /** Where the metrics ports listen: loopback by default, so only this machine (or a sidecar) can scrape. */
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  /** Also serve /metrics on the console port to `Authorization: Bearer <token>`; unset = not served there. */
  METRICS_TOKEN: z
    .string()
    .min(32, "must be at least 32 characters (openssl rand -hex 32)")
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export class EnvError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "EnvError";
    this.issues = issues;
  }
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  // why: an empty string in a shell export means "unset", not "invalid"
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = EnvSchema.safeParse(cleaned);
  if (!result.success) {
    throw new EnvError(
      result.error.issues.map((issue) => {
        const name = issue.path.join(".");
        const given = cleaned[name];
        return `${name}: ${issue.message}${given !== undefined && !/KEY|SECRET|PASSWORD|TOKEN|URL/.test(name) ? ` (got "${given}")` : ""}`;
      }),
    );
  }
  const env = result.data;
  const clash =
    [env.METRICS_PORT, env.WORKER_METRICS_PORT].includes(env.PORT) || (env.METRICS_PORT !== undefined && env.METRICS_PORT === env.WORKER_METRICS_PORT);
  if (clash) throw new EnvError(["METRICS_PORT / WORKER_METRICS_PORT: must differ from each other and from PORT"]);
  if (env.NODE_ENV === "production") {
    const missing: string[] = [];
    if (!env.DATABASE_URL) missing.push("DATABASE_URL: required in production");
    if (!env.MASTER_KEY) missing.push("MASTER_KEY: required in production (openssl rand -base64 32)");
    if (!env.SESSION_SECRET) missing.push("SESSION_SECRET: required in production (at least 32 characters)");
    // why: reconnect links carry a credential in their path; in production they must be https, and a
    // default built from HOST:PORT would be an internal address no clinic can open
    if (!env.PUBLIC_URL) missing.push("PUBLIC_URL: required in production (the https:// address clinics and staff open)");
    else if (new URL(env.PUBLIC_URL).protocol !== "https:") missing.push("PUBLIC_URL: must be an https:// URL in production");
    if (missing.length) throw new EnvError(missing);
  }
  return env;
}

let cached: Env | undefined;
/** The process's settings, parsed once. */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
