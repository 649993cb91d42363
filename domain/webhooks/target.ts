import dns from "node:dns";
import net from "node:net";
import ipaddr from "ipaddr.js";
import { Agent, buildConnector, type Dispatcher } from "undici";

/**
 * Where a webhook may go. A receiver URL is typed by an admin, but the request leaves from inside
 * our network: without a check, `http://169.254.169.254/…` or `http://10.0.0.5:5432` turns the
 * delivery worker into a probe of internal services (SSRF). The check runs at connect time on the
 * address actually dialled — DNS is resolved once, every answer checked, and the socket connects to
 * that checked answer — so a name that resolves to a public address at creation and a private one
 * later (DNS rebinding) is still refused. docs/decisions/0024-secrets-webhooks-hardening.md.
 */

export interface WebhookTargetPolicy {
  /** Loopback, private, link-local… allowed (tests and demos only: WEBHOOK_ALLOW_PRIVATE_TARGETS). */
  allowPrivate: boolean;
  /** Only https:// receivers (production). */
  requireHttps: boolean;
}

export const STRICT_WEBHOOK_TARGETS: WebhookTargetPolicy = { allowPrivate: false, requireHttps: true };

class WebhookTargetError extends Error {
  readonly code = "ERR_WEBHOOK_TARGET_REFUSED";
  constructor(message: string) {
    super(message);
    this.name = "WebhookTargetError";
  }
}

/**
 * True only for globally routable unicast addresses. Everything else — loopback, RFC 1918,
 * link-local (the 169.254.169.254 metadata service), CGNAT, unspecified (0.0.0.0, ::), unique-local,
 * multicast, reserved, and IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo) — is refused.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === "unicast";
}

function refusedAddress(host: string, address: string): WebhookTargetError {
  const shown = host === address ? address : `${host} (${address})`;
  return new WebhookTargetError(
    `${shown} is a loopback, private or link-local address; webhooks go only to public addresses (WEBHOOK_ALLOW_PRIVATE_TARGETS=true allows them for tests and demos)`,
  );
}

/** The URL's hostname without IPv6 brackets. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "");
}

/**
 * What can be said from the URL alone: the scheme, and a literal address or `localhost`.
 * Returns the reason it is refused, or null.
 */
export function webhookUrlProblem(rawUrl: string, policy: WebhookTargetPolicy): string | null {
  if (!URL.canParse(rawUrl)) return "must be a URL";
  const url = new URL(rawUrl);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && !policy.requireHttps)) {
    return policy.requireHttps ? "must be an https:// URL in production" : "must be an http:// or https:// URL";
  }
  if (policy.allowPrivate) return null;
  const host = bareHost(url);
  if (net.isIP(host) && !isPublicAddress(host)) return refusedAddress(host, host).message;
  if (/^localhost$|\.localhost$/i.test(host.replace(/\.$/, ""))) return refusedAddress(host, "loopback").message;
  return null;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;
type Lookup = (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => void;

/** `dns.lookup` that fails unless every address the name resolves to is public. */
function guardedLookup(resolve: typeof dns.lookup = dns.lookup): Lookup {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as dns.LookupAddress[];
      // why: refuse the name if any answer is private; picking the public one would let a round-robin
      // answer that mixes both decide per connection
      const bad = list.find((a) => !isPublicAddress(a.address));
      if (bad || list.length === 0)
        return callback(bad ? refusedAddress(hostname, bad.address) : Object.assign(new Error(`${hostname} did not resolve`), { code: "ENOTFOUND" }), []);
      if (options.all) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/**
 * The undici dispatcher webhooks are sent through. With private targets refused, its connector
 * checks literal addresses (Node does not call `lookup` for them) and resolves names through
 * guardedLookup, so the socket connects only to an address that passed the check.
 */
export function webhookDispatcher(policy: WebhookTargetPolicy, options: { connectTimeoutMs?: number; lookup?: typeof dns.lookup } = {}): Dispatcher {
  if (policy.allowPrivate) return new Agent({ connect: { timeout: options.connectTimeoutMs } });
  const connect = buildConnector({ ...(options.connectTimeoutMs ? { timeout: options.connectTimeoutMs } : {}), lookup: guardedLookup(options.lookup) });
  return new Agent({
    connect(opts, callback) {
      const host = opts.hostname.replace(/^\[|\]$/g, "");
      if (net.isIP(host) && !isPublicAddress(host)) return callback(refusedAddress(host, host), null);
      return connect(opts, callback);
    },
  });
}

/**
 * For creation: the URL check, then the name's current addresses. A name that does not resolve
 * (yet) is accepted: delivery checks again at connect time, and fails visibly if it is refused.
 */
export async function webhookTargetProblem(
  rawUrl: string,
  policy: WebhookTargetPolicy,
  resolve: (host: string, options: { all: true }) => Promise<dns.LookupAddress[]> = (host, options) => dns.promises.lookup(host, options),
): Promise<string | null> {
  const problem = webhookUrlProblem(rawUrl, policy);
  if (problem || policy.allowPrivate) return problem;
  const host = bareHost(new URL(rawUrl));
  if (net.isIP(host)) return null;
  const addresses = await Promise.race([
    resolve(host, { all: true }).catch(() => [] as dns.LookupAddress[]),
    // why: a slow resolver must not hang the admin's form; delivery checks again anyway
    new Promise<dns.LookupAddress[]>((r) => setTimeout(() => r([]), 3000).unref()),
  ]);
  const bad = addresses.find((a) => !isPublicAddress(a.address));
  return bad ? refusedAddress(host, bad.address).message : null;
}
