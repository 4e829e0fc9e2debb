import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Installation } from '../db/installations.js';
import type { StoredPolicy } from '../db/policies.js';
import type { Database } from '../db/schema.js';
import { readCollectionStatus, readOrgUsageDays, readSeatCounts, readSeatSnapshots, readTeamSeats } from '../db/usage-queries.js';
import { type SeatForecast, forecastSeats } from '../domain/usage/forecast.js';
import { DEFAULT_INACTIVE_AFTER_DAYS, idleDays, inactiveCutoff } from '../domain/usage/seat-activity.js';
import { type PriceSource, costArithmetic, costOfSeats } from '../domain/usage/seat-cost.js';
import type { CollectionStatus } from '../domain/usage/usage-report.js';
import { type TeamUtilization, rankTeams, utilization } from '../domain/usage/utilization.js';
import { type OrgPageRows, readOrgPage, readPolicies } from './dashboard-reads.js';
import { type SeatSeries, type UsageChartSeries, seatSeries, usageChartSeries } from './seat-series.js';

/** An organization's seats, cost and utilization now, as the overview lists them. */
export interface OrgSummary {
  /** Organization key (lower-cased). */
  org: string;
  /** Login as GitHub spells it. */
  login: string;
  status: Installation['status'];
  held: number;
  active: number;
  inactive: number;
  pendingCancellation: number;
  /** active ÷ held as a whole percentage; null with no seats. */
  utilizationPercent: number | null;
  monthlyCostUsd: number;
  wastedUsd: number;
  priceSource: PriceSource;
  costArithmetic: string;
  wasteArithmetic: string;
  /** Days idle after which a seat is inactive (the policy's `inactivity.revoke_after_days`, else 30). */
  inactiveAfterDays: number;
}

/** The policy's settings the numbers depend on. */
function pricing(policy: StoredPolicy | undefined) {
  return {
    fixedPriceUsd: policy?.policy?.budget?.seat_price_usd ?? null,
    inactiveAfterDays: policy?.policy?.inactivity?.revoke_after_days ?? DEFAULT_INACTIVE_AFTER_DAYS,
  };
}

async function summarize(db: Kysely<Database>, installation: Installation, policy: StoredPolicy | undefined, now: Date): Promise<OrgSummary> {
  const { fixedPriceUsd, inactiveAfterDays } = pricing(policy);
  const counts = await readSeatCounts(db, installation.org, inactiveCutoff(now, inactiveAfterDays));
  const cost = costOfSeats(counts.heldByPlan, fixedPriceUsd);
  const waste = costOfSeats(counts.inactiveByPlan, fixedPriceUsd, counts.heldByPlan);
  const use = utilization(cost.seats, waste.seats);
  return {
    org: installation.org,
    login: installation.account_login,
    status: installation.status,
    held: use.held,
    active: use.active,
    inactive: use.inactive,
    pendingCancellation: counts.pendingCancellation,
    utilizationPercent: use.percent,
    monthlyCostUsd: cost.monthlyUsd,
    wastedUsd: waste.monthlyUsd,
    priceSource: cost.priceSource,
    costArithmetic: costArithmetic(cost),
    wasteArithmetic: costArithmetic(waste),
    inactiveAfterDays,
  };
}

/** The overview of every organization given: one summary each, in the order given. */
export async function loadOrgSummaries(db: Kysely<Database>, installations: readonly Installation[], now: Date): Promise<OrgSummary[]> {
  const policies = await readPolicies(db, installations.map((i) => i.org));
  return Promise.all(installations.map((i) => summarize(db, i, policies.get(i.org), now)));
}

/** An inactive seat as the page's table shows it. */
export interface InactiveSeatRow {
  login: string;
  lastActivityAt: string | null;
  idleDays: number;
  assigningTeam: string | null;
  pendingCancellation: string | null;
}

/** Everything the organization page shows. */
export interface OrgPageData extends Omit<OrgPageRows, 'policy' | 'usage'> {
  summary: OrgSummary;
  series: SeatSeries;
  usage: UsageChartSeries;
  forecast: SeatForecast;
  teams: TeamUtilization[];
  inactiveSeats: InactiveSeatRow[];
  policy: StoredPolicy | undefined;
  collection: CollectionStatus;
}

/** Rows of the inactive-seats table: the longest idle first, at most this many. */
export const INACTIVE_TABLE_ROWS = 100;

/** Days of history the charts show. */
export const CHART_DAYS = 365;

/** Reads and computes the organization page; `sensitive` adds the audit log and delivery health. */
export async function loadOrgPage(db: Kysely<Database>, installation: Installation, options: { sensitive: boolean; now: Date }): Promise<OrgPageData> {
  const { now } = options;
  const org = installation.org;
  const rows = await readOrgPage(db, org, { sensitive: options.sensitive });
  const { fixedPriceUsd, inactiveAfterDays } = pricing(rows.policy);
  const cutoff = inactiveCutoff(now, inactiveAfterDays);
  const to = now.toISOString().slice(0, 10);
  const from = new Date(now.getTime() - CHART_DAYS * 86_400_000).toISOString().slice(0, 10);
  const [summary, snapshots, teamSeats, counts, inactive, collection, usageDays] = await Promise.all([
    summarize(db, installation, rows.policy, now),
    readSeatSnapshots(db, [org], { from, to }),
    readTeamSeats(db, org, cutoff),
    readSeatCounts(db, org, cutoff),
    readInactiveSeatRows(db, org, cutoff),
    readCollectionStatus(db, org),
    readOrgUsageDays(db, [org], { from, to }),
  ]);
  const history = snapshots.get(org) ?? [];
  const series = seatSeries(history, fixedPriceUsd);
  const pricePerSeat = summary.held > 0 ? summary.monthlyCostUsd / summary.held : costOfSeats({ business: 1 }, fixedPriceUsd).monthlyUsd;
  return {
    ...rows,
    summary,
    series,
    usage: usageChartSeries(usageDays.get(org) ?? []),
    forecast: forecastSeats(history.map((s) => ({ day: s.day, value: s.total })), pricePerSeat),
    teams: rankTeams(teamSeats, fixedPriceUsd, counts.heldByPlan),
    inactiveSeats: inactive.map((s) => ({ ...s, idleDays: idleDays({ lastActivityAt: s.lastActivityAt, createdAt: s.createdAt }, now) })),
    collection,
  };
}

async function readInactiveSeatRows(db: Kysely<Database>, org: string, cutoff: Date) {
  const rows = await db
    .selectFrom('copilot_seats')
    .select(['login', 'last_activity_at', 'created_at', 'assigning_team_slug', 'pending_cancellation_date'])
    .where('org', '=', org)
    .where(sql<boolean>`coalesce(last_activity_at, created_at) <= ${cutoff}`)
    .orderBy(sql`coalesce(last_activity_at, created_at)`)
    .orderBy('login_key')
    .limit(INACTIVE_TABLE_ROWS)
    .execute();
  const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());
  return rows.map((r) => ({
    login: r.login,
    lastActivityAt: iso(r.last_activity_at),
    createdAt: iso(r.created_at)!,
    assigningTeam: r.assigning_team_slug,
    pendingCancellation: r.pending_cancellation_date,
  }));
}
