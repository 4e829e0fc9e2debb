import type { OrgInit, SeatInit, TeamInit } from './fake-state.js';

/** Size and shape of a generated organization. */
export interface SyntheticOrgOptions {
  /** Organization login; `synthetic` when omitted. */
  login?: string;
  /** Number of members (logins `user-000001`, ...). */
  members: number;
  /** Number of teams; a fifth of them are children of another team. */
  teams: number;
  /** Number of Copilot seats, held by the first members. */
  seats: number;
  /** Direct members per team; 40 when omitted. */
  membersPerTeam?: number;
  /** Reference time for seat dates; 2025-06-15 when omitted, so runs are reproducible. */
  now?: Date;
}

/**
 * Generates a large, deterministic organization for benchmarks: every 50th member an admin, nested teams,
 * seats with a spread of activity dates, one in 20 pending cancellation and one in 10 assigned through a team.
 */
export function buildSyntheticOrg(options: SyntheticOrgOptions): OrgInit {
  const now = options.now ?? new Date('2025-06-15T12:00:00Z');
  const perTeam = options.membersPerTeam ?? 40;
  const login = (i: number): string => `user-${String(i + 1).padStart(6, '0')}`;
  const members = Array.from({ length: options.members }, (_, i) => ({
    login: login(i),
    role: i % 50 === 0 ? ('admin' as const) : ('member' as const),
  }));
  const teams: TeamInit[] = Array.from({ length: options.teams }, (_, t) => {
    const first = (t * perTeam) % Math.max(1, options.members);
    const teamMembers = Array.from({ length: Math.min(perTeam, options.members) }, (_, k) => login((first + k) % options.members));
    return {
      slug: `team-${String(t + 1).padStart(4, '0')}`,
      name: `Team ${String(t + 1).padStart(4, '0')}`,
      parent: t % 5 === 4 ? `team-${String(Math.floor(t / 5) + 1).padStart(4, '0')}` : null,
      members: teamMembers,
    };
  });
  const day = 24 * 60 * 60 * 1000;
  const seats: SeatInit[] = Array.from({ length: Math.min(options.seats, options.members) }, (_, i) => {
    const idleDays = (i * 7) % 120;
    const neverUsed = i % 17 === 0;
    const teamIndex = Math.floor((i % (options.teams * perTeam)) / perTeam);
    return {
      login: login(i),
      createdAt: new Date(now.getTime() - (200 + (i % 100)) * day).toISOString(),
      lastActivityAt: neverUsed ? null : new Date(now.getTime() - idleDays * day).toISOString(),
      lastActivityEditor: neverUsed ? null : 'vscode/1.98.0/copilot/1.270.0',
      lastAuthenticatedAt: neverUsed ? null : new Date(now.getTime() - idleDays * day).toISOString(),
      pendingCancellationDate: i % 20 === 7 ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 10) : null,
      assigningTeam: i % 10 === 3 && options.teams > 0 && teamIndex < options.teams ? teams[teamIndex]!.slug : null,
    };
  });
  return { login: options.login ?? 'synthetic', members, teams, seats };
}
