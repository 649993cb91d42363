import { and, eq, isNull, sql, type Column, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Db } from "../client.ts";
import { alerts, clinics, connections } from "../schema/index.ts";
import type { ClinicListFilters, ClinicSort } from "./clinics.ts";
import { stateSeverity } from "../schema/columns.ts";
import { brokenNowCondition } from "./broken-now.ts";

/**
 * Index-served paging for the clinics table (docs/decisions/0015-console-indexes.md).
 *
 * The table's order is cut into segments that each follow one index exactly — e.g. "failing
 * since, descending, nulls last" is [connections with a first failure, newest first] then
 * [connections without one] then [clinics without a connection] — so PostgreSQL walks an index
 * for a page instead of joining and sorting the whole fleet. A page past the middle of a segment
 * is read from the segment's other end (the mirror order walks the same index backwards), which
 * halves the worst case for deep pages. Archived clinics (a few percent) are excluded with a
 * hashed NOT IN over the small archived set instead of a join per row.
 *
 * Free text (docs/decisions/0041-console-free-text.md) is served here too: a term few clinics match
 * becomes the list of their ids (found through the trigram indexes), so every view pages it through
 * the same indexes as a selection; a term many clinics match is walked in index order with the text
 * as a per-row filter, which finds a page of matches after reading about pageSize ÷ share rows.
 */

const TEXT_CLINIC = alias(clinics, "text_clinic");

/**
 * Above this many matches a term is walked in index order; at or below it, paged as the list of its
 * clinics' ids. Past it a page within the cap shows "2,000+" instead of counting every match.
 */
const TEXT_LIST_MAX = 2_000;

const ARCHIVED_IDS = sql`(select ${clinics.id} from ${clinics} where ${clinics.archivedAt} is not null)`;

interface Segment {
  /** Rows in this segment for the current filters; only asked for when a page starts past it (or deep inside it). */
  count(): Promise<number>;
  /** One page of clinic ids in segment order; `reverse` reads the mirror order (the caller flips it back). */
  ids(offset: number, limit: number, reverse: boolean): Promise<string[]>;
}

function memo(f: () => Promise<number>): () => Promise<number> {
  let p: Promise<number> | undefined;
  return () => (p ??= f());
}

async function countOf(q: PromiseLike<{ n: number }[]>): Promise<number> {
  const [row] = await q;
  return row?.n ?? 0;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `column` is one of `ids`, as one array parameter (`= any($1::uuid[])`) instead of one parameter
 * per id: a free-text term's 2,000 clinics as a list cost ~20 ms more per query to bind and plan.
 * An id that is not a uuid matches nothing, as it would in a list.
 */
export function idIn(column: Column, ids: readonly string[]): SQL {
  const valid = ids.filter((id) => UUID.test(id));
  return valid.length ? sql`${column} = any(${`{${valid.join(",")}}`}::uuid[])` : sql`false`;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The free-text match on the clinics row in scope: name or admin email contains the term, any case.
 * search_text is both, lower-cased on write, so this compares bytes instead of folding case per row.
 */
export function textMatch(q: string, table: { searchText: Column } = clinics): SQL {
  return sql`${table.searchText} like lower(${`%${escapeLike(q)}%`})`;
}

/**
 * Connection-side conditions. A selection and free text are the clinic's: for queries over
 * connections alone they are applied here (the text as a per-row lookup of the clinic by primary
 * key); where clinics is in scope (`withClinics`), clinicIdFilter applies them to clinics instead,
 * so a clinic without a connection is not lost to a left join.
 */
function connectionFilters(filters: ClinicListFilters, { withClinics = false }: { withClinics?: boolean } = {}): SQL[] {
  const where: SQL[] = [];
  if (filters.q && !withClinics)
    where.push(
      sql`exists (select 1 from ${clinics} ${sql.identifier("text_clinic")} where ${TEXT_CLINIC.id} = ${connections.clinicId} and ${textMatch(filters.q, TEXT_CLINIC)})`,
    );
  if (filters.state) where.push(eq(connections.state, filters.state));
  if (filters.failureCode) where.push(eq(connections.failureCode, filters.failureCode));
  if (filters.vendor) where.push(eq(connections.vendor, filters.vendor));
  if (filters.region) where.push(eq(connections.region, filters.region));
  if (filters.brokenNow || filters.failingSince) where.push(brokenNowCondition(filters.failingSince));
  if (filters.syncFailing) where.push(eq(connections.syncState, "failed"));
  if (filters.clinicIds && !withClinics) where.push(idIn(connections.clinicId, filters.clinicIds));
  return where;
}

const hasConnectionFilter = (f: ClinicListFilters) =>
  Boolean(f.state || f.failureCode || f.vendor || f.region || f.brokenNow || f.failingSince || f.syncFailing);

const KEYS: Record<Exclude<ClinicSort, "name" | "alerts">, { expr: SQL; nullable: boolean }> = {
  vendor: { expr: sql`${connections.vendor}`, nullable: false },
  region: { expr: sql`${connections.region}`, nullable: false },
  state: { expr: stateSeverity(connections.state), nullable: false },
  failure: { expr: sql`${connections.failureCode}`, nullable: true },
  lastSuccess: { expr: sql`${connections.lastSuccessAt}`, nullable: true },
  lastSync: { expr: sql`${connections.lastSyncSuccessAt}`, nullable: true },
  failingSince: { expr: sql`${connections.firstFailureAt}`, nullable: true },
  patients: { expr: sql`${connections.visiblePatientCount}`, nullable: true },
};

const dirSql = (desc: boolean) => sql.raw(desc ? "desc" : "asc");

/** Every clinic the view shows: connections when a connection filter applies (it needs one), else clinics. */
function totalOf(filters: ClinicListFilters, db: Db, cap?: number): Promise<number> {
  const matching = hasConnectionFilter(filters)
    ? db
        .select({ one: sql`1` })
        .from(connections)
        .where(and(...connectionFilters(filters), sql`${connections.clinicId} not in ${ARCHIVED_IDS}`))
        .$dynamic()
    : db
        .select({ one: sql`1` })
        .from(clinics)
        .where(and(...clinicIdFilter(filters), sql`${clinics.archivedAt} is null`))
        .$dynamic();
  // why: a capped count reads at most cap + 1 index entries instead of the whole fleet (0032-console-cpu.md)
  if (cap !== undefined) matching.limit(cap + 1);
  return countOf(db.select({ n: sql<number>`count(*)::int` }).from(sql`(${matching}) as counted`));
}

/** Clinic-side conditions: a selection of clinics, and free text on the clinics row itself. */
function clinicIdFilter(filters: ClinicListFilters): SQL[] {
  const where = filters.clinicIds ? [idIn(clinics.id, filters.clinicIds)] : [];
  return filters.q ? [...where, textMatch(filters.q)] : where;
}

/** Clinics (not archived) that have no connection, by name: the last segment of every connection sort. */
function withoutConnectionSegment(count: () => Promise<number>, filters: ClinicListFilters, db: Db): Segment {
  return {
    count,
    async ids(offset, limit, reverse) {
      const rows = await db
        .select({ id: clinics.id })
        .from(clinics)
        .where(
          and(
            sql`${clinics.archivedAt} is null`,
            sql`not exists (select 1 from ${connections} where ${connections.clinicId} = ${clinics.id})`,
            ...clinicIdFilter(filters),
          ),
        )
        .orderBy(sql`${clinics.name} ${dirSql(reverse)}, ${clinics.id} ${dirSql(reverse)}`)
        .limit(limit)
        .offset(offset);
      return rows.map((r) => r.id);
    },
  };
}

function connectionSortSegments(sort: keyof typeof KEYS, desc: boolean, filters: ClinicListFilters, total: () => Promise<number>, db: Db): Segment[] {
  const { expr } = KEYS[sort];
  // why: broken now means a first failure: under that filter failing-since has no null segment, and
  // asking for one walks the whole index to find nothing
  const nullable = KEYS[sort].nullable && !(sort === "failingSince" && (filters.brokenNow || filters.failingSince));
  const base = [...connectionFilters(filters), sql`${connections.clinicId} not in ${ARCHIVED_IDS}`];
  const ordered = (pred: SQL | undefined, order: (reverse: boolean) => SQL): Segment => ({
    count: memo(() =>
      countOf(
        db
          .select({ n: sql<number>`count(*)::int` })
          .from(connections)
          .where(and(...base, pred)),
      ),
    ),
    async ids(offset, limit, reverse) {
      const rows = await db
        .select({ id: connections.clinicId })
        .from(connections)
        .where(and(...base, pred))
        .orderBy(order(reverse))
        .limit(limit)
        .offset(offset);
      return rows.map((r) => r.id);
    },
  });
  // why: key and clinic id both follow the direction, so one (key, clinic_id) index serves both ways
  const segments: Segment[] = [
    ordered(
      nullable ? sql`${expr} is not null` : undefined,
      (reverse) => sql`${expr} ${dirSql(desc !== reverse)}, ${connections.clinicId} ${dirSql(desc !== reverse)}`,
    ),
  ];
  if (nullable) segments.push(ordered(sql`${expr} is null`, (reverse) => sql`${connections.clinicId} ${dirSql(reverse)}`));
  if (!hasConnectionFilter(filters)) {
    const before = [...segments];
    // why: the rest of the view; its size follows from the total, so it is never counted itself
    const rest = memo(async () => (await total()) - (await Promise.all(before.map((s) => s.count()))).reduce((a, b) => a + b, 0));
    segments.push(withoutConnectionSegment(rest, filters, db));
  }
  return segments;
}

function nameSortSegment(desc: boolean, filters: ClinicListFilters, total: () => Promise<number>, db: Db): Segment {
  return {
    count: total,
    async ids(offset, limit, reverse) {
      const d = dirSql(desc !== reverse);
      const where = and(
        sql`${clinics.archivedAt} is null`,
        ...clinicIdFilter(filters),
        // why: connections is joined only when a connection filter applies
        ...(hasConnectionFilter(filters) ? connectionFilters(filters, { withClinics: true }) : []),
      );
      const q = hasConnectionFilter(filters)
        ? db.select({ id: clinics.id }).from(clinics).innerJoin(connections, eq(connections.clinicId, clinics.id)).where(where)
        : db.select({ id: clinics.id }).from(clinics).where(where);
      const rows = await q
        .orderBy(sql`${clinics.name} ${d}, ${clinics.id} ${d}`)
        .limit(limit)
        .offset(offset);
      return rows.map((r) => r.id);
    },
  };
}

/**
 * Clinics with unresolved alerts (few: only broken clinics have them), most alerts first, then the
 * rest by name through the name index; ascending puts the alert-free clinics first.
 */
function alertSortSegments(desc: boolean, filters: ClinicListFilters, total: () => Promise<number>, db: Db): Segment[] {
  const clinicWhere: SQL[] = [sql`${clinics.archivedAt} is null`, ...connectionFilters(filters, { withClinics: true }), ...clinicIdFilter(filters)];
  const open = sql`(select ${alerts.clinicId} as clinic_id, count(*)::int as n from ${alerts} where ${alerts.status} <> 'resolved' group by ${alerts.clinicId})`;
  const from = () => db.select({ id: clinics.id }).from(clinics).leftJoin(connections, eq(connections.clinicId, clinics.id)).$dynamic();
  const alerted = memo(() =>
    countOf(
      db
        .select({ n: sql<number>`count(*)::int` })
        .from(clinics)
        .leftJoin(connections, eq(connections.clinicId, clinics.id))
        .innerJoin(sql`${open} oa`, sql`oa.clinic_id = ${clinics.id}`)
        .where(and(...clinicWhere)),
    ),
  );
  const withAlerts: Segment = {
    count: alerted,
    async ids(offset, limit, reverse) {
      const rows = await from()
        .innerJoin(sql`${open} oa`, sql`oa.clinic_id = ${clinics.id}`)
        .where(and(...clinicWhere))
        .orderBy(sql`oa.n ${dirSql(desc !== reverse)}, ${clinics.name} ${dirSql(reverse)}, ${clinics.id} ${dirSql(reverse)}`)
        .limit(limit)
        .offset(offset);
      return rows.map((r) => r.id);
    },
  };
  const without: Segment = {
    count: memo(async () => (await total()) - (await alerted())),
    async ids(offset, limit, reverse) {
      const rows = await from()
        .where(and(...clinicWhere, sql`${clinics.id} not in (select ${alerts.clinicId} from ${alerts} where ${alerts.status} <> 'resolved')`))
        .orderBy(sql`${clinics.name} ${dirSql(reverse)}, ${clinics.id} ${dirSql(reverse)}`)
        .limit(limit)
        .offset(offset);
      return rows.map((r) => r.id);
    },
  };
  return desc ? [withAlerts, without] : [without, withAlerts];
}

/**
 * One page of a sparse view (at most DENSE_VIEW matches), read whole and sorted instead of walked
 * in a sort index. Its rows are found through the filter's own index (broken now: the partial
 * index, a few percent of the fleet) and sorted in memory; a walk in sort order reads through the
 * whole fleet when the filter and the key go together (broken clinics are the ones without a recent
 * success: last-success order meets them last) or exclude each other (no failure yet, under broken
 * now: none), 150–230 ms where this takes a few. MATERIALIZED keeps the planner from pushing the
 * order into an index walk. The order is the segments' order, written as one ORDER BY.
 */
async function sparsePage(sort: ClinicSort, desc: boolean, filters: ClinicListFilters, offset: number, limit: number, db: Db): Promise<string[]> {
  const d = dirSql(desc);
  // why: a connection sort needs no clinics row: the filter's index on connections finds the view
  const view =
    sort !== "name" && sort !== "alerts"
      ? sql`select ${connections.clinicId} as id, ${KEYS[sort].expr} as k from ${connections}
          where ${and(...connectionFilters(filters), sql`${connections.clinicId} not in ${ARCHIVED_IDS}`)}`
      : sql`select ${clinics.id} as id, ${clinics.name} as name from ${clinics} inner join ${connections} on ${connections.clinicId} = ${clinics.id}
          where ${and(sql`${clinics.archivedAt} is null`, ...clinicIdFilter(filters), ...connectionFilters(filters, { withClinics: true }))}`;
  const open = sql`(select ${alerts.clinicId} as clinic_id, count(*)::int as n from ${alerts} where ${alerts.status} <> 'resolved' group by ${alerts.clinicId})`;
  const order =
    sort === "name"
      ? sql`m.name ${d}, m.id ${d}`
      : sort === "alerts"
        ? // why: desc is most alerts first then the quiet ones by name; asc the quiet ones first: both are the count in that direction, then name
          sql`coalesce(oa.n, 0) ${d}, m.name asc, m.id asc`
        : // keyed rows by key, then unkeyed rows by clinic id (the segments' order)
          sql`(m.k is null), m.k ${d}, case when m.k is null then m.id end asc, m.id ${d}`;
  const rows = await db.execute<{ id: string }>(
    sql`with m as materialized (${view}) select m.id from m ${sort === "alerts" ? sql`left join ${open} oa on oa.clinic_id = m.id` : sql``}
      order by ${order} limit ${limit} offset ${offset}`,
  );
  return [...rows].map((r) => r.id);
}

/** Up to this many rows a page reads through what it skips instead of counting its segment. */
const SHALLOW_SKIP = 2_000;

/**
 * Reading through skipped rows is cheap only when the view's matches are dense in the index it
 * walks: a view of more than this many clinics (a tenth of a 100,000 fleet). A sparse view
 * (`healthy` with `auth_rejected`: none) walked in name order reads the whole index to find rows
 * that are not there (626 ms, where counting its few matches takes a millisecond).
 */
const DENSE_VIEW = 10_000;

/**
 * Reads `limit` ids from `offset` across the segments. A shallow page (the first forty) reads
 * through the rows it skips; a deeper one counts the segment it starts in, and past the middle of
 * a segment reads it from the other end.
 */
async function readSegments(segments: Segment[], offset: number, limit: number, shallowSkip: number): Promise<string[]> {
  const out: string[] = [];
  let skip = offset;
  for (const s of segments) {
    const need = limit - out.length;
    if (need <= 0) break;
    if (skip === 0) {
      out.push(...(await s.ids(0, need, false)));
      continue;
    }
    if (skip <= shallowSkip) {
      // why: counting a segment of the whole fleet exactly costs more than walking 2,000 index
      // entries; page 2 of a 95,000-clinic segment needs only its first 100 rows
      const got = await s.ids(skip, need, false);
      if (got.length > 0) {
        out.push(...got);
        // a short read means the segment ended there: the next one starts at its beginning
        skip = 0;
      } else {
        // the whole segment lies before this page; it has at most `skip` rows, so reading them is bounded
        skip -= (await s.ids(0, skip, false)).length;
      }
      continue;
    }
    const count = await s.count();
    if (skip >= count) {
      skip -= count;
      continue;
    }
    const take = Math.min(need, count - skip);
    // why: OFFSET walks every skipped row; past the middle the mirror order skips fewer
    if (skip > count / 2) out.push(...(await s.ids(count - skip - take, take, true)).reverse());
    else out.push(...(await s.ids(skip, take, false)));
    skip = 0;
  }
  return out;
}

/**
 * One page of ids and the view's total. With `countCap`, a page that ends within the cap gets a
 * capped total ("10,000+": `totalCapped`) instead of counting every matching clinic; a page past
 * the cap (which needs the exact total to read from the far end and to clamp) counts exactly.
 */
export async function pageClinicIds(
  {
    filters,
    sort,
    desc,
    page,
    pageSize,
    countCap,
    textListMax = TEXT_LIST_MAX,
    shallowSkip = SHALLOW_SKIP,
    denseView = DENSE_VIEW,
  }: {
    filters: ClinicListFilters;
    sort: ClinicSort;
    desc: boolean;
    page: number;
    pageSize: number;
    countCap?: number;
    textListMax?: number;
    /** Tests only: how deep a page may read through what it skips (0: always count). */
    shallowSkip?: number;
    /** Tests only: how many matches make a view dense enough to read through. */
    denseView?: number;
  },
  db: Db,
): Promise<{ ids: string[]; total: number; totalCapped: boolean }> {
  // why: the lookup that finds a term common has counted more matches of the whole view than the cap
  let knownCapped = false;
  if (filters.q) {
    const matched = await textMatchIds(filters, textListMax + 1, db);
    if (matched.length <= textListMax) {
      // why: a few matches are cheapest as a selection: every view already pages one through its indexes
      filters = { ...filters, q: undefined, clinicIds: matched };
    } else if (countCap !== undefined) {
      countCap = Math.min(countCap, textListMax);
      knownCapped = true;
    }
  }
  const offset = (page - 1) * pageSize;
  const cap = countCap !== undefined && page * pageSize <= countCap ? countCap : undefined;
  // why: a view narrowed by a connection filter is often a few percent of the fleet: counting it
  // first (at most denseView + 1 entries) tells whether to read it whole (sparsePage). A selection
  // alone (a term's few clinics) is not: the sort indexes page it faster (17 against 40 ms for 1,637)
  let counted: Promise<number> | undefined;
  if (!filters.q && hasConnectionFilter(filters)) {
    const n = await totalOf(filters, db, denseView);
    if (n <= denseView) {
      const ids = offset >= n ? [] : await sparsePage(sort, desc, filters, offset, pageSize, db);
      return cap !== undefined && n > cap ? { ids, total: cap, totalCapped: true } : { ids, total: n, totalCapped: false };
    }
    // the view is past denseView: a cap at or under it is already known to be exceeded
    if (cap !== undefined && cap <= denseView) counted = Promise.resolve(cap + 1);
  }
  const total = memo(() => totalOf(filters, db));
  const segments =
    sort === "name"
      ? [nameSortSegment(desc, filters, total, db)]
      : sort === "alerts"
        ? alertSortSegments(desc, filters, total, db)
        : connectionSortSegments(sort, desc, filters, total, db);
  // why: the total runs beside the page query; both are index scans
  counted ??= cap === undefined ? total() : knownCapped ? Promise.resolve(cap + 1) : totalOf(filters, db, cap);
  let ids: string[];
  let n: number;
  if (offset === 0) {
    [ids, n] = await Promise.all([readSegments(segments, 0, pageSize, shallowSkip), counted]);
  } else {
    // why: a later page waits for the total: it says whether the page exists and whether reading through is cheap
    n = await counted;
    const dense = n > denseView;
    ids = !dense && offset >= n ? [] : await readSegments(segments, offset, pageSize, dense ? shallowSkip : 0);
  }
  return cap !== undefined && n > cap ? { ids, total: cap, totalCapped: true } : { ids, total: n, totalCapped: false };
}

/**
 * Up to `limit` ids of the clinics the whole view shows (the term and every other filter), found
 * through the trigram index: past the cap, a page walked in index order meets a match at least
 * every (fleet ÷ cap) rows, whatever the other filters are.
 */
async function textMatchIds(filters: ClinicListFilters, limit: number, db: Db): Promise<string[]> {
  const where = and(isNull(clinics.archivedAt), ...clinicIdFilter(filters), ...connectionFilters(filters, { withClinics: true }));
  const q = hasConnectionFilter(filters)
    ? db.select({ id: clinics.id }).from(clinics).innerJoin(connections, eq(connections.clinicId, clinics.id)).where(where)
    : db.select({ id: clinics.id }).from(clinics).where(where);
  const rows = await q.limit(limit);
  return rows.map((r) => r.id);
}
