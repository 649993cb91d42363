import { eq } from "drizzle-orm";
import type { Db } from "../client.ts";
import { users, type NewUser, type UserRole } from "../schema/index.ts";

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
