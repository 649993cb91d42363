import type { DbOrTx } from "../client.ts";
import { and, count, desc, eq, ilike, sql, type SQL } from "drizzle-orm";
import { auditLog, clinics, type NewAuditEntry } from "../schema/index.ts";

export async function recordAudit(entry: Omit<NewAuditEntry, "id" | "at">, db: DbOrTx): Promise<void> {
  await db.insert(auditLog).values(entry);
}

export async function recordAuditMany(entries: Omit<NewAuditEntry, "id" | "at">[], db: DbOrTx): Promise<void> {
  if (entries.length === 0) return;
  await db.insert(auditLog).values(entries);
}

export interface AuditFilters {
  /** An action, or an action family such as "clinic." (prefix match). */
  action?: string;
  /** Part of the actor's label (email). */
  actor?: string;
  clinicId?: string;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** One page of the audit log, newest first, with the clinic's name. */
export async function listAuditLog({ filters = {}, page = 1, pageSize = 50 }: { filters?: AuditFilters; page?: number; pageSize?: number }, db: DbOrTx) {
  const where: SQL[] = [];
  if (filters.action) where.push(filters.action.endsWith(".") ? ilike(auditLog.action, `${escapeLike(filters.action)}%`) : eq(auditLog.action, filters.action));
  if (filters.actor) where.push(ilike(auditLog.actorLabel, `%${escapeLike(filters.actor)}%`));
  if (filters.clinicId) where.push(eq(auditLog.clinicId, filters.clinicId));
  const condition = where.length ? and(...where) : undefined;
  const [rows, [totalRow]] = await Promise.all([
    db
      .select({
        id: auditLog.id,
        at: auditLog.at,
        actorLabel: auditLog.actorLabel,
        action: auditLog.action,
        clinicId: auditLog.clinicId,
        clinicName: clinics.name,
        details: auditLog.details,
      })
      .from(auditLog)
      .leftJoin(clinics, eq(clinics.id, auditLog.clinicId))
      .where(condition)
      .orderBy(desc(auditLog.at), desc(auditLog.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ n: count() }).from(auditLog).where(condition),
  ]);
  return { rows: rows.map((r) => ({ ...r, id: String(r.id) })), total: totalRow?.n ?? 0 };
}

/** The distinct actions recorded so far, for the audit page's filter. */
export async function listAuditActions(db: DbOrTx): Promise<string[]> {
  const rows = await db.execute<{ action: string }>(sql`select distinct action from ${auditLog} order by action limit 200`);
  return rows.map((r) => r.action);
}
