import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import type { Db, DbOrTx } from "../client.ts";
import { users, type NewUser } from "../schema/index.ts";
import type { UserRole } from "../../domain/vocabulary.ts";

export async function findUserByEmail({ email }: { email: string }, db: Db) {
  const [row] = await db
    .select({ id: users.id, email: users.email, name: users.name, role: users.role, passwordHash: users.passwordHash, disabledAt: users.disabledAt })
    .from(users)
    .where(eq(users.email, email.trim().toLowerCase()));
  return row;
}

export async function findUserById({ id }: { id: string }, db: DbOrTx) {
  const [row] = await db
    .select({ id: users.id, email: users.email, name: users.name, role: users.role, disabledAt: users.disabledAt })
    .from(users)
    .where(eq(users.id, id));
  return row;
}

/** Inserts the user or, when the email exists, leaves it alone. Returns the stored row's id. */
export async function ensureUser(user: Omit<NewUser, "id" | "createdAt"> & { role: UserRole }, db: Db): Promise<string> {
  const [row] = await db
    .insert(users)
    .values({ ...user, email: user.email.toLowerCase() })
    .onConflictDoNothing({ target: users.email })
    .returning({ id: users.id });
  if (row) return row.id;
  const existing = await findUserByEmail({ email: user.email }, db);
  return existing!.id;
}

/** Inserts a new user (the caller checked the email is free); returns its id. */
export async function insertUser(user: Pick<NewUser, "email" | "name" | "passwordHash"> & { role: UserRole }, db: DbOrTx): Promise<string> {
  const [row] = await db.insert(users).values(user).returning({ id: users.id });
  return row!.id;
}

export async function listUsers(db: Db) {
  return db
    .select({ id: users.id, email: users.email, name: users.name, role: users.role, disabledAt: users.disabledAt, createdAt: users.createdAt })
    .from(users)
    .orderBy(asc(users.disabledAt), asc(users.email));
}

export async function updateUser(
  { id, set }: { id: string; set: Partial<Pick<NewUser, "role" | "disabledAt" | "passwordHash" | "name">> },
  db: DbOrTx,
): Promise<boolean> {
  const rows = await db.update(users).set(set).where(eq(users.id, id)).returning({ id: users.id });
  return rows.length > 0;
}

/**
 * Locks every active admin row (FOR UPDATE) and returns their ids. Two transactions that each
 * demote one of the last two admins serialise here; the second then re-reads the rows (READ
 * COMMITTED re-checks the WHERE on the locked rows) and sees only one admin left.
 */
export async function lockActiveAdmins(db: DbOrTx): Promise<string[]> {
  const rows = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, "admin"), isNull(users.disabledAt)))
    .orderBy(asc(users.id))
    .for("update");
  return rows.map((r) => r.id);
}

/** Names and emails of these users (timeline actors), in one query. */
export async function listUserNames({ ids }: { ids: readonly string[] }, db: Db): Promise<{ id: string; name: string; email: string }[]> {
  if (ids.length === 0) return [];
  return db
    .select({ id: users.id, name: users.name, email: users.email })
    .from(users)
    .where(inArray(users.id, [...ids]));
}
