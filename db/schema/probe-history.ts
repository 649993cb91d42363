import { bigint, boolean, check, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { connections } from "./connections.ts";
import { inList } from "./columns.ts";
import { CONNECTION_STATES, type ConnectionState, FAILURE_CODES, type FailureCode, PROBE_TICK_KINDS, type ProbeTickKind } from "../../domain/vocabulary.ts";

/**
 * The last few dozen probes of each connection, one row per probe (the timeline keeps only changes):
 * what the clinic page's probe strip draws. Pruned as it is written (db/queries/probe-history.ts),
 * so it never grows past PROBE_HISTORY_KEEP rows a connection.
 */
export const probeHistory = pgTable(
  "probe_history",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull(),
    ok: boolean("ok").notNull(),
    failureCode: text("failure_code").$type<FailureCode>(),
    /** The state the probe left the connection in. */
    state: text("state").$type<ConnectionState>().notNull(),
    httpStatus: integer("http_status"),
    ms: integer("ms"),
    /** "probe" (scheduled or on request) or "key_check": a key checked live as it was entered (add clinic, reconnect link, support). */
    kind: text("kind").$type<ProbeTickKind>().notNull().default("probe"),
  },
  (t) => [
    check("probe_history_failure_code_check", sql`${t.failureCode} is null or ${inList(t.failureCode, FAILURE_CODES)}`),
    check("probe_history_state_check", inList(t.state, CONNECTION_STATES)),
    check("probe_history_kind_check", inList(t.kind, PROBE_TICK_KINDS)),
    index("probe_history_connection_at_idx").on(t.connectionId, t.at.desc()),
  ],
);

export type ProbeHistoryRow = typeof probeHistory.$inferSelect;
