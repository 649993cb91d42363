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
  },
  (t) => [
    check("clinics_name_not_blank", sql`length(trim(${t.name})) > 0`),
    check("clinics_country_iso2", sql`${t.country} ~ '^[A-Z]{2}$'`),
    index("clinics_name_idx").on(t.name),
  ],
);

export type Clinic = typeof clinics.$inferSelect;
export type NewClinic = typeof clinics.$inferInsert;
