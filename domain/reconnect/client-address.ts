/**
 * The client address that reconnect attempts are counted against
 * (docs/decisions/0007-reconnect-page.md, decision 5).
 *
 * - `trustedHops = 0` (default): the socket address; X-Forwarded-For is ignored, since anyone can
 *   send it.
 * - `trustedHops = N`: behind N proxies that each append the address they saw, the entry N from the
 *   right is the first hop our own infrastructure saw. Entries further left were supplied by the
 *   client and would let anyone pick a fresh address per attempt.
 */
export function clientAddressFrom({
  forwardedFor,
  socketAddress,
  trustedHops,
}: {
  forwardedFor: string | string[] | undefined;
  socketAddress: string | undefined;
  trustedHops: number;
}): string {
  const socket = normalise(socketAddress ?? "") || "unknown";
  if (trustedHops <= 0 || forwardedFor === undefined) return socket;
  const entries = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor)
    .split(",")
    .map((s) => normalise(s))
    .filter((s) => s.length > 0);
  // why: fewer entries than proxies means a request reached us around a proxy: count the socket
  if (entries.length < trustedHops) return socket;
  return entries[entries.length - trustedHops]!;
}

function normalise(address: string): string {
  const a = address.trim().slice(0, 64);
  // why: the same IPv4 client arrives as "::ffff:1.2.3.4" on dual-stack sockets
  return a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a;
}
