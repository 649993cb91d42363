import { boolean, check, integer, pgTable, primaryKey, smallint, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { connections } from "./connections.ts";
import { inList } from "./columns.ts";
import { CONNECTION_STATES, type ConnectionState, FAILURE_CODES, type FailureCode, PROBE_TICK_KINDS, type ProbeTickKind } from "../../domain/vocabulary.ts";

/** Probes kept per connection: the clinic page's strip shows the last 60. */
export const PROBE_HISTORY_KEEP = 60;

/**
 * The last few dozen probes of each connection (the timeline keeps only changes): what the clinic
 * page's probe strip draws. A ring of PROBE_HISTORY_KEEP slots per connection, overwritten in
 * place (slot = connections.probe_seq % PROBE_HISTORY_KEEP), so a probe's tick is an upsert inside
 * the probe's own statement and the table never needs pruning (docs/decisions/0036-probe-history-ring.md).
 */
export const probeHistory = pgTable(
  "probe_history",
  {
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    slot: smallint("slot").notNull(),
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
    primaryKey({ columns: [t.connectionId, t.slot] }),
    check("probe_history_slot_check", sql`${t.slot} >= 0 and ${t.slot} < ${sql.raw(String(PROBE_HISTORY_KEEP))}`),
    check("probe_history_failure_code_check", sql`${t.failureCode} is null or ${inList(t.failureCode, FAILURE_CODES)}`),
    check("probe_history_state_check", inList(t.state, CONNECTION_STATES)),
    check("probe_history_kind_check", inList(t.kind, PROBE_TICK_KINDS)),
  ],
);

export type ProbeHistoryRow = typeof probeHistory.$inferSelect;
