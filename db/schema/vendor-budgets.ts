import { bigint, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * One shared rate budget per vendor user (docs/decisions/0034-shared-rate-budget.md): a ring of
 * per-slot request counts, newest first, and the vendor's "not before" after a 429. Every process
 * (web, each worker) leases from the same row, so the limit holds however many run.
 */
export const vendorBudgets = pgTable(
  "vendor_budgets",
  {
    /** `cliniko:<hash of the key>` / `nookal:<token id>`: names the user's budget without the key. */
    bucket: text("bucket").primaryKey(),
    /** Index of the newest slot: epoch ms of Postgres's clock ÷ slot length. */
    slot: bigint("slot", { mode: "number" }).notNull(),
    /** Requests granted per slot to any lane in the ring (sync and interactive), newest first. */
    counts: integer("counts").array().notNull(),
    /** The sync lane's part of `counts`: sync is held to its own share, so interactive checks never slow it. */
    syncCounts: integer("sync_counts").array().notNull(),
    /** A 429's X-RateLimit-Reset: no process sends before it. */
    pausedUntil: timestamp("paused_until", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("vendor_budgets_paused_until_idx").on(t.pausedUntil), index("vendor_budgets_updated_at_idx").on(t.updatedAt)],
);

export type VendorBudgetRow = typeof vendorBudgets.$inferSelect;
