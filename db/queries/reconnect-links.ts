import type { DbOrTx } from "../client.ts";
import type { ConnectionState } from "../../domain/vocabulary.ts";
import { and, eq, isNotNull, isNull, lt, sql } from "drizzle-orm";
import { clinics, connections, reconnectLinks, users } from "../schema/index.ts";

/**
 * Reads and writes for self-serve reconnect links. The orchestration (transactions, state
 * machine, audit) lives in domain/reconnect; these take a database or a transaction.
 */

/**
 * Revokes the clinic's links that are neither used nor revoked; returns how many. `supportLinksOnly`:
 * leave the links of action-needed emails alone (a new support link replaces only support's own).
 */
export async function revokeLiveLinks(
  { clinicId, now, supportLinksOnly = false }: { clinicId: string; now: Date; supportLinksOnly?: boolean },
  tx: DbOrTx,
): Promise<number> {
  const rows = await tx
    .update(reconnectLinks)
    .set({ revokedAt: now, ...NO_RETRY })
    .where(
      and(
        eq(reconnectLinks.clinicId, clinicId),
        isNull(reconnectLinks.usedAt),
        isNull(reconnectLinks.revokedAt),
        supportLinksOnly ? eq(reconnectLinks.forAlertEmail, false) : undefined,
      ),
    )
    .returning({ id: reconnectLinks.id });
  return rows.length;
}

export async function insertReconnectLink(
  values: {
    clinicId: string;
    connectionId: string;
    tokenHash: Buffer;
    purpose: string;
    createdBy: string;
    createdAt: Date;
    expiresAt: Date;
    forAlertEmail?: boolean;
  },
  tx: DbOrTx,
): Promise<{ id: string }> {
  const [row] = await tx.insert(reconnectLinks).values(values).returning({ id: reconnectLinks.id });
  return row!;
}

/**
 * One indexed lookup by token hash, with the only facts the public page may show. Always the same
 * query whatever the token, so an unknown token costs what a known one does.
 */
export async function findLinkByTokenHash({ tokenHash }: { tokenHash: Buffer }, db: DbOrTx) {
  const [row] = await db
    .select({
      id: reconnectLinks.id,
      clinicId: reconnectLinks.clinicId,
      connectionId: reconnectLinks.connectionId,
      purpose: reconnectLinks.purpose,
      expiresAt: reconnectLinks.expiresAt,
      usedAt: reconnectLinks.usedAt,
      revokedAt: reconnectLinks.revokedAt,
      clinicName: clinics.name,
      clinicArchivedAt: clinics.archivedAt,
      clinicTimeZone: clinics.timeZone,
      vendor: connections.vendor,
      region: connections.region,
      // why: a link no longer usable for a connection that works again gets "already fixed", not "invalid"
      connectionState: connections.state,
      connectionFirstFailureAt: connections.firstFailureAt,
    })
    .from(reconnectLinks)
    .innerJoin(clinics, eq(clinics.id, reconnectLinks.clinicId))
    .innerJoin(connections, eq(connections.id, reconnectLinks.connectionId))
    .where(eq(reconnectLinks.tokenHash, tokenHash));
  return row;
}

/** The link with its sealed retry key, locked: two submissions through one link never both succeed. */
export async function lockLink({ linkId }: { linkId: string }, tx: DbOrTx) {
  const [row] = await tx.select().from(reconnectLinks).where(eq(reconnectLinks.id, linkId)).for("update");
  return row;
}

/** The link's sealed retry key and where it was found to work, or null when there is none. */
export async function getRetryKey({ linkId }: { linkId: string }, db: DbOrTx) {
  const [row] = await db
    .select({
      ciphertext: reconnectLinks.retryKeyCiphertext,
      iv: reconnectLinks.retryKeyIv,
      tag: reconnectLinks.retryKeyTag,
      keyId: reconnectLinks.retryKeyId,
      region: reconnectLinks.retryRegion,
      apiVersion: reconnectLinks.retryApiVersion,
      expiresAt: reconnectLinks.retryExpiresAt,
    })
    .from(reconnectLinks)
    .where(eq(reconnectLinks.id, linkId));
  if (!row || !row.ciphertext || !row.iv || !row.tag || !row.keyId || !row.region || !row.apiVersion || !row.expiresAt) return null;
  return { ciphertext: row.ciphertext, iv: row.iv, tag: row.tag, keyId: row.keyId, region: row.region, apiVersion: row.apiVersion, expiresAt: row.expiresAt };
}

const NO_RETRY = {
  retryKeyCiphertext: null,
  retryKeyIv: null,
  retryKeyTag: null,
  retryKeyId: null,
  retryRegion: null,
  retryApiVersion: null,
  retryExpiresAt: null,
} as const;

export async function storeRetryKey(
  {
    linkId,
    sealed,
    region,
    apiVersion,
    expiresAt,
  }: { linkId: string; sealed: { ciphertext: Buffer; iv: Buffer; tag: Buffer; keyId: string }; region: string; apiVersion: string; expiresAt: Date },
  db: DbOrTx,
): Promise<void> {
  await db
    .update(reconnectLinks)
    .set({
      retryKeyCiphertext: sealed.ciphertext,
      retryKeyIv: sealed.iv,
      retryKeyTag: sealed.tag,
      retryKeyId: sealed.keyId,
      retryRegion: region,
      retryApiVersion: apiVersion,
      retryExpiresAt: expiresAt,
    })
    .where(and(eq(reconnectLinks.id, linkId), isNull(reconnectLinks.usedAt), isNull(reconnectLinks.revokedAt)));
}

export async function clearRetryKey({ linkId }: { linkId: string }, db: DbOrTx): Promise<void> {
  await db
    .update(reconnectLinks)
    .set(NO_RETRY)
    .where(and(eq(reconnectLinks.id, linkId), sql`${reconnectLinks.retryKeyCiphertext} is not null`));
}

export async function markLinkUsed({ linkId, now }: { linkId: string; now: Date }, tx: DbOrTx): Promise<void> {
  await tx
    .update(reconnectLinks)
    .set({ usedAt: now, ...NO_RETRY })
    .where(eq(reconnectLinks.id, linkId));
}

/** The connection as the success path needs it, locked for the rest of the transaction. */
export async function lockConnection({ connectionId }: { connectionId: string }, tx: DbOrTx) {
  const [row] = await tx
    .select({
      id: connections.id,
      clinicId: connections.clinicId,
      vendor: connections.vendor,
      region: connections.region,
      apiVersion: connections.apiVersion,
      state: connections.state,
      failureCode: connections.failureCode,
      consecutiveFailures: connections.consecutiveFailures,
      firstFailureAt: connections.firstFailureAt,
      stateChangedAt: connections.stateChangedAt,
      vendorAccount: connections.vendorAccount,
      visiblePatientCount: connections.visiblePatientCount,
      accountChangePreapproval: connections.accountChangePreapproval,
    })
    .from(connections)
    .where(eq(connections.id, connectionId))
    .for("update");
  return row;
}

/** A support user's email for the audit label; null for unknown ids. */
export async function findUserEmail({ userId }: { userId: string }, db: DbOrTx): Promise<string | null> {
  const [row] = await db.select({ email: users.email }).from(users).where(eq(users.id, userId));
  return row?.email ?? null;
}

/** Wipes sealed one-click-retry keys whose window has passed; returns how many. */
export async function wipeExpiredRetryKeys({ now }: { now: Date }, db: DbOrTx): Promise<number> {
  const wiped = await db
    .update(reconnectLinks)
    .set({ retryKeyCiphertext: null, retryKeyIv: null, retryKeyTag: null, retryKeyId: null, retryRegion: null, retryApiVersion: null, retryExpiresAt: null })
    .where(and(isNotNull(reconnectLinks.retryExpiresAt), lt(reconnectLinks.retryExpiresAt, now)))
    .returning({ id: reconnectLinks.id });
  return wiped.length;
}

/** Connections waiting in reconnect_pending with no usable link left (all expired, used or revoked). */
export async function listLapsedReconnects({ now }: { now: Date }, db: DbOrTx) {
  return db
    .select({ id: connections.id, clinicId: connections.clinicId, failureCode: connections.failureCode })
    .from(connections)
    .where(
      and(
        eq(connections.state, "reconnect_pending"),
        sql`not exists (select 1 from ${reconnectLinks} l where l.connection_id = ${connections.id}
              and l.used_at is null and l.revoked_at is null and l.expires_at > ${now.toISOString()})`,
      ),
    );
}

/** Moves a connection out of reconnect_pending, only if it is still there. True when moved. */
export async function leaveReconnectPending({ connectionId, to, now }: { connectionId: string; to: ConnectionState; now: Date }, tx: DbOrTx): Promise<boolean> {
  const [row] = await tx
    .update(connections)
    .set({ state: to, stateChangedAt: now, updatedAt: now })
    .where(and(eq(connections.id, connectionId), eq(connections.state, "reconnect_pending")))
    .returning({ id: connections.id });
  return Boolean(row);
}
