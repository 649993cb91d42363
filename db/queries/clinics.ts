import { and, asc, count, desc, eq, ilike, isNull, or, sql, type SQL } from "drizzle-orm";
import type { ConnectionState } from "../../domain/health/states.ts";
import type { FailureCode } from "../../domain/health/taxonomy.ts";
import type { Db } from "../client.ts";
import { clinics, connectionEvents, connections } from "../schema/index.ts";

export interface ClinicListFilters {
  state?: ConnectionState;
  failureCode?: FailureCode;
  q?: string;
}

export interface ClinicListRow {
  id: string;
  name: string;
  vendor: string | null;
  region: string | null;
  state: ConnectionState | null;
  failureCode: FailureCode | null;
  lastProbeAt: Date | null;
  lastSuccessAt: Date | null;
  firstFailureAt: Date | null;
  visiblePatientCount: number | null;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** One page of active clinics with their connection, newest problems first by default. */
export async function listClinics(
  { filters = {}, page = 1, pageSize = 50 }: { filters?: ClinicListFilters; page?: number; pageSize?: number },
  db: Db,
): Promise<{ rows: ClinicListRow[]; total: number }> {
  const where: SQL[] = [isNull(clinics.archivedAt)];
  if (filters.state) where.push(eq(connections.state, filters.state));
  if (filters.failureCode) where.push(eq(connections.failureCode, filters.failureCode));
  if (filters.q) {
    const pattern = `%${escapeLike(filters.q)}%`;
    where.push(or(ilike(clinics.name, pattern), ilike(clinics.adminEmail, pattern))!);
  }
  const condition = and(...where);
  const [rows, [totalRow]] = await Promise.all([
    db
      .select({
        id: clinics.id,
        name: clinics.name,
        vendor: connections.vendor,
        region: connections.region,
        state: connections.state,
        failureCode: connections.failureCode,
        lastProbeAt: connections.lastProbeAt,
        lastSuccessAt: connections.lastSuccessAt,
        firstFailureAt: connections.firstFailureAt,
        visiblePatientCount: connections.visiblePatientCount,
      })
      .from(clinics)
      .leftJoin(connections, eq(connections.clinicId, clinics.id))
      .where(condition)
      .orderBy(sql`${connections.firstFailureAt} asc nulls last`, asc(clinics.name), asc(clinics.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ n: count() }).from(clinics).leftJoin(connections, eq(connections.clinicId, clinics.id)).where(condition),
  ]);
  return { rows, total: totalRow?.n ?? 0 };
}

export async function getClinic({ clinicId }: { clinicId: string }, db: Db) {
  const [row] = await db
    .select({
      clinic: clinics,
      connection: {
        id: connections.id,
        vendor: connections.vendor,
        region: connections.region,
        apiVersion: connections.apiVersion,
        keyHint: connections.keyHint,
        state: connections.state,
        failureCode: connections.failureCode,
        failureEvidence: connections.failureEvidence,
        suggestedRegion: connections.suggestedRegion,
        visiblePatientCount: connections.visiblePatientCount,
        vendorUserName: connections.vendorUserName,
        vendorUserRole: connections.vendorUserRole,
        lastProbeAt: connections.lastProbeAt,
        lastSuccessAt: connections.lastSuccessAt,
        firstFailureAt: connections.firstFailureAt,
        consecutiveFailures: connections.consecutiveFailures,
      },
    })
    .from(clinics)
    .leftJoin(connections, eq(connections.clinicId, clinics.id))
    .where(eq(clinics.id, clinicId));
  return row;
}

export async function listTimeline(
  { clinicId, page = 1, pageSize = 25 }: { clinicId: string; page?: number; pageSize?: number },
  db: Db,
) {
  const [rows, [totalRow]] = await Promise.all([
    db
      .select({
        id: connectionEvents.id,
        at: connectionEvents.at,
        kind: connectionEvents.kind,
        fromState: connectionEvents.fromState,
        toState: connectionEvents.toState,
        failureCode: connectionEvents.failureCode,
        httpStatus: connectionEvents.httpStatus,
        vendorMessage: connectionEvents.vendorMessage,
        probeId: connectionEvents.probeId,
        actor: connectionEvents.actor,
        message: connectionEvents.message,
      })
      .from(connectionEvents)
      .where(eq(connectionEvents.clinicId, clinicId))
      .orderBy(desc(connectionEvents.at), desc(connectionEvents.id))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ n: count() }).from(connectionEvents).where(eq(connectionEvents.clinicId, clinicId)),
  ]);
  return { rows, total: totalRow?.n ?? 0 };
}
