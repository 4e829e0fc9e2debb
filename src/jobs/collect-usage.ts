import type { Kysely } from 'kysely';
import type { JobWithMetadata, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { Probot } from 'probot';
import type { Metrics } from '../app/metrics.js';
import { findInstallation, listActiveInstallations } from '../db/installations.js';
import type { Database } from '../db/schema.js';
import {
  USER_DAY_BATCH,
  deleteUserDays,
  insertTeamDays,
  insertUserDays,
  lastDataDay,
  replaceOrgDay,
  setCollectionStatus,
  takeSeatSnapshot,
  upsertReportDay,
} from '../db/usage-writes.js';
import { collectionDays, utcDay } from '../domain/usage/collection-days.js';
import {
  type OrgUsageRecord,
  type TeamUsage,
  type UserTeamRecord,
  type UserUsageRecord,
  addToTeams,
  parseOrgUsageLine,
  parseUserTeamLine,
  parseUserUsageLine,
} from '../domain/usage/parse-usage-records.js';
import { currentDeadline } from '../engine/job-deadline.js';
import { runWithinDeadline } from '../engine/run-within-deadline.js';
import { UsageUnavailableError, streamUsageReport } from '../github/fetch-usage-report.js';
import { type DownloadFile, downloadFile } from '../github/usage-file-download.js';
import type { GitHubOctokit } from '../github/github-octokit.js';
import {
  COLLECT_USAGE_ALL_QUEUE,
  COLLECT_USAGE_QUEUE,
  type CollectUsageJob,
  collectUsageJobSchema,
  enqueueUsageCollection,
} from './collect-usage-queue.js';
import { logJobFailures } from './log-job-failures.js';

/** What collecting an organization's usage needs. */
export interface CollectUsageDeps {
  db: Kysely<Database>;
  octokit: GitHubOctokit;
  /** Fetches report files (no credentials: the links are signed). */
  download: DownloadFile;
  log: Logger;
  now: () => Date;
  metrics?: Pick<Metrics, 'usageRowsStored'>;
  /** Aborts downloads when the job must stop. */
  signal?: AbortSignal;
}

/** What one collection did. */
export interface CollectUsageResult {
  status: 'collected' | 'unavailable' | 'skipped';
  from?: string;
  to?: string;
  /** Days whose users report had data, and days without. */
  daysWithData: number;
  daysWithoutData: number;
  /** User-day rows stored. */
  userRows: number;
  /** Why collection is unavailable (GitHub's answer), or why the run was skipped. */
  message?: string;
}

/** What one day's collection stored. */
interface DayResult {
  users: 'data' | 'no_data';
  userRows: number;
  teamRows: number;
}

/**
 * Collects one day of the three reports and replaces everything stored for it in one transaction:
 * the user-teams pairs are read first (held as a map of user to teams, far smaller than the users
 * report), then the users report streams into batched inserts while each person's numbers are
 * added to their teams, then the team totals and the organization's row. A malformed line throws
 * inside the transaction, so a day is stored whole or not at all.
 */
export async function collectUsageDay(deps: CollectUsageDeps, org: string, login: string, day: string): Promise<DayResult> {
  const download = { octokit: deps.octokit, download: deps.download, signal: deps.signal };
  const now = deps.now();

  // The user-teams pairs and the organization's record are read side by side, before the users.
  const teamsOf = new Map<number, Pick<UserTeamRecord, 'slug' | 'teamId'>[]>();
  let orgRecord: OrgUsageRecord | null = null;
  const [userTeams, orgReport] = await Promise.all([
    streamUsageReport(download, { org: login, report: 'user_teams', day }, (text, line) => {
      const pair = parseUserTeamLine(text, line, day);
      const list = teamsOf.get(pair.userId) ?? [];
      if (!list.some((t) => t.slug === pair.slug)) list.push({ slug: pair.slug, teamId: pair.teamId });
      teamsOf.set(pair.userId, list);
    }),
    streamUsageReport(download, { org: login, report: 'organization', day }, (text, line) => {
      // One record a day; were there more, the last one wins, as a re-collected day does.
      orgRecord = parseOrgUsageLine(text, line, day);
    }),
  ]);

  return deps.db.transaction().execute(async (trx) => {
    await deleteUserDays(trx, org, day);
    const teams = new Map<string, TeamUsage>();
    const seen = new Set<number>();
    let batch = new Map<number, UserUsageRecord>();
    let userRows = 0;
    // One insert in flight while the next batch is parsed: the database and the parsing overlap.
    // Its failure is seen at the next flush (or the last), and fails the transaction.
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async () => {
      if (batch.size === 0) return;
      const rows = [...batch.values()];
      batch = new Map();
      await inFlight;
      inFlight = insertUserDays(trx, org, rows).then((n) => {
        userRows += n;
      });
      inFlight.catch(() => undefined);
    };
    const users = await streamUsageReport(download, { org: login, report: 'users', day }, async (text, line) => {
      const record = parseUserUsageLine(text, line, day);
      // A person listed twice (overlapping files) counts once, in their teams too.
      if (!seen.has(record.userId)) addToTeams(teams, teamsOf.get(record.userId) ?? [], record);
      seen.add(record.userId);
      batch.set(record.userId, record);
      if (batch.size >= USER_DAY_BATCH) await flush();
    });
    await flush();
    await inFlight;
    const teamRows = await insertTeamDays(trx, org, day, [...teams.values()]);
    await replaceOrgDay(trx, org, day, orgRecord, now);
    await upsertReportDay(trx, { org, report: 'users', day, status: users.status, links: users.links, records: users.lines, now });
    await upsertReportDay(trx, { org, report: 'user_teams', day, status: userTeams.status, links: userTeams.links, records: userTeams.lines, now });
    await upsertReportDay(trx, { org, report: 'organization', day, status: orgReport.status, links: orgReport.links, records: orgReport.lines, now });
    deps.metrics?.usageRowsStored.inc({ org, table: 'usage_user_days' }, userRows);
    deps.metrics?.usageRowsStored.inc({ org, table: 'usage_team_days' }, teamRows);
    return { users: users.status, userRows, teamRows };
  });
}

/**
 * One collection run for an organization: today's seat snapshot from the mirror, then each day
 * DECISIONS 14 names (or the days asked for). GitHub refusing the reports (403, 404, 422: metrics
 * policy off, permission missing) is recorded as the organization's status with GitHub's message
 * and ends the run successfully, so it is not retried again and again; anything else fails it.
 */
export async function collectOrgUsage(deps: CollectUsageDeps, job: CollectUsageJob): Promise<CollectUsageResult> {
  const { db, log } = deps;
  const empty = { daysWithData: 0, daysWithoutData: 0, userRows: 0 };
  const installation = await findInstallation(db, job.installationId);
  // A backfill queued by the install webhook may start before that webhook's own handler has
  // recorded the installation: failing retries it shortly, when the row is there.
  if (!installation) throw new Error(`installation ${job.installationId} of ${job.org} is not recorded yet`);
  if (installation.status !== 'active' || installation.org !== job.org) {
    log.info({ org: job.org, installation: job.installationId }, 'usage collection skipped: installation not active');
    return { status: 'skipped', message: 'installation not active', ...empty };
  }
  const now = deps.now();
  // The snapshot reads only the mirror, so it is taken even when GitHub refuses the reports.
  await takeSeatSnapshot(db, job.org, utcDay(now), now);

  const window = collectionDays({ now, lastDataDay: await lastDataDay(db, job.org), from: job.from, to: job.to });
  if (!window.ok) {
    log.warn({ org: job.org, from: job.from, to: job.to, problem: window.problem }, 'usage collection skipped');
    return { status: 'skipped', message: window.problem, ...empty };
  }
  log.info({ org: job.org, from: window.from, to: window.to, days: window.days.length, trigger: job.trigger }, 'usage collection started');
  const result: CollectUsageResult = { status: 'collected', from: window.from, to: window.to, ...empty };
  try {
    for (const day of window.days) {
      currentDeadline()?.throwIfAborted();
      const stored = await collectUsageDay(deps, job.org, installation.account_login, day);
      if (stored.users === 'data') result.daysWithData += 1;
      else result.daysWithoutData += 1;
      result.userRows += stored.userRows;
    }
  } catch (error) {
    if (!(error instanceof UsageUnavailableError)) throw error;
    await setCollectionStatus(db, job.org, { status: 'unavailable', httpStatus: error.httpStatus, message: error.githubMessage }, deps.now());
    log.warn({ org: job.org, httpStatus: error.httpStatus, message: error.githubMessage }, 'usage metrics unavailable for the organization');
    return { ...result, status: 'unavailable', message: error.githubMessage };
  }
  await setCollectionStatus(db, job.org, { status: 'ok' }, deps.now());
  log.info({ org: job.org, ...result }, 'usage collected');
  return result;
}

/** What the usage workers need. */
export interface UsageWorkerDeps {
  boss: PgBoss;
  db: Kysely<Database>;
  probot: Probot;
  log: Logger;
  metrics: Metrics;
  download?: DownloadFile;
  now?: () => Date;
}

/**
 * Starts the usage workers: collections of one organization one at a time across every instance
 * (a pg-boss group per org), and the daily run that queues one per active installation.
 */
export async function startUsageWorkers(deps: UsageWorkerDeps): Promise<void> {
  const { boss, db, probot, log, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  await boss.work(
    COLLECT_USAGE_QUEUE,
    { batchSize: 1, groupConcurrency: 1, localConcurrency: 2, includeMetadata: true },
    logJobFailures(
      COLLECT_USAGE_QUEUE,
      { log },
      runWithinDeadline(boss, COLLECT_USAGE_QUEUE, log, async ([job]: JobWithMetadata[]) => {
        const parsed = collectUsageJobSchema.safeParse(job!.data);
        if (!parsed.success) {
          // A malformed job can never succeed: say why and let it go to the dead-letter queue.
          throw new Error(`invalid usage collection job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        }
        const data = parsed.data;
        try {
          const octokit = await probot.auth(data.installationId);
          const result = await collectOrgUsage(
            { db, octokit, download: deps.download ?? downloadFile, log: log.child({ org: data.org, job: job!.id }), now, metrics, signal: currentDeadline()?.signal },
            data,
          );
          metrics.usageCollections.inc({ org: data.org, outcome: result.status });
          return result;
        } catch (error) {
          // A run handed back until GitHub takes requests again has not failed.
          if (currentDeadline()?.giveBackSeconds === undefined) metrics.usageCollections.inc({ org: data.org, outcome: 'failed' });
          throw error;
        }
      }),
    ),
  );

  await boss.work(
    COLLECT_USAGE_ALL_QUEUE,
    logJobFailures(COLLECT_USAGE_ALL_QUEUE, { log, metrics }, async () => {
      const installations = await listActiveInstallations(db);
      for (const installation of installations) {
        await enqueueUsageCollection(boss, { org: installation.org, installationId: Number(installation.id), trigger: 'schedule', actor: 'schedule' });
      }
      return { organizations: installations.length };
    }),
  );
}
