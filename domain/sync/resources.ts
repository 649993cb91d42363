import type { ReconciledTable, SyncRows } from "../../db/queries/sync.ts";
import type { VendorClient } from "../vendors/client.ts";
import type {
  AppointmentRecord,
  AppointmentTypeRecord,
  AvailabilityBlockRecord,
  DailyAvailabilityRecord,
  InvoiceRecord,
  ListOptions,
  LocationRecord,
  Page,
  PatientRecord,
  PractitionerRecord,
} from "../vendors/types.ts";
import type { SyncResource, Vendor } from "../vocabulary.ts";

/**
 * What sync reads per resource and how it stores it (docs/decisions/0033-sync.md). Pure mapping:
 * the least personal data — patients are ids and times only; practitioners and types keep names
 * (the briefing shows them); never clinical notes. Ids and money stay the vendor's exact strings.
 */

type Lister = (opts?: ListOptions) => AsyncIterable<Page<unknown>>;

export interface ResourceSpec {
  resource: SyncResource;
  /** The client's list for this resource, or undefined where the vendor has none (skipped). */
  list(client: VendorClient): Lister | undefined;
  /** List archived and deleted records too, so they are applied rather than left stale. */
  includeRemoved: boolean;
  /** No modified dates at this vendor: read whole every run; what a full pass misses is marked removed. */
  fullRefresh(vendor: Vendor): boolean;
  /** One page of vendor records → one batch of rows. */
  rows(recordSetId: string, items: unknown[]): SyncRows;
  /** Its live count is watched for a sudden drop ("no patients recognised" alert). */
  watchDrop: boolean;
  /**
   * Where the vendor's list hides deleted records (listsHideDeletions), a periodic full pass lists
   * this resource whole and marks what it did not see deleted in this table.
   */
  reconcile?: ReconciledTable;
}

/**
 * Nookal's lists show no deleted records (no deleted flag, no deleted list; docs/decisions/0033-sync.md,
 * "Reconciling Nookal"): a deletion is only visible as a record missing from a complete list.
 */
export function listsHideDeletions(vendor: Vendor): boolean {
  return vendor === "nookal";
}

const bind = <K extends keyof VendorClient>(client: VendorClient, name: K): Lister | undefined => {
  const fn = client[name] as Lister | undefined;
  return fn ? (opts) => fn.call(client, opts) : undefined;
};

const never = () => false;

export const RESOURCE_SPECS: readonly ResourceSpec[] = [
  {
    resource: "locations",
    list: (c) => bind(c, "locations"),
    includeRemoved: true,
    fullRefresh: (vendor) => vendor === "nookal",
    watchDrop: false,
    rows: (recordSetId, items) => ({
      table: "locations",
      rows: (items as LocationRecord[]).map((l) => ({
        recordSetId,
        id: l.id,
        name: l.name,
        timeZone: l.timeZone,
        country: l.country,
        archived: l.archived,
        removed: false,
        vendorUpdatedAt: l.updatedAt,
      })),
    }),
  },
  {
    resource: "practitioners",
    list: (c) => bind(c, "practitioners"),
    includeRemoved: false,
    fullRefresh: never,
    watchDrop: false,
    rows: (recordSetId, items) => practitionerRows(recordSetId, items),
  },
  {
    resource: "practitioners_inactive",
    list: (c) => bind(c, "inactivePractitioners"),
    includeRemoved: false,
    fullRefresh: never,
    watchDrop: false,
    rows: (recordSetId, items) => practitionerRows(recordSetId, items),
  },
  {
    resource: "appointment_types",
    list: (c) => bind(c, "appointmentTypes"),
    includeRemoved: true,
    fullRefresh: never,
    watchDrop: false,
    rows: (recordSetId, items) => ({
      table: "appointment_types",
      rows: (items as AppointmentTypeRecord[]).map((t) => ({
        recordSetId,
        id: t.id,
        name: t.name,
        durationMinutes: t.durationMinutes,
        archived: t.archived,
        vendorUpdatedAt: t.updatedAt,
      })),
    }),
  },
  {
    resource: "patients",
    list: (c) => bind(c, "patients"),
    includeRemoved: true,
    fullRefresh: never,
    watchDrop: true,
    reconcile: "patients",
    // why: ids and times only — names, emails and birth dates are dropped here, before storage
    rows: (recordSetId, items) => ({
      table: "patients",
      rows: (items as PatientRecord[]).map((p) => ({
        recordSetId,
        id: p.id,
        locationId: p.locationId,
        archived: p.archived,
        deleted: p.deleted ?? false,
        vendorCreatedAt: p.createdAt,
        archivedAt: p.archivedAt ?? null,
        vendorUpdatedAt: p.updatedAt,
      })),
    }),
  },
  {
    resource: "appointments",
    list: (c) => bind(c, "appointments"),
    includeRemoved: true,
    fullRefresh: never,
    watchDrop: true,
    reconcile: "appointments",
    rows: (recordSetId, items) => ({
      table: "appointments",
      rows: (items as AppointmentRecord[]).map((a) => ({
        recordSetId,
        id: a.id,
        startsAt: a.startsAt,
        endsAt: a.endsAt,
        patientId: a.patientId,
        practitionerId: a.practitionerId,
        appointmentTypeId: a.appointmentTypeId,
        locationId: a.locationId,
        status: a.status,
        cancelledAt: a.cancelledAt,
        cancellationReason: a.cancellationReason,
        deleted: a.deleted,
        vendorUpdatedAt: a.updatedAt,
      })),
    }),
  },
  {
    resource: "invoices",
    list: (c) => bind(c, "invoices"),
    includeRemoved: true,
    fullRefresh: never,
    watchDrop: true,
    reconcile: "invoices",
    rows: (recordSetId, items) => ({
      table: "invoices",
      rows: (items as InvoiceRecord[]).map((i) => ({
        recordSetId,
        id: i.id,
        number: i.number,
        issueDate: i.issueDate,
        status: i.status,
        vendorStatus: i.vendorStatus,
        totalAmount: i.totalAmount,
        netAmount: i.netAmount,
        taxAmount: i.taxAmount,
        patientId: i.patientId,
        practitionerId: i.practitionerId,
        appointmentId: i.appointmentId,
        closedAt: i.closedAt,
        deleted: i.deleted,
        vendorUpdatedAt: i.updatedAt,
      })),
    }),
  },
  {
    resource: "daily_availabilities",
    list: (c) => bind(c, "dailyAvailabilities"),
    includeRemoved: false,
    fullRefresh: never,
    watchDrop: false,
    rows: (recordSetId, items) => ({
      table: "availability",
      rows: (items as DailyAvailabilityRecord[]).map((d) => ({
        recordSetId,
        kind: "daily" as const,
        id: d.id,
        practitionerId: d.practitionerId,
        locationId: d.locationId,
        dayOfWeek: d.dayOfWeek,
        spans: d.spans,
        startsAt: null,
        endsAt: null,
        repeatRule: null,
        deleted: false,
        vendorUpdatedAt: d.updatedAt,
      })),
    }),
  },
  {
    resource: "availability_blocks",
    list: (c) => bind(c, "availabilityBlocks"),
    includeRemoved: true,
    fullRefresh: never,
    watchDrop: false,
    rows: (recordSetId, items) => blockRows(recordSetId, "extra", items),
  },
  {
    resource: "unavailable_blocks",
    list: (c) => bind(c, "unavailableBlocks"),
    includeRemoved: true,
    fullRefresh: never,
    watchDrop: false,
    rows: (recordSetId, items) => blockRows(recordSetId, "unavailable", items),
  },
];

function practitionerRows(recordSetId: string, items: unknown[]): SyncRows {
  return {
    table: "practitioners",
    rows: (items as PractitionerRecord[]).map((p) => ({
      recordSetId,
      id: p.id,
      firstName: p.firstName,
      lastName: p.lastName,
      designation: p.designation,
      active: p.active,
      vendorUpdatedAt: p.updatedAt,
    })),
  };
}

function blockRows(recordSetId: string, kind: "extra" | "unavailable", items: unknown[]): SyncRows {
  return {
    table: "availability",
    rows: (items as AvailabilityBlockRecord[]).map((b) => ({
      recordSetId,
      kind,
      id: b.id,
      practitionerId: b.practitionerId,
      locationId: b.locationId,
      dayOfWeek: null,
      spans: null,
      startsAt: b.startsAt,
      endsAt: b.endsAt,
      repeatRule: b.repeatRule,
      deleted: b.deleted,
      vendorUpdatedAt: b.updatedAt,
    })),
  };
}

function specFor(resource: SyncResource): ResourceSpec {
  return RESOURCE_SPECS.find((s) => s.resource === resource)!;
}

/** One page of a resource, for the probe's re-check of a resource sync was refused (the anti-flap rule). */
export async function readOnePage(client: VendorClient, resource: SyncResource): Promise<void> {
  const list = specFor(resource).list(client);
  if (!list) return;
  const it = list({ from: { at: "", page: 1 } })[Symbol.asyncIterator]();
  try {
    await it.next();
  } finally {
    await it.return?.();
  }
}
