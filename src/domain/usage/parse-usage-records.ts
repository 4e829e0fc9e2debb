import { z } from 'zod';

/** Which of GitHub's daily reports a record belongs to. */
export type UsageReportKind = 'organization' | 'users' | 'user_teams';

/** The numbers every collected usage row carries. */
export interface UsageCounts {
  /** `user_initiated_interaction_count`: prompts and chat turns a person started. */
  interactions: number;
  /** `code_generation_activity_count`: suggestions and edits Copilot produced. */
  codeGenerations: number;
  /** `code_acceptance_activity_count`: of those, the ones accepted. */
  codeAcceptances: number;
  /** `loc_suggested_to_add_sum`. */
  locSuggested: number;
  /** `loc_added_sum`. */
  locAdded: number;
}

/** One person's day, from the users report. */
export interface UserUsageRecord extends UsageCounts {
  userId: number;
  login: string;
  day: string;
  usedChat: boolean;
  usedAgent: boolean;
  /** The editor with the most code generation that day, or null when the report names none. */
  ide: string | null;
}

/** The organization's day, from the organization report. */
export interface OrgUsageRecord extends UsageCounts {
  day: string;
  dailyActiveUsers: number | null;
  weeklyActiveUsers: number | null;
  monthlyActiveUsers: number | null;
  /** `totals_by_ide`, kept as GitHub sent it. */
  byIde: unknown[] | null;
  /** `totals_by_feature`, kept as GitHub sent it. */
  byFeature: unknown[] | null;
}

/** One (user, team) pair of a day, from the user-teams report. */
export interface UserTeamRecord {
  userId: number;
  login: string;
  day: string;
  teamId: number | null;
  slug: string;
}

/** A report line that is not what GitHub documents: the whole day is refused, never stored in part. */
export class UsageRecordError extends Error {
  override name = 'UsageRecordError';
  constructor(
    readonly report: UsageReportKind,
    readonly line: number,
    message: string,
  ) {
    super(`${report} report, line ${line}: ${message}`);
  }
}

const count = z.number().int().nonnegative();
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a YYYY-MM-DD day');
// GitHub writes ids as numbers, and some ids (enterprise_id) as strings: accept both for user ids.
const id = z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]);

// Unknown fields are tolerated (z.object strips them): GitHub adds fields to these reports often.
const counts = {
  user_initiated_interaction_count: count.default(0),
  code_generation_activity_count: count.default(0),
  code_acceptance_activity_count: count.default(0),
  loc_suggested_to_add_sum: count.default(0),
  loc_added_sum: count.default(0),
};

const ideTotals = z.object({ ide: z.string(), code_generation_activity_count: count.default(0), user_initiated_interaction_count: count.default(0) });

const userSchema = z.object({
  user_id: id,
  user_login: z.string().min(1),
  day,
  ...counts,
  used_chat: z.boolean().default(false),
  used_agent: z.boolean().default(false),
  totals_by_ide: z.array(ideTotals.loose()).default([]),
});

const activeUsers = z.number().int().nonnegative().nullable().optional();
const orgSchema = z.object({
  day,
  daily_active_users: activeUsers,
  weekly_active_users: activeUsers,
  monthly_active_users: activeUsers,
  ...counts,
  totals_by_ide: z.array(z.unknown()).optional(),
  totals_by_feature: z.array(z.unknown()).optional(),
});

const userTeamSchema = z.object({
  user_id: id,
  user_login: z.string().min(1),
  day,
  team_id: id.nullable().optional(),
  slug: z.string().min(1),
});

function parseJson(report: UsageReportKind, line: number, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageRecordError(report, line, `not JSON (${(error as Error).message})`);
  }
}

function validated<T extends z.ZodType>(schema: T, report: UsageReportKind, line: number, text: string, expectedDay: string): z.output<T> {
  const result = schema.safeParse(parseJson(report, line, text));
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ');
    throw new UsageRecordError(report, line, problems);
  }
  const parsed = result.data as { day: string };
  if (parsed.day !== expectedDay) throw new UsageRecordError(report, line, `record of ${parsed.day} in the report of ${expectedDay}`);
  return result.data;
}

function countsOf(r: z.output<typeof userSchema> | z.output<typeof orgSchema>): UsageCounts {
  return {
    interactions: r.user_initiated_interaction_count,
    codeGenerations: r.code_generation_activity_count,
    codeAcceptances: r.code_acceptance_activity_count,
    locSuggested: r.loc_suggested_to_add_sum,
    locAdded: r.loc_added_sum,
  };
}

/** The editor a person used most that day: most code generation, then most interactions, then name. */
function mainIde(totals: z.output<typeof ideTotals>[]): string | null {
  let best: z.output<typeof ideTotals> | undefined;
  for (const t of totals) {
    if (
      best === undefined ||
      t.code_generation_activity_count > best.code_generation_activity_count ||
      (t.code_generation_activity_count === best.code_generation_activity_count && t.user_initiated_interaction_count > best.user_initiated_interaction_count)
    ) {
      best = t;
    }
  }
  return best?.ide ?? null;
}

/** Parses one line of a users report of `expectedDay` (1-based `line` for the error). */
export function parseUserUsageLine(text: string, line: number, expectedDay: string): UserUsageRecord {
  const r = validated(userSchema, 'users', line, text, expectedDay);
  return { userId: r.user_id, login: r.user_login, day: r.day, ...countsOf(r), usedChat: r.used_chat, usedAgent: r.used_agent, ide: mainIde(r.totals_by_ide) };
}

/** Parses one line of an organization report of `expectedDay`. */
export function parseOrgUsageLine(text: string, line: number, expectedDay: string): OrgUsageRecord {
  const r = validated(orgSchema, 'organization', line, text, expectedDay);
  return {
    day: r.day,
    dailyActiveUsers: r.daily_active_users ?? null,
    weeklyActiveUsers: r.weekly_active_users ?? null,
    monthlyActiveUsers: r.monthly_active_users ?? null,
    ...countsOf(r),
    byIde: r.totals_by_ide ?? null,
    byFeature: r.totals_by_feature ?? null,
  };
}

/** Parses one line of a user-teams report of `expectedDay`. */
export function parseUserTeamLine(text: string, line: number, expectedDay: string): UserTeamRecord {
  const r = validated(userTeamSchema, 'user_teams', line, text, expectedDay);
  return { userId: r.user_id, login: r.user_login, day: r.day, teamId: r.team_id ?? null, slug: r.slug };
}

/** A team's day: the users report joined with the user-teams report on the user id. */
export interface TeamUsage extends UsageCounts {
  slug: string;
  teamId: number | null;
  /** Members of the team who appear in the day's users report. */
  activeUsers: number;
}

/**
 * Adds one person's day to the totals of every team they belong to that day (GitHub's documented
 * recipe: join user-teams with users on the user, aggregate per team). A person in two teams
 * counts fully in both; a team of people without activity gets no row.
 */
export function addToTeams(teams: Map<string, TeamUsage>, memberships: readonly Pick<UserTeamRecord, 'slug' | 'teamId'>[], user: UsageCounts): void {
  for (const m of memberships) {
    const key = m.slug.toLowerCase();
    const team = teams.get(key) ?? { slug: m.slug, teamId: m.teamId, activeUsers: 0, interactions: 0, codeGenerations: 0, codeAcceptances: 0, locSuggested: 0, locAdded: 0 };
    team.activeUsers += 1;
    team.interactions += user.interactions;
    team.codeGenerations += user.codeGenerations;
    team.codeAcceptances += user.codeAcceptances;
    team.locSuggested += user.locSuggested;
    team.locAdded += user.locAdded;
    teams.set(key, team);
  }
}
