import type { UserRole } from "../vocabulary.ts";

// why: roles nest — an admin can do everything an agent can, an agent everything a viewer can
const RANK: Record<UserRole, number> = { viewer: 0, agent: 1, admin: 2 };

export function hasRole(role: UserRole, minimum: UserRole): boolean {
  return RANK[role] >= RANK[minimum];
}

export const ROLE_DESCRIPTIONS: Record<UserRole, string> = {
  viewer: "Sees every clinic, alert and the audit log; changes nothing.",
  agent: "Works clinics: probes, reconnect links, notes, pauses, campaigns, adding clinics.",
  admin: "Everything an agent does, plus managing users and importing clinics from CSV.",
};
