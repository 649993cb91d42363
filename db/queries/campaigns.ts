import type { DbOrTx } from "../client.ts";
import { and, asc, desc, eq, inArray, isNull, or, sql, type SQL } from "drizzle-orm";
import { alertNotifications, campaignClinics, campaigns, clinics, connections, type NewCampaign } from "../schema/index.ts";
import type { CampaignStatus, NotificationStatus } from "../../domain/vocabulary.ts";

export type { CampaignStatus };

/** The "reconnected" test, over the given campaign_clinics column (the claim query uses an alias). */
function reconnected(addedAt: SQL): SQL {
  return sql`(${connections.state} = 'healthy' and ${connections.keyUpdatedAt} > ${addedAt})`;
}

/**
 * The one definition of a campaign clinic's status, in SQL so counts, filters and pages agree.
 * - reconnected: healthy with a key entered since it was added, whatever the date.
 *   why not "healthy since added": the old key keeps working until the deadline, so a probe turns
 *   a clinic that was sent a link (or was still in setup) healthy again without anything migrated
 * - past_deadline: not reconnected and the deadline day is over (UTC)
 * - failing: needs a human now (action_required) or is failing transiently (degraded)
 * - waiting: everything else (pending_disconnect, link sent, setup)
 */
const campaignStatusSql = sql<CampaignStatus>`case
  when ${reconnected(sql`${campaignClinics.addedAt}`)} then 'reconnected'
  when (now() at time zone 'utc')::date > ${campaigns.deadline} then 'past_deadline'
  when ${connections.state} in ('action_required', 'degraded') then 'failing'
  else 'waiting' end`;

export async function insertCampaign(row: NewCampaign, db: DbOrTx): Promise<{ id: string }> {
  const [r] = await db.insert(campaigns).values(row).returning({ id: campaigns.id });
  return r!;
}

export async function getCampaign({ campaignId }: { campaignId: string }, db: DbOrTx, lock = false) {
  const q = db.select().from(campaigns).where(eq(campaigns.id, campaignId));
  const [row] = lock ? await q.for("update") : await q;
  return row;
}

/** Every campaign, newest first, with how many clinics it holds and how many reconnected. */
export async function listCampaigns(db: DbOrTx) {
  return db
    .select({
      id: campaigns.id,
      name: campaigns.name,
      vendor: campaigns.vendor,
      reason: campaigns.reason,
      deadline: campaigns.deadline,
      createdAt: campaigns.createdAt,
      cancelledAt: campaigns.cancelledAt,
      total: sql<number>`count(${campaignClinics.clinicId})::int`,
      reconnected: sql<number>`(count(*) filter (where ${campaignStatusSql} = 'reconnected'))::int`,
      linksSent: sql<number>`(count(${campaignClinics.linkSentAt}))::int`,
    })
    .from(campaigns)
    .leftJoin(campaignClinics, eq(campaignClinics.campaignId, campaigns.id))
    .leftJoin(connections, eq(connections.clinicId, campaignClinics.clinicId))
    .groupBy(campaigns.id)
    .orderBy(desc(campaigns.createdAt))
    .limit(200);
}

/**
 * The clinics to add, row-locked (connections, in id order so two adds never deadlock), with what
 * deciding needs. Unknown ids (and clinics without a connection) simply do not come back.
 */
export async function lockClinicsForCampaign({ campaignId, clinicIds }: { campaignId: string; clinicIds: string[] }, tx: DbOrTx) {
  if (clinicIds.length === 0) return [];
  return tx
    .select({
      clinicId: clinics.id,
      name: clinics.name,
      archivedAt: clinics.archivedAt,
      connectionId: connections.id,
      vendor: connections.vendor,
      state: connections.state,
      failureCode: connections.failureCode,
      alreadyIn: sql<boolean>`exists (select 1 from ${campaignClinics} where ${campaignClinics.campaignId} = ${campaignId} and ${campaignClinics.clinicId} = ${clinics.id})`,
    })
    .from(clinics)
    .innerJoin(connections, eq(connections.clinicId, clinics.id))
    .where(inArray(clinics.id, clinicIds))
    .orderBy(asc(connections.id))
    .for("update", { of: connections });
}

export async function insertCampaignClinics(rows: (typeof campaignClinics.$inferInsert)[], tx: DbOrTx): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) await tx.insert(campaignClinics).values(rows.slice(i, i + 1000));
}

/** Clinics matching a name (case and spaces ignored), archived ones too, for resolving an uploaded list. */
export async function findClinicsByNameOrId({ names, ids }: { names: string[]; ids: string[] }, db: DbOrTx) {
  if (names.length === 0 && ids.length === 0) return [];
  const key = sql<string>`lower(regexp_replace(trim(${clinics.name}), '\\s+', ' ', 'g'))`;
  return db
    .select({ id: clinics.id, name: clinics.name, key, archivedAt: clinics.archivedAt, vendor: connections.vendor })
    .from(clinics)
    .leftJoin(connections, eq(connections.clinicId, clinics.id))
    .where(or(names.length ? inArray(key, names) : undefined, ids.length ? inArray(clinics.id, ids) : undefined));
}

/**
 * Claims up to `limit` clinics of a campaign that still need their link, by stamping
 * link_sent_at first. why: two agents pressing "send" at once each claim different rows
 * (SKIP LOCKED), so no clinic is emailed twice; a failed send clears the stamp again.
 */
export async function claimLinkSends(
  { campaignId, limit, retryFailed, exclude = [] }: { campaignId: string; limit: number; retryFailed: boolean; exclude?: readonly string[] },
  tx: DbOrTx,
): Promise<string[]> {
  const rows = await tx.execute<{ clinic_id: string }>(sql`
    update ${campaignClinics} cc set link_sent_at = now(), link_error = null
    where cc.campaign_id = ${campaignId} and cc.clinic_id in (
      select c2.clinic_id from ${campaignClinics} c2
      join ${connections} on ${connections.clinicId} = c2.clinic_id
      join ${clinics} on ${clinics.id} = c2.clinic_id
      where c2.campaign_id = ${campaignId}
        and c2.link_sent_at is null
        and ${retryFailed ? sql`true` : sql`c2.link_error is null`}
        and ${exclude.length ? sql`c2.clinic_id <> all(${`{${exclude.join(",")}}`}::uuid[])` : sql`true`}
        and ${clinics.archivedAt} is null
        and not ${reconnected(sql`c2.added_at`)}
      order by c2.added_at, c2.clinic_id
      limit ${limit}
      for update of c2 skip locked
    )
    returning cc.clinic_id`);
  return rows.map((r) => r.clinic_id);
}

export async function markLinkFailed({ campaignId, clinicId, error }: { campaignId: string; clinicId: string; error: string }, db: DbOrTx): Promise<void> {
  await db
    .update(campaignClinics)
    .set({ linkSentAt: null, linkError: error })
    .where(and(eq(campaignClinics.campaignId, campaignId), eq(campaignClinics.clinicId, clinicId)));
}

/** How many still wait for a first send (failed ones are counted apart: they need a fix first). */
export async function countUnsent({ campaignId }: { campaignId: string }, db: DbOrTx): Promise<{ unsent: number; failed: number }> {
  const [row] = await db.execute<{ unsent: number; failed: number }>(sql`
    select (count(*) filter (where cc.link_error is null))::int as unsent, (count(*) filter (where cc.link_error is not null))::int as failed
    from ${campaignClinics} cc
    join ${connections} on ${connections.clinicId} = cc.clinic_id
    join ${clinics} on ${clinics.id} = cc.clinic_id
    where cc.campaign_id = ${campaignId} and cc.link_sent_at is null and ${clinics.archivedAt} is null
      and not ${reconnected(sql`cc.added_at`)}`);
  return { unsent: row?.unsent ?? 0, failed: row?.failed ?? 0 };
}

/** Counts per status for the whole campaign. */
export async function campaignCounts(
  { campaignId }: { campaignId: string },
  db: DbOrTx,
): Promise<Record<CampaignStatus, number> & { total: number; linksSent: number }> {
  const rows = await db
    .select({ status: campaignStatusSql, n: sql<number>`count(*)::int`, sent: sql<number>`count(${campaignClinics.linkSentAt})::int` })
    .from(campaignClinics)
    .innerJoin(campaigns, eq(campaigns.id, campaignClinics.campaignId))
    .innerJoin(connections, eq(connections.clinicId, campaignClinics.clinicId))
    .where(eq(campaignClinics.campaignId, campaignId))
    .groupBy(sql`1`);
  const out = { reconnected: 0, waiting: 0, failing: 0, past_deadline: 0, total: 0, linksSent: 0 };
  for (const r of rows) {
    out[r.status] = r.n;
    out.total += r.n;
    out.linksSent += r.sent;
  }
  return out;
}

/** One page of a campaign's clinics with their derived status, worst first. */
export async function listCampaignClinics(
  { campaignId, status, page = 1, pageSize = 100 }: { campaignId: string; status?: CampaignStatus; page?: number; pageSize?: number },
  db: DbOrTx,
) {
  const where = and(eq(campaignClinics.campaignId, campaignId), status ? sql`${campaignStatusSql} = ${status}` : undefined);
  const order = sql`array_position(array['past_deadline','failing','waiting','reconnected']::text[], ${campaignStatusSql})`;
  const base = db
    .select({
      clinicId: clinics.id,
      name: clinics.name,
      adminEmail: clinics.adminEmail,
      archivedAt: clinics.archivedAt,
      state: connections.state,
      failureCode: connections.failureCode,
      keyUpdatedAt: connections.keyUpdatedAt,
      addedAt: campaignClinics.addedAt,
      fromState: campaignClinics.fromState,
      linkSentAt: campaignClinics.linkSentAt,
      linkError: campaignClinics.linkError,
      // why: "sent" only when the delivery worker really sent it; the latest link email's status
      emailStatus: sql<NotificationStatus | null>`(select n.status from ${alertNotifications} n where n.clinic_id = ${clinics.id} and n.event = 'reconnect_link' order by n.created_at desc limit 1)`,
      emailRetrying: sql<boolean>`coalesce((select n.status = 'queued' and n.last_error is not null from ${alertNotifications} n where n.clinic_id = ${clinics.id} and n.event = 'reconnect_link' order by n.created_at desc limit 1), false)`,
      status: campaignStatusSql,
    })
    .from(campaignClinics)
    .innerJoin(campaigns, eq(campaigns.id, campaignClinics.campaignId))
    .innerJoin(clinics, eq(clinics.id, campaignClinics.clinicId))
    .innerJoin(connections, eq(connections.clinicId, campaignClinics.clinicId))
    .where(where);
  const [rows, [total]] = await Promise.all([
    base
      .orderBy(order, asc(clinics.name))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(campaignClinics)
      .innerJoin(campaigns, eq(campaigns.id, campaignClinics.campaignId))
      .innerJoin(connections, eq(connections.clinicId, campaignClinics.clinicId))
      .where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

/** The live campaigns a clinic is in (for the deadline on its page); cancelled ones ask nothing of it. */
export async function listCampaignsOfClinic({ clinicId }: { clinicId: string }, db: DbOrTx) {
  return db
    .select({ id: campaigns.id, name: campaigns.name, deadline: campaigns.deadline, addedAt: campaignClinics.addedAt, linkSentAt: campaignClinics.linkSentAt })
    .from(campaignClinics)
    .innerJoin(campaigns, eq(campaigns.id, campaignClinics.campaignId))
    .where(and(eq(campaignClinics.clinicId, clinicId), isNull(campaigns.cancelledAt)))
    .orderBy(asc(campaigns.deadline));
}

/** Clinic facts a link send needs. */
export async function clinicsForSend({ clinicIds }: { clinicIds: string[] }, db: DbOrTx) {
  if (clinicIds.length === 0) return [];
  return db
    .select({ clinicId: clinics.id, name: clinics.name, adminName: clinics.adminName, adminEmail: clinics.adminEmail, vendor: connections.vendor })
    .from(clinics)
    .innerJoin(connections, eq(connections.clinicId, clinics.id))
    .where(inArray(clinics.id, clinicIds));
}

/**
 * A campaign's members (all, or the given ones), connection rows locked in id order like
 * lockClinicsForCampaign, with whether another live (not cancelled) campaign also holds the clinic.
 */
export async function lockCampaignMembers({ campaignId, clinicIds }: { campaignId: string; clinicIds?: string[] }, tx: DbOrTx) {
  const other = sql<boolean>`exists (select 1 from ${campaignClinics} o join ${campaigns} oc on oc.id = o.campaign_id
    where o.clinic_id = ${campaignClinics.clinicId} and o.campaign_id <> ${campaignId} and oc.cancelled_at is null)`;
  return tx
    .select({
      clinicId: campaignClinics.clinicId,
      name: clinics.name,
      fromState: campaignClinics.fromState,
      connectionId: connections.id,
      state: connections.state,
      failureCode: connections.failureCode,
      inOtherCampaign: other,
    })
    .from(campaignClinics)
    .innerJoin(clinics, eq(clinics.id, campaignClinics.clinicId))
    .innerJoin(connections, eq(connections.clinicId, campaignClinics.clinicId))
    .where(and(eq(campaignClinics.campaignId, campaignId), clinicIds ? inArray(campaignClinics.clinicId, clinicIds) : undefined))
    .orderBy(asc(connections.id))
    .for("update", { of: connections });
}

export async function deleteCampaignClinic({ campaignId, clinicId }: { campaignId: string; clinicId: string }, tx: DbOrTx): Promise<boolean> {
  const rows = await tx
    .delete(campaignClinics)
    .where(and(eq(campaignClinics.campaignId, campaignId), eq(campaignClinics.clinicId, clinicId)))
    .returning({ clinicId: campaignClinics.clinicId });
  return rows.length > 0;
}

export async function markCampaignCancelled(
  { campaignId, by, reason, at }: { campaignId: string; by: string; reason: string | null; at: Date },
  tx: DbOrTx,
): Promise<void> {
  await tx.update(campaigns).set({ cancelledAt: at, cancelledBy: by, cancelReason: reason }).where(eq(campaigns.id, campaignId));
}

/**
 * Burn-down input: each member's day added and, when reconnected, the day its new key went in
 * (the same "reconnected" test as the counts), as UTC calendar days.
 */
export async function campaignMemberDays({ campaignId }: { campaignId: string }, db: DbOrTx) {
  return db
    .select({
      addedDay: sql<string>`to_char(${campaignClinics.addedAt} at time zone 'utc', 'YYYY-MM-DD')`,
      reconnectedDay: sql<string | null>`case when ${reconnected(sql`${campaignClinics.addedAt}`)}
        then to_char(${connections.keyUpdatedAt} at time zone 'utc', 'YYYY-MM-DD') end`,
    })
    .from(campaignClinics)
    .innerJoin(connections, eq(connections.clinicId, campaignClinics.clinicId))
    .where(eq(campaignClinics.campaignId, campaignId));
}
