import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client.ts";
import { sessions, users, type SessionFlash } from "../schema/index.ts";

export async function insertSession({ id, userId, now, expiresAt }: { id: string; userId: string; now: Date; expiresAt: Date }, db: Db): Promise<void> {
  await db.insert(sessions).values({ id, userId, createdAt: now, lastSeenAt: now, expiresAt });
}

/**
 * The session and its user when it is still live at `now`: not revoked, before its absolute expiry,
 * seen within `idleSeconds`, and its user not disabled. Anything else is no session.
 */
export async function findLiveSession({ id, now, idleSeconds }: { id: string; now: Date; idleSeconds: number }, db: Db) {
  const [row] = await db
    .select({
      lastSeenAt: sessions.lastSeenAt,
      // why: the flash is taken (a write) only when there is one, not on every page
      hasFlash: sql<boolean>`${sessions.flash} is not null`,
      user: { id: users.id, email: users.email, name: users.name, role: users.role },
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.id, id),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
        gt(sessions.lastSeenAt, new Date(now.getTime() - idleSeconds * 1000)),
        isNull(users.disabledAt),
      ),
    );
  return row;
}

/** Moves the idle clock on; the caller throttles it, so most requests write nothing. */
export async function touchSession({ id, now }: { id: string; now: Date }, db: Db): Promise<void> {
  await db
    .update(sessions)
    .set({ lastSeenAt: now })
    .where(and(eq(sessions.id, id), isNull(sessions.revokedAt), lt(sessions.lastSeenAt, now)));
}

export async function revokeSession({ id, reason, now = new Date() }: { id: string; reason: string; now?: Date }, db: DbOrTx): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)));
}

/** Ends every live session of a user (disabled, role changed); returns how many. */
export async function revokeUserSessions({ userId, reason, now = new Date() }: { userId: string; reason: string; now?: Date }, db: DbOrTx): Promise<number> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length;
}

export async function setSessionFlash({ id, flash }: { id: string; flash: SessionFlash }, db: Db): Promise<void> {
  await db.update(sessions).set({ flash }).where(eq(sessions.id, id));
}

/** Reads and clears the flash in one statement, so two concurrent page loads show it once. */
export async function takeSessionFlash({ id }: { id: string }, db: Db): Promise<SessionFlash | null> {
  const rows = await db.execute<{ flash: SessionFlash }>(sql`
    with taken as (select id, flash from sessions where id = ${id} and flash is not null for update)
    update sessions s set flash = null from taken where s.id = taken.id returning taken.flash`);
  return rows[0]?.flash ?? null;
}

/** Drops sessions that ended (expired, idle or revoked) more than a day ago. */
export async function sweepSessions({ now = new Date(), idleSeconds }: { now?: Date; idleSeconds: number }, db: Db): Promise<number> {
  const dayAgo = new Date(now.getTime() - 24 * 3600_000);
  const rows = await db
    .delete(sessions)
    .where(or(lt(sessions.expiresAt, dayAgo), lt(sessions.revokedAt, dayAgo), lt(sessions.lastSeenAt, new Date(dayAgo.getTime() - idleSeconds * 1000))))
    .returning({ id: sessions.id });
  return rows.length;
}
