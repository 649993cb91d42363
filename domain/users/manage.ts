import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { recordAudit } from "../../db/queries/audit.ts";
import { revokeUserSessions } from "../../db/queries/sessions.ts";
import { findUserByEmail, findUserById, insertUser, lockActiveAdmins, updateUser } from "../../db/queries/users.ts";
import { hashPassword } from "../auth/passwords.ts";
import { DomainError } from "../errors.ts";
import { USER_ROLES, type UserRole } from "../vocabulary.ts";

/** Who did it, as the audit log records it. */
export interface Actor {
  userId: string;
  label: string;
}

const PasswordSchema = z.string().min(12, "Use at least 12 characters").max(200, "Use at most 200 characters");

export const NewUserSchema = z.object({
  email: z.string().trim().toLowerCase().min(1, "Enter an email address").pipe(z.email("That is not an email address")),
  name: z.string().trim().min(1, "Enter a name").max(100),
  role: z.enum(USER_ROLES, "Pick a role"),
  password: PasswordSchema,
});
export type NewUserInput = z.infer<typeof NewUserSchema>;

export async function createUser({ input, actor }: { input: NewUserInput; actor: Actor | null }, db: Db): Promise<{ id: string }> {
  if (await findUserByEmail({ email: input.email }, db)) throw new DomainError(400, "A user with this email already exists.", { field: "email" });
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const id = await insertUser({ email: input.email, name: input.name, role: input.role, passwordHash }, tx);
    await recordAudit(
      {
        actorUserId: actor?.userId ?? null,
        actorLabel: actor?.label ?? "command line",
        action: "user.create",
        details: { userId: id, email: input.email, role: input.role },
      },
      tx,
    );
    return { id };
  });
}

/** Changes a role or disables/enables an account; never leaves the console without an active admin. */
export async function changeUser(
  { userId, change, actor }: { userId: string; change: { role: UserRole } | { disabled: boolean }; actor: Actor },
  db: Db,
): Promise<boolean> {
  if ("disabled" in change && change.disabled && userId === actor.userId) throw new DomainError(400, "You cannot disable your own account.");
  return db.transaction(async (tx) => {
    // why: a plain count in the writing transaction is not enough: two concurrent demotions of the
    // last two admins each counted two and both committed. Locking the admin rows first serialises
    // them, and the target is read after the lock, so the second sees the first's change
    const admins = await lockActiveAdmins(tx);
    const target = await findUserById({ id: userId }, tx);
    if (!target) return false;
    const losesAdmin = admins.includes(userId) && (("role" in change && change.role !== "admin") || ("disabled" in change && change.disabled));
    if (losesAdmin && admins.length <= 1) throw new DomainError(400, "This is the last active admin; make someone else admin first.");
    const set = "role" in change ? { role: change.role } : { disabledAt: change.disabled ? new Date() : null };
    await updateUser({ id: userId, set }, tx);
    const action = "role" in change ? "user.change_role" : change.disabled ? "user.disable" : "user.enable";
    // why: a disabled account or a new role must not keep riding a session signed in before the change
    if ("role" in change ? change.role !== target.role : change.disabled) await revokeUserSessions({ userId, reason: action }, tx);
    await recordAudit(
      {
        actorUserId: actor.userId,
        actorLabel: actor.label,
        action,
        details: { userId, email: target.email, ...("role" in change ? { from: target.role, to: change.role } : {}) },
      },
      tx,
    );
    return true;
  });
}
