import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { clinics } from "./clinics.ts";
import { connections } from "./connections.ts";
import { inList } from "./columns.ts";
import { users } from "./users.ts";

export const BULK_KINDS = ["probe", "reconnect_link", "pause", "resume", "campaign", "sync"] as const;
export type BulkKind = (typeof BULK_KINDS)[number];

export const BULK_ITEM_STATUSES = ["waiting", "done", "failed", "skipped"] as const;
export type BulkItemStatus = (typeof BULK_ITEM_STATUSES)[number];

/**
 * One bulk action an agent started from the clinics table (docs/decisions/0014-bulk-actions.md).
 * Stored, not kept in memory, so its progress survives a reload and other agents see it.
 */
export const bulkOperations = pgTable(
  "bulk_operations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    kind: text("kind").$type<BulkKind>().notNull(),
    requestedBy: uuid("requested_by")
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    requestedByLabel: text("requested_by_label").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    total: integer("total").notNull(),
    /** What the agent typed with it (link purpose, pause reason, campaign id). */
    params: jsonb("params").$type<Record<string, unknown>>().notNull().default({}),
    /** The clinics view the selection was made in (`/clinics?…`), for the link back. */
    returnTo: text("return_to").notNull().default("/clinics"),
  },
  (t) => [
    check("bulk_operations_kind_check", inList(t.kind, BULK_KINDS)),
    check("bulk_operations_total_positive", sql`${t.total} >= 1`),
    check("bulk_operations_return_to_clinics", sql`${t.returnTo} like '/clinics%'`),
    index("bulk_operations_created_idx").on(t.createdAt.desc()),
  ],
);

/** One clinic of a bulk operation and how it went. */
export const bulkOperationItems = pgTable(
  "bulk_operation_items",
  {
    operationId: uuid("operation_id")
      .notNull()
      .references(() => bulkOperations.id, { onDelete: "cascade" }),
    clinicId: uuid("clinic_id")
      .notNull()
      .references(() => clinics.id, { onDelete: "restrict" }),
    connectionId: uuid("connection_id").references(() => connections.id, { onDelete: "set null" }),
    /**
     * For probes "waiting" stays stored: the item is done once the connection's last_probe_at
     * passes the operation's created_at (read in db/queries/bulk-operations.ts), so the probe path
     * needs no knowledge of bulk operations.
     */
    status: text("status").$type<BulkItemStatus>().notNull().default("waiting"),
    message: text("message"),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.operationId, t.clinicId] }),
    check("bulk_operation_items_status_check", inList(t.status, BULK_ITEM_STATUSES)),
    check("bulk_operation_items_finished", sql`(${t.status} = 'waiting') = (${t.finishedAt} is null)`),
  ],
);

export type BulkOperation = typeof bulkOperations.$inferSelect;
export type NewBulkOperation = typeof bulkOperations.$inferInsert;
export type BulkOperationItem = typeof bulkOperationItems.$inferSelect;
export type NewBulkOperationItem = typeof bulkOperationItems.$inferInsert;
