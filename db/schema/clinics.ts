import { sql } from "drizzle-orm";
import { check, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const clinics = pgTable(
  "clinics",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    timeZone: text("time_zone").notNull(),
    country: text("country").notNull(),
    adminName: text("admin_name"),
    adminEmail: text("admin_email"),
    archivedAt: timestamp("archived_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    /**
     * What free text matches (docs/decisions/0041-console-free-text.md): name and admin email,
     * lower-cased once on write, so a search compares bytes (LIKE) instead of folding case per row.
     */
    searchText: text("search_text")
      .notNull()
      .generatedAlwaysAs(sql`lower(name || chr(10) || coalesce(admin_email, ''))`),
  },
  (t) => [
    check("clinics_name_not_blank", sql`length(trim(${t.name})) > 0`),
    check("clinics_country_iso2", sql`${t.country} ~ '^[A-Z]{2}$'`),
    index("clinics_name_idx").on(t.name),
    // why: a rare term is found through its trigrams; the operator class comes with pg_trgm (0009)
    index("clinics_search_trgm_idx").using("gin", t.searchText.op("gin_trgm_ops")),
    // why (docs/decisions/0015-console-indexes.md): the clinics table pages by name through this
    // partial index; the small archived set is what every fleet query excludes
    index("clinics_active_name_idx")
      .on(t.name, t.id)
      .where(sql`${t.archivedAt} is null`),
    index("clinics_archived_idx")
      .on(t.id)
      .where(sql`${t.archivedAt} is not null`),
    // why (docs/decisions/0028-broken-now.md): the unfiltered table's exact total, every refresh, as an
    // index-only count (375 buffers at 100k clinics instead of a 2,219-page seq scan)
    index("clinics_active_id_idx")
      .on(t.id)
      .where(sql`${t.archivedAt} is null`),
  ],
);

export type Clinic = typeof clinics.$inferSelect;
export type NewClinic = typeof clinics.$inferInsert;
