import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Fixed-window counters for sign-ins and reconnect attempts. In PostgreSQL, not memory, so every
 * web replica sees the same count. Rows older than a day are swept.
 */
export const rateLimitHits = pgTable(
  "rate_limit_hits",
  {
    bucket: text("bucket").notNull(),
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    count: integer("count").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.bucket, t.windowStart] }),
    check("rate_limit_hits_count_positive", sql`${t.count} > 0`),
    index("rate_limit_hits_window_idx").on(t.windowStart),
  ],
);
