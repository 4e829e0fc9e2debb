// The reads behind the dashboard's organization page and the usage API, timed on a year of
// history: 365 days of users-report rows for 20,000 people (7,300,000 rows), the organization and
// user-teams reports, daily seat snapshots, and a mirror of 20,000 members holding seats in 200
// nested teams. `npm run bench:usage` runs it after the collection benchmark; on its own:
//
//   npm exec -- tsx bench/usage-queries.ts [--users=20000 --days=365 --teams=200 --runs=10 --database-url=postgres://… --keep-schema --schema=NAME]
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { connectDatabase } from '../src/db/connect.js';
import { upsertInstallation } from '../src/db/installations.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { Database } from '../src/db/schema.js';
import {
  readCollectionStatus,
  readGrantOverrideSeats,
  readInactiveSeats,
  readLatestSeatSnapshots,
  readOrgUsageDays,
  readSeatCounts,
  readSeatSnapshots,
  readTeamSeats,
  readTeamUsageDays,
  readUserActiveDays,
} from '../src/db/usage-queries.js';
import { inactiveCutoff } from '../src/domain/usage/seat-activity.js';
import { addDays, dayOf } from '../src/domain/usage/usage-days.js';
import { loadOrgSeatSummaries, loadOrgUsageReport, loadTeamRanking, loadUsageSeries, reportWindow } from '../src/reporting/org-usage-report.js';

/** Each query of the organization page must answer within this. */
export const QUERY_TARGET_MS = 100;

/** The history a timing runs on. */
export interface QueryHistory {
  org: string;
  users: number;
  days: number;
  teams: number;
  /** The last day of history (yesterday, usually). */
  endDay: string;
}

/**
 * Seeds a year of history and the mirror straight into the tables with set-based SQL (collecting
 * 7 million rows through the fake GitHub would measure the collection again), then analyzes the
 * tables as autovacuum would after such a load. Returns the user-day rows written.
 */
export async function seedQueryHistory(db: Kysely<Database>, h: QueryHistory): Promise<number> {
  const { org, users, days, teams, endDay } = h;
  const roots = Math.max(1, Math.floor(teams / 10));
  const at = new Date();
  await sql`insert into org_members (org, login_key, login, user_id, role, present, source_at)
    select ${org}::text, 'dev-' || u, 'dev-' || u, 100000 + u, case when u = 0 then 'admin' else 'member' end, true, ${at}::timestamptz from generate_series(0, ${users - 1}) u`.execute(db);
  // Ten top-level teams in a hundred, each other team a child of one of them.
  await sql`insert into org_teams (org, slug, team_id, name, parent_slug, present, source_at)
    select ${org}::text, 'team-' || t, 5000 + t, 'Team ' || t, case when t < ${roots} then null else 'team-' || (t % ${roots}) end, true, ${at}::timestamptz from generate_series(0, ${teams - 1}) t`.execute(db);
  // Everyone in one team, every third person in a second one.
  await sql`insert into org_team_members (org, team_slug, login_key, login, user_id, present, source_at)
    select ${org}::text, 'team-' || (u % ${teams}), 'dev-' || u, 'dev-' || u, 100000 + u, true, ${at}::timestamptz from generate_series(0, ${users - 1}) u
    union all
    select ${org}::text, 'team-' || ((u * 7 + 3) % ${teams}), 'dev-' || u, 'dev-' || u, 100000 + u, true, ${at}::timestamptz from generate_series(0, ${users - 1}, 3) u where (u * 7 + 3) % ${teams} <> u % ${teams}`.execute(db);
  // Every member holds a seat; one in ten unused for 45 days, one in 25 on Enterprise.
  await sql`insert into copilot_seats (org, login_key, login, user_id, assigning_team_slug, created_at, last_activity_at, last_activity_editor, last_authenticated_at, pending_cancellation_date, plan_type, synced_at)
    select ${org}::text, 'dev-' || u, 'dev-' || u, 100000 + u, null, ${at}::timestamptz - interval '400 days',
      ${at}::timestamptz - make_interval(days => case when u % 10 = 0 then 45 else u % 20 end), 'vscode', ${at}::timestamptz - interval '1 day',
      case when u % 97 = 0 then ${addDays(endDay, 20)}::text else null end, case when u % 25 = 0 then 'enterprise' else 'business' end, ${at}::timestamptz
    from generate_series(0, ${users - 1}) u`.execute(db);
  await sql`insert into seat_overrides (org, login_key, login, user_id, kind, actor, reason)
    select ${org}::text, 'dev-' || u, 'dev-' || u, 100000 + u, 'grant', 'bench', 'pilot' from generate_series(0, ${users - 1}, 67) u`.execute(db);
  const start = addDays(endDay, -(days - 1));
  // Twenty days a statement, so no statement runs into the connection's statement timeout.
  let rows = 0;
  for (let first = 0; first < days; first += 20) {
    const last = Math.min(days, first + 20) - 1;
    const { numAffectedRows } = await sql`insert into usage_user_days (org, user_id, day, login, interactions, code_generations, code_acceptances, loc_suggested, loc_added, used_chat, used_agent, ide)
      select ${org}::text, 100000 + u, ${start}::date + k, 'dev-' || u, (u + k) % 17 + 1, 2 * ((u + k) % 17 + 1), (u + k) % 17 + 1, 10 * ((u + k) % 17 + 1), 6 * ((u + k) % 17 + 1), u % 3 <> 0, u % 5 = 0, case when u % 4 = 0 then 'jetbrains' else 'vscode' end
      from generate_series(${first}::int, ${last}::int) k, generate_series(0, ${users - 1}) u`.execute(db);
    rows += Number(numAffectedRows ?? 0);
  }
  // Every 30th day without a report from GitHub: the series must keep it apart.
  await sql`insert into usage_report_days (org, report, day, status, links, records)
    select ${org}::text, r, ${start}::date + k, case when k % 30 = 29 then 'no_data' else 'data' end, 2, ${users}::int
    from generate_series(0, ${days - 1}) k, unnest(array['organization', 'users', 'user_teams']) r`.execute(db);
  await sql`insert into usage_org_days (org, day, daily_active_users, weekly_active_users, monthly_active_users, interactions, code_generations, code_acceptances, loc_suggested, loc_added)
    select ${org}::text, ${start}::date + k, ${users}::int - k % 50, ${users}::int, ${users}::int, 9 * ${users}::int, 18 * ${users}::int, 9 * ${users}::int, 90 * ${users}::int, 54 * ${users}::int
    from generate_series(0, ${days - 1}) k where k % 30 <> 29`.execute(db);
  await sql`insert into usage_team_days (org, team_slug, day, team_id, active_users, interactions, code_generations, code_acceptances, loc_suggested, loc_added)
    select ${org}::text, 'team-' || t, ${start}::date + k, 5000 + t, ${Math.ceil(users / teams)}::int, 900, 1800, 900, 9000, 5400
    from generate_series(0, ${days - 1}) k, generate_series(0, ${teams - 1}) t where k % 30 <> 29`.execute(db);
  await sql`insert into seat_snapshots (org, day, total, active_1d, active_7d, active_30d, never_used, pending_cancellation, by_editor, by_plan)
    select ${org}::text, ${start}::date + k, ${users}::int - 200 + k / 2, ${Math.floor(users / 2)}::int, ${Math.floor(users * 0.8)}::int, ${Math.floor(users * 0.9)}::int, 0, 0,
      jsonb_build_object('vscode', ${users}::int), jsonb_build_object('business', ${Math.round(users - users / 25)}::int, 'enterprise', ${Math.round(users / 25)}::int)
    from generate_series(0, ${days}) k`.execute(db);
  await sql`insert into usage_collection (org, status) values (${org}, 'ok')`.execute(db);
  for (const table of ['org_members', 'org_teams', 'org_team_members', 'copilot_seats', 'seat_overrides', 'usage_user_days', 'usage_report_days', 'usage_org_days', 'usage_team_days', 'seat_snapshots']) {
    await sql`analyze ${sql.table(table)}`.execute(db);
  }
  return rows;
}

/** One query's timings over its runs. */
export interface QueryTiming {
  name: string;
  medianMs: number;
  maxMs: number;
  met: boolean;
}

/**
 * Times each read of the organization page and of the usage API, one at a time on a warm pool:
 * one untimed run, then `runs` timed runs; the median and the slowest against the 100 ms target.
 */
export async function timeOrgPageQueries(db: Kysely<Database>, h: QueryHistory, now: Date, runs = 10): Promise<QueryTiming[]> {
  const { org } = h;
  const year = { from: addDays(h.endDay, -364), to: h.endDay };
  const cutoff = inactiveCutoff(now, 30);
  const overrideIds = (await readGrantOverrideSeats(db, org, now)).map((s) => s.userId);
  const queries: [string, () => Promise<unknown>][] = [
    ['readOrgUsageDays: 365 days of the organization report', () => readOrgUsageDays(db, [org], year)],
    ['readSeatSnapshots: 365 days of seat snapshots', () => readSeatSnapshots(db, [org], year)],
    ['readLatestSeatSnapshots', () => readLatestSeatSnapshots(db, [org])],
    ['readSeatCounts: seats held and inactive by plan', () => readSeatCounts(db, org, cutoff)],
    ['readTeamSeats: every team with its child teams (ranking input)', () => readTeamSeats(db, org, cutoff)],
    ['loadTeamRanking: teams ranked by utilization', () => loadTeamRanking(db, org, now, null)],
    ['readTeamUsageDays: 365 days of one team', () => readTeamUsageDays(db, org, 'team-1', year)],
    ['readCollectionStatus', () => readCollectionStatus(db, org)],
    ['readInactiveSeats', () => readInactiveSeats(db, org, cutoff)],
    ['readGrantOverrideSeats', () => readGrantOverrideSeats(db, org, now)],
    [`readUserActiveDays: ${overrideIds.length} override holders, 28 days`, () => readUserActiveDays(db, org, overrideIds, reportWindow(now))],
    ['loadUsageSeries: 365 days by week', () => loadUsageSeries(db, org, { ...year, granularity: 'week' }, null)],
    ['loadUsageSeries: 365 days by day', () => loadUsageSeries(db, org, { ...year, granularity: 'day' }, null)],
    ['loadOrgSeatSummaries (GET /usage, one organization)', () => loadOrgSeatSummaries(db, [{ org, login: org }], now)],
    ['loadOrgUsageReport: the whole insights/report', () => loadOrgUsageReport(db, org, org, now, null)],
  ];
  const timings: QueryTiming[] = [];
  for (const [name, run] of queries) {
    await run();
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await run();
      ms.push(performance.now() - started);
    }
    ms.sort((a, b) => a - b);
    const medianMs = ms[Math.floor(ms.length / 2)]!;
    const maxMs = ms[ms.length - 1]!;
    timings.push({ name, medianMs, maxMs, met: maxMs < QUERY_TARGET_MS });
  }
  return timings;
}

/** The timings as lines for the benchmark's output. */
export function timingLines(timings: readonly QueryTiming[], runs: number): string[] {
  return [
    `query timings (${runs} runs each after one warm-up; median / slowest; target < ${QUERY_TARGET_MS} ms each):`,
    ...timings.map((t) => `  ${t.name}: ${t.medianMs.toFixed(1)} ms / ${t.maxMs.toFixed(1)} ms: ${t.met ? 'met' : 'NOT met'}`),
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '20000' },
      days: { type: 'string', default: '365' },
      teams: { type: 'string', default: '200' },
      runs: { type: 'string', default: '10' },
      'database-url': { type: 'string' },
      // Leaves the seeded schema in place, for EXPLAIN ANALYZE by hand.
      'keep-schema': { type: 'boolean', default: false },
      // Times on a schema kept by an earlier run (migrated to the latest first), without seeding again.
      schema: { type: 'string' },
    },
  });
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const argv = process.argv.slice(2);
  print(`command: npm exec -- tsx bench/usage-queries.ts${argv.length > 0 ? ` ${argv.join(' ')}` : ''}`);
  print(`date: ${new Date().toISOString()}`);
  print(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const reused = values.schema !== undefined;
  const schema = values.schema ?? `bench_usage_queries_${randomBytes(4).toString('hex')}`;
  const database = await connectDatabase({ databaseUrl, dataDir: 'memory://', schema, poolSize: 4 });
  try {
    await migrateToLatest(database.db, schema);
    const now = new Date();
    const history: QueryHistory = { org: 'bench-history', users: Number(values.users), days: Number(values.days), teams: Number(values.teams), endDay: addDays(dayOf(now), -1) };
    if (reused) print(`history: as seeded earlier in ${schema}`);
    else {
      await upsertInstallation(database.db, { id: 2, accountLogin: history.org, accountId: 20, accountType: 'Organization', repositorySelection: 'all', permissions: {}, events: [] }, 'active');
      const seeded = performance.now();
      const rows = await seedQueryHistory(database.db, history);
      print(`history: ${rows.toLocaleString('en-US')} user-day rows (${history.users} people × ${history.days} days), ${history.teams} teams, seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
    }
    const runs = Number(values.runs);
    for (const line of timingLines(await timeOrgPageQueries(database.db, history, now, runs), runs)) print(line);
    print(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await database.close();
    if (values['keep-schema'] || reused) print(`schema kept: ${schema}`);
    else {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
