import { and, asc, count, eq, isNull } from "drizzle-orm";
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

export async function findUserById({ id }: { id: string }, db: Db) {
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

/** Active admins, so the last one cannot demote or disable themself into a locked console. */
export async function countActiveAdmins(db: DbOrTx): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users).where(and(eq(users.role, "admin"), isNull(users.disabledAt)));
  return row?.n ?? 0;
}
