import type { Db } from "../client.ts";
import { auditLog, type NewAuditEntry } from "../schema/index.ts";

export async function recordAudit(entry: Omit<NewAuditEntry, "id" | "at">, db: Db): Promise<void> {
  await db.insert(auditLog).values(entry);
}
