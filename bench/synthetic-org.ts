import { stringify } from 'yaml';
import type { CopilotSeat, OrgMember, OrgSnapshot, OrgTeam, SeatOverride } from '../src/domain/plan-types.js';
import { expandTeamMembers, indexTeams } from '../src/domain/planner/team-members.js';
import { policySchema } from '../src/domain/policy/policy-schema.js';
import type { Policy, PolicyInput } from '../src/domain/policy/policy-schema.js';

/** Sizes and seed of a synthetic organization. */
export interface SyntheticOrgOptions {
  /** PRNG seed; the same options always give the same organization. */
  seed?: number;
  /** Number of organization members. */
  members?: number;
  /** Number of teams, nested up to 4 levels. */
  teams?: number;
  /** Number of Copilot seats. */
  seats?: number;
  /** Roughly how many seat changes (adds + cancels) the policy should call for. */
  changes?: number;
  /** The `now` the organization is generated for (ISO 8601). */
  now?: string;
}

/** A synthetic organization ready to plan. */
export interface SyntheticOrg {
  /** Mirror snapshot. */
  snapshot: OrgSnapshot;
  /** The policy, validated. */
  policy: Policy;
  /** The same policy as `.github/copilot-policy.yml` text. */
  policyText: string;
  /** Manual overrides (some expired). */
  overrides: SeatOverride[];
  /** The time to plan at. */
  now: string;
  /** The member list is read whole (a full sync), as of `now`. */
  membership: { complete: true; asOf: string };
}

const DAY_MS = 86_400_000;

/** Default sizes: the scale the planner must handle in under a second. */
export const SYNTHETIC_ORG_DEFAULTS = {
  seed: 42,
  members: 100_000,
  teams: 500,
  seats: 60_000,
  changes: 5_000,
  now: '2025-06-30T12:00:00.000Z',
} as const;

// mulberry32: small, fast and good enough for test data.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function shuffle<T>(items: T[], next: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/**
 * Generates an organization whose policy calls for about `changes` seat changes, with nested
 * teams, team-assigned, inactive, never-used and pending-cancellation seats, and overrides.
 */
export function generateSyntheticOrg(options: SyntheticOrgOptions = {}): SyntheticOrg {
  const o = { ...SYNTHETIC_ORG_DEFAULTS, ...options };
  const next = random(o.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const nowMs = Date.parse(o.now);
  const at = (daysAgo: number) => new Date(nowMs - daysAgo * DAY_MS - Math.floor(next() * 3_600_000)).toISOString();

  // Some logins spelt with capitals, to keep case-insensitive matching honest.
  const members: OrgMember[] = Array.from({ length: o.members }, (_, i) => ({
    login: `${i % 7 === 0 ? 'Dev' : 'dev'}-${String(i).padStart(6, '0')}`,
    id: 10_000_000 + i,
    role: next() < 0.01 ? 'admin' : 'member',
  }));

  const teams: OrgTeam[] = [];
  const depth = new Map<string, number>();
  const topLevel = Math.max(1, Math.round(o.teams / 10));
  for (let i = 0; i < o.teams; i++) {
    const slug = `team-${String(i).padStart(4, '0')}`;
    let parent: OrgTeam | null = null;
    if (i >= topLevel) {
      const candidate = pick(teams);
      parent = (depth.get(candidate.slug) ?? 0) < 3 ? candidate : null;
    }
    teams.push({ slug, id: 1_000 + i, parentSlug: parent?.slug ?? null });
    depth.set(slug, parent === null ? 0 : (depth.get(parent.slug) ?? 0) + 1);
  }
  const memberships: Record<string, string[]> = Object.fromEntries(teams.map((t) => [t.slug, [] as string[]]));
  for (const m of members) {
    if (next() < 0.1) continue;
    memberships[pick(teams).slug]?.push(m.login);
    if (next() < 0.25) memberships[pick(teams).slug]?.push(m.login);
  }
  const special = { deny: 'contractors', exempt: 'leadership' };
  teams.push({ slug: special.deny, id: 900_001, parentSlug: null }, { slug: special.exempt, id: 900_002, parentSlug: null });
  memberships[special.deny] = Array.from({ length: Math.min(150, o.members) }, () => pick(members).login);

  const index = indexTeams({ teams, teamMemberships: memberships });
  const denied = new Set(expandTeamMembers(index, [special.deny]).keys());
  const denyUsers = Array.from({ length: 20 }, () => pick(members).login);
  for (const u of denyUsers) denied.add(u.toLowerCase());

  // Wanted seats pending cancellation (1 in 97 below) are re-added, so they count as adds.
  const adds = Math.max(0, Math.round(o.changes * 0.45 - o.seats / 97));
  const inactiveCancels = Math.round(o.changes * 0.1);
  const unwantedCancels = Math.round(o.changes * 0.45);
  // Unwanted seats that are team-assigned or pending cancellation are left alone, not changed.
  const unwantedLeftAlone = Math.round(unwantedCancels * 0.1);
  const targetWanted = Math.min(o.members - denied.size, o.seats - unwantedCancels - unwantedLeftAlone + adds);

  // Grant whole teams while they fit, then top up with individual users.
  const wanted = new Set<string>();
  const grantTeams: string[] = [];
  for (const team of shuffle(teams.filter((t) => t.slug !== special.deny && t.slug !== special.exempt), next)) {
    const gained = [...expandTeamMembers(index, [team.slug]).keys()].filter((l) => !denied.has(l) && !wanted.has(l));
    if (gained.length === 0 || wanted.size + gained.length > targetWanted) continue;
    grantTeams.push(team.slug);
    for (const l of gained) wanted.add(l);
    if (targetWanted - wanted.size < 50) break;
  }
  const byKey = new Map(members.map((m) => [m.login.toLowerCase(), m]));
  const grantUsers: string[] = [];
  for (const m of shuffle([...members], next)) {
    if (wanted.size >= targetWanted) break;
    const key = m.login.toLowerCase();
    if (wanted.has(key) || denied.has(key)) continue;
    wanted.add(key);
    grantUsers.push(key);
  }

  const wantedList = shuffle([...wanted].sort(), next);
  const seatedWanted = wantedList.slice(0, Math.max(0, wantedList.length - adds));
  const unwanted = shuffle(members.map((m) => m.login.toLowerCase()).filter((l) => !wanted.has(l)), next);
  const seatedUnwanted = unwanted.slice(0, Math.max(0, o.seats - seatedWanted.length));

  memberships[special.exempt] = seatedWanted.slice(0, 30).map((l) => byKey.get(l)?.login ?? l);

  const seats: CopilotSeat[] = [];
  const seat = (key: string, fields: Partial<CopilotSeat>): void => {
    const m = byKey.get(key);
    if (m === undefined) return;
    const neverUsed = next() < 0.08;
    const createdDaysAgo = neverUsed ? Math.floor(next() * 55) : 60 + Math.floor(next() * 640);
    const lastActivityAt = neverUsed ? null : at(Math.floor(next() * 59));
    seats.push({
      assigneeLogin: m.login,
      assigneeId: m.id,
      assigningTeamSlug: null,
      createdAt: at(createdDaysAgo),
      lastActivityAt,
      lastActivityEditor: lastActivityAt === null ? null : pick(['vscode/1.101.0', 'JetBrains-IC/2025.1', 'copilot-chat-platform']),
      lastAuthenticatedAt: lastActivityAt,
      pendingCancellationDate: null,
      planType: next() < 0.9 ? 'business' : 'enterprise',
      ...fields,
    });
  };
  const pendingDate = new Date(nowMs + 5 * DAY_MS).toISOString().slice(0, 10);
  const exempt = new Set(memberships[special.exempt]?.map((l) => l.toLowerCase()));
  let inactiveLeft = inactiveCancels;
  for (const [i, key] of seatedWanted.entries()) {
    if (exempt.has(key)) seat(key, { lastActivityAt: at(200) });
    else if (i % 17 === 0) seat(key, { assigningTeamSlug: pick(grantTeams.length > 0 ? grantTeams : [special.exempt]) });
    else if (inactiveLeft > 0 && i % 7 === 3) {
      inactiveLeft--;
      seat(key, next() < 0.3 ? { lastActivityAt: null, createdAt: at(61 + Math.floor(next() * 300)) } : { lastActivityAt: at(61 + Math.floor(next() * 300)) });
    } else if (i % 97 === 0) seat(key, { pendingCancellationDate: pendingDate });
    else seat(key, {});
  }
  for (const [i, key] of seatedUnwanted.entries()) {
    if (i % 20 === 0) seat(key, { assigningTeamSlug: pick(teams).slug });
    else if (i % 20 === 1) seat(key, { pendingCancellationDate: pendingDate });
    else seat(key, {});
  }

  const overrides: SeatOverride[] = [];
  for (let i = 0; i < 50; i++) {
    const kind = i % 2 === 0 ? 'grant' : 'revoke';
    const target = kind === 'grant' ? pick(unwanted) : pick(seatedWanted);
    overrides.push({
      id: `ovr-${i}`,
      login: byKey.get(target)?.login ?? target,
      userId: byKey.get(target)?.id ?? null,
      kind,
      actor: 'octo-admin',
      reason: 'synthetic',
      expiresAt: i % 5 === 0 ? at(1) : i % 5 === 1 ? new Date(nowMs + 30 * DAY_MS).toISOString() : null,
      createdAt: at(10),
    });
  }

  const policyInput = {
    version: 1,
    mode: 'enforce',
    seats: {
      grant: { teams: grantTeams.sort(), users: grantUsers.sort() },
      deny: { teams: [special.deny], users: [...new Set(denyUsers)].sort() },
      max: o.seats + adds + 1_000,
    },
    inactivity: { revoke_after_days: 60, exempt: { teams: [special.exempt], users: [] } },
    budget: { monthly_limit_usd: Math.round(o.seats * 19 * 1.1) },
    schedule: '0 */6 * * *',
    commands: { teams: [special.exempt], repositories: ['.github'] },
  } satisfies PolicyInput;

  return {
    snapshot: {
      org: 'synthetic-corp',
      members,
      teams,
      teamMemberships: memberships,
      seats: shuffle(seats, next),
      billing: { seatManagementSetting: 'assign_selected' },
    },
    policy: policySchema.parse(policyInput),
    policyText: stringify(policyInput),
    overrides,
    now: o.now,
    membership: { complete: true, asOf: o.now },
  };
}
