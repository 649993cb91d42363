import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { inList } from "./columns.ts";
import { INCIDENT_TIMELINE_KINDS, type IncidentEvidence, type IncidentTimelineKind, type Vendor, VENDORS } from "../../domain/vocabulary.ts";

/**
 * One row per vendor shard/region (docs/decisions/0049-vendor-incidents.md): how many probeable
 * connections it has and how many of them the latest probe saw failing transiently (5xx, timeout,
 * maintenance page, network). `transient_failing` moves only when a connection's flag flips, in the
 * probe's own transaction; `connections` and both counts are recomputed by every probe sweep.
 */
export const vendorRegionHealth = pgTable(
  "vendor_region_health",
  {
    vendor: text("vendor").$type<Vendor>().notNull(),
    region: text("region").notNull(),
    connections: integer("connections").notNull().default(0),
    transientFailing: integer("transient_failing").notNull().default(0),
    recomputedAt: timestamp("recomputed_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.vendor, t.region] }),
    check("vendor_region_health_vendor_check", inList(t.vendor, VENDORS)),
    check("vendor_region_health_counts_nonneg", sql`${t.connections} >= 0 and ${t.transientFailing} >= 0`),
  ],
);

/** A vendor region failing for many clinics at once: one incident instead of one alert per clinic. */
export const vendorIncidents = pgTable(
  "vendor_incidents",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    vendor: text("vendor").$type<Vendor>().notNull(),
    region: text("region").notNull(),
    openedAt: timestamp("opened_at", { withTimezone: true }).notNull(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    /** The probe outcome that opened it: failure code, HTTP status, vendor message (never a key). */
    firstEvidence: jsonb("first_evidence").$type<IncidentEvidence>().notNull(),
    /** Probeable connections in the region when it opened. */
    fleetSize: integer("fleet_size").notNull(),
    affectedAtOpen: integer("affected_at_open").notNull(),
    peakAffected: integer("peak_affected").notNull(),
    peakAt: timestamp("peak_at", { withTimezone: true }).notNull(),
    /** Connections that flipped back from failing while it was open. */
    recovered: integer("recovered").notNull().default(0),
    /** Still failing when it resolved. */
    affectedAtResolve: integer("affected_at_resolve"),
    /** The last message to support (opened or an update): updates are throttled from it. */
    lastNoticeAt: timestamp("last_notice_at", { withTimezone: true }).notNull(),
    lastNoticeAffected: integer("last_notice_affected").notNull(),
  },
  (t) => [
    check("vendor_incidents_vendor_check", inList(t.vendor, VENDORS)),
    check("vendor_incidents_resolved_after_open", sql`${t.resolvedAt} is null or ${t.resolvedAt} >= ${t.openedAt}`),
    // why: concurrent flips open exactly one incident per region (insert … on conflict do nothing)
    uniqueIndex("vendor_incidents_one_open_uidx")
      .on(t.vendor, t.region)
      .where(sql`${t.resolvedAt} is null`),
    index("vendor_incidents_opened_idx").on(t.openedAt.desc()),
  ],
);

/** An incident's timeline: opened, each update sent to support, resolved. */
export const vendorIncidentTimeline = pgTable(
  "vendor_incident_timeline",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    incidentId: uuid("incident_id")
      .notNull()
      .references(() => vendorIncidents.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull(),
    kind: text("kind").$type<IncidentTimelineKind>().notNull(),
    affected: integer("affected").notNull(),
    connections: integer("connections").notNull(),
    message: text("message").notNull(),
  },
  (t) => [
    check("vendor_incident_timeline_kind_check", inList(t.kind, INCIDENT_TIMELINE_KINDS)),
    index("vendor_incident_timeline_incident_idx").on(t.incidentId, t.at),
  ],
);

export type VendorIncident = typeof vendorIncidents.$inferSelect;
export type VendorIncidentTimelineRow = typeof vendorIncidentTimeline.$inferSelect;
