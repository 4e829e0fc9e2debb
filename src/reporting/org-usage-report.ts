import type { Kysely } from 'kysely';
import { readStoredPolicy } from '../db/policies.js';
import type { Database } from '../db/schema.js';
import {
  type DayRange,
  readCollectionStatus,
  readCollectionStatuses,
  readGrantOverrideSeats,
  readInactiveSeats,
  readOrgUsageDays,
  readSeatCounts,
  readSeatSnapshots,
  readTeamMemberIds,
  readTeamSeats,
  readTeamTree,
  readTeamUsageDays,
  readUserActiveDays,
} from '../db/usage-queries.js';
import type { Policy } from '../domain/policy/policy-schema.js';
import { addSeatsByPlan } from '../domain/usage/seat-cost.js';
import { DAILY_USE_WINDOW_DAYS, usesDaily } from '../domain/usage/recommendations.js';
import { DEFAULT_INACTIVE_AFTER_DAYS, inactiveCutoff } from '../domain/usage/seat-activity.js';
import { withChildTeams } from '../domain/usage/team-tree.js';
import { addDays, dayOf } from '../domain/usage/usage-days.js';
import { type CollectionStatus, type ReportPolicy, type SeatSummary, type UsageReport, buildUsageReport, summarizeSeats } from '../domain/usage/usage-report.js';
import { type Granularity, type SeriesPoint, usageSeries } from '../domain/usage/usage-series.js';
import { type TeamUtilization, rankTeams } from '../domain/usage/utilization.js';

/** Days of seat snapshots the forecast is made from. */
export const FORECAST_HISTORY_DAYS = 90;

/** The policy settings usage numbers depend on: price, inactivity threshold, budget. */
export function reportPolicy(policy: Policy | null): ReportPolicy {
  const days = policy?.inactivity?.revoke_after_days;
  return {
    fixedPriceUsd: policy?.budget?.seat_price_usd ?? null,
    inactiveAfterDays: days ?? DEFAULT_INACTIVE_AFTER_DAYS,
    inactiveAfterSource: days === undefined ? 'default' : 'policy',
    monthlyLimitUsd: policy?.budget?.monthly_limit_usd ?? null,
  };
}

/** The usage window of a report: the 28 days before today (UTC); the last ones may not be collected yet. */
export function reportWindow(now: Date): DayRange {
  const to = addDays(dayOf(now), -1);
  return { from: addDays(to, -(DAILY_USE_WINDOW_DAYS - 1)), to };
}

/**
 * An organization's usage report, read from the database: what `GET /orgs/{org}/report`,
 * `/insights`, `/copilot report` and the `ceos/compliance` check show. `policy` is the stored
 * policy (read when not given).
 */
export async function loadOrgUsageReport(db: Kysely<Database>, org: string, orgLogin: string, now: Date, policy?: Policy | null): Promise<UsageReport> {
  const effective = policy !== undefined ? policy : ((await readStoredPolicy(db, org))?.policy ?? null);
  const settings = reportPolicy(effective);
  const cutoff = inactiveCutoff(now, settings.inactiveAfterDays);
  const window = reportWindow(now);
  const exemptTeams = effective?.inactivity?.exempt?.teams ?? [];
  const grantTeams = effective?.seats.grant.teams ?? [];
  const [collection, counts, teams, inactive, tree, overrideSeats, snapshots, usage] = await Promise.all([
    readCollectionStatus(db, org),
    readSeatCounts(db, org, cutoff),
    readTeamSeats(db, org, cutoff),
    readInactiveSeats(db, org, cutoff),
    readTeamTree(db, org),
    readGrantOverrideSeats(db, org, now),
    readSeatSnapshots(db, [org], { from: addDays(dayOf(now), -FORECAST_HISTORY_DAYS), to: dayOf(now) }),
    readOrgUsageDays(db, [org], window),
  ]);
  const [exemptIds, grantIds] = await Promise.all([
    readTeamMemberIds(db, org, withChildTeams(tree, exemptTeams)),
    readTeamMemberIds(db, org, withChildTeams(tree, grantTeams)),
  ]);

  const exemptUsers = new Set((effective?.inactivity?.exempt?.users ?? []).map((l) => l.toLowerCase()));
  const cancellable = { byPlan: {} as Record<string, number>, viaTeam: 0, exempt: 0, pending: 0 };
  for (const seat of inactive) {
    if (exemptUsers.has(seat.loginKey) || exemptIds.has(seat.userId)) cancellable.exempt++;
    else if (seat.pendingCancellation) cancellable.pending++;
    else {
      cancellable.byPlan[seat.planType] = (cancellable.byPlan[seat.planType] ?? 0) + 1;
      if (seat.assigningTeamSlug !== null) cancellable.viaTeam++;
    }
  }

  // Override holders the policy itself does not grant, and which of them use Copilot daily.
  const grantUsers = new Set((effective?.seats.grant.users ?? []).map((l) => l.toLowerCase()));
  const overrideOnly = overrideSeats.filter((s) => !grantUsers.has(s.loginKey) && !grantIds.has(s.userId));
  const usageDays = usage.get(org) ?? [];
  const daysWithData = usageDays.filter((d) => d.status === 'data').length;
  const activeDays = await readUserActiveDays(
    db,
    org,
    overrideOnly.map((s) => s.userId),
    window,
  );
  const overrideDailyUsers = overrideOnly
    .filter((s) => usesDaily(activeDays.get(s.userId) ?? 0, daysWithData))
    .map((s) => s.login)
    .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));

  return buildUsageReport({
    org: orgLogin,
    now,
    policy: settings,
    collection,
    heldByPlan: counts.heldByPlan,
    inactiveByPlan: counts.inactiveByPlan,
    pendingCancellation: counts.pendingCancellation,
    cancellable,
    teams,
    seatHistory: (snapshots.get(org) ?? []).map((s) => ({ day: s.day, value: s.total })),
    usage: { ...window, days: usageDays },
    overrideDailyUsers,
    overrideHolders: overrideOnly.length,
  });
}

/** What a series is asked for. */
export interface SeriesQuery extends DayRange {
  granularity: Granularity;
  /** A team's usage (GitHub's user-teams report for that team) instead of the organization's; no seats. */
  team?: string;
}

/** An organization's (or one team's) usage and seats over a range, by day, week or month. */
export async function loadUsageSeries(db: Kysely<Database>, org: string, query: SeriesQuery, policy?: Policy | null): Promise<SeriesPoint[]> {
  const effective = policy !== undefined ? policy : ((await readStoredPolicy(db, org))?.policy ?? null);
  const range = { from: query.from, to: query.to };
  if (query.team !== undefined) {
    const usage = await readTeamUsageDays(db, org, query.team, range);
    return usageSeries({ ...range, granularity: query.granularity, usage, seats: [], fixedPriceUsd: reportPolicy(effective).fixedPriceUsd });
  }
  const [usage, seats] = await Promise.all([readOrgUsageDays(db, [org], range), readSeatSnapshots(db, [org], range)]);
  return usageSeries({ ...range, granularity: query.granularity, usage: usage.get(org) ?? [], seats: seats.get(org) ?? [], fixedPriceUsd: reportPolicy(effective).fixedPriceUsd });
}

/** Teams ranked by utilization (lowest first), each with its cost and wasted spend: the dashboard's team table. */
export async function loadTeamRanking(db: Kysely<Database>, org: string, now: Date, policy?: Policy | null): Promise<TeamUtilization[]> {
  const effective = policy !== undefined ? policy : ((await readStoredPolicy(db, org))?.policy ?? null);
  const settings = reportPolicy(effective);
  const cutoff = inactiveCutoff(now, settings.inactiveAfterDays);
  const [teams, counts] = await Promise.all([readTeamSeats(db, org, cutoff), readSeatCounts(db, org, cutoff)]);
  return rankTeams(teams, settings.fixedPriceUsd, addSeatsByPlan(counts.heldByPlan));
}

/** An organization's seats, cost, waste and collection status now. */
export interface OrgSeatSummary extends SeatSummary {
  org: string;
  /** Login as GitHub spells it. */
  login: string;
  collection: CollectionStatus;
}

/** Seats, cost and waste of several organizations, each by its own policy: `GET /usage` and the dashboard's list of organizations. */
export async function loadOrgSeatSummaries(db: Kysely<Database>, orgs: readonly { org: string; login: string }[], now: Date): Promise<OrgSeatSummary[]> {
  const statuses = await readCollectionStatuses(
    db,
    orgs.map((o) => o.org),
  );
  return Promise.all(
    orgs.map(async ({ org, login }) => {
      const settings = reportPolicy((await readStoredPolicy(db, org))?.policy ?? null);
      const counts = await readSeatCounts(db, org, inactiveCutoff(now, settings.inactiveAfterDays));
      return { org, login, collection: statuses.get(org)!, ...summarizeSeats(counts.heldByPlan, counts.inactiveByPlan, counts.pendingCancellation, settings) };
    }),
  );
}
