import { type FailureCode, VENDOR_LABELS, type Vendor } from "../vocabulary.ts";

/**
 * Vendor incidents (docs/decisions/0049-vendor-incidents.md): the pure rules. When transient
 * failures hit a share of one vendor region at once, one incident stands for them all.
 */

export interface IncidentSettings {
  /** An incident needs at least this many failing clinics, however small the region. */
  minClinics: number;
  /** …and at least this share of the region's connections (0–1). */
  share: number;
  /** Support hears about an open incident at most this often (beyond opened and resolved). */
  updateMinutes: number;
  /** Canary connections of a failing region are probed this often, so recovery is seen quickly. */
  canarySeconds: number;
  /** How many canaries a failing region gets. */
  canaries: number;
  /** The rest of a failing region is probed at 1/thinning of its usual rate. */
  thinning: number;
}

export const DEFAULT_INCIDENT_SETTINGS: IncidentSettings = { minClinics: 5, share: 0.3, updateMinutes: 15, canarySeconds: 30, canaries: 3, thinning: 4 };

/**
 * What counts toward an incident: the vendor's side failing — 5xx, a maintenance page, a timeout,
 * a refused or dropped connection, an unreadable answer. Never a key, role or patient problem, never
 * a rate limit (one key's budget, not the region), never our own key_unreadable.
 */
const VENDOR_SIDE: ReadonlySet<FailureCode> = new Set(["vendor_unavailable", "network", "vendor_response_invalid"]);

export function countsTowardIncident(code: FailureCode | null): boolean {
  return code !== null && VENDOR_SIDE.has(code);
}

/** Failing connections needed to open an incident in a region of `connections`. */
export function openingThreshold(connections: number, s: IncidentSettings): number {
  return Math.max(s.minClinics, Math.ceil(s.share * connections));
}

/**
 * An open incident resolves when fewer than half the opening threshold still fail: the gap between
 * the two is the hysteresis that keeps one flapping clinic from opening and resolving it in turn.
 */
export function shouldResolve(failing: number, connections: number, s: IncidentSettings): boolean {
  return failing < openingThreshold(connections, s) / 2;
}

export function shouldOpen(failing: number, connections: number, s: IncidentSettings): boolean {
  return failing >= openingThreshold(connections, s);
}

/** An update is due: the count moved since support last heard, and the throttle has passed. */
export function updateDue(incident: { lastNoticeAt: Date; lastNoticeAffected: number }, failing: number, now: Date, s: IncidentSettings): boolean {
  return failing !== incident.lastNoticeAffected && now.getTime() - incident.lastNoticeAt.getTime() >= s.updateMinutes * 60_000;
}

/** The region's name as support says it: "Cliniko au1", "Nookal au". */
export function regionName(vendor: Vendor, region: string): string {
  return `${VENDOR_LABELS[vendor]} ${region}`;
}

/** "Cliniko au1 is failing for 412 of 430 clinics since 09:14 UTC; a new key will not help." */
export function incidentSummary(
  i: { vendor: Vendor; region: string; openedAt: Date },
  failing: number,
  connections: number,
  since: string = hhmmUtc(i.openedAt),
): string {
  const clinics = connections === 1 ? "clinic" : "clinics";
  return `${regionName(i.vendor, i.region)} is failing for ${failing} of ${Math.max(connections, failing)} ${clinics} since ${since}; a new key will not help.`;
}

function hhmmUtc(d: Date): string {
  return `${d.toISOString().slice(11, 16)} UTC`;
}

/** Which of the thinned connections this sweep probes: a stable quarter (by id) per sweep, in turn. */
export function thinningSlot(now: Date, intervalMinutes: number, s: IncidentSettings): number {
  return Math.floor(now.getTime() / (intervalMinutes * 60_000)) % s.thinning;
}
