import { pino } from 'pino';
import { ProbotOctokit } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { upsertInstallation } from '../../src/db/installations.js';
import { type ReconcileDeps, reconcileOrg } from '../../src/jobs/reconcile-org.js';
import { describeUserSeat, planFromMirror } from '../../src/reporting/command-status.js';
import { WARNING_ISSUE_TITLE } from '../../src/domain/warnings/warning-issue-text.js';
import { type FakeGitHub, type SeatInit, startFakeGitHub } from '../fake-github/index.js';
import { backend, testDatabases } from '../helpers/database.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const at = (days: number) => new Date(T0 + days * DAY);
const iso = (days: number) => at(days).toISOString();

const databases = testDatabases();
let fake: FakeGitHub | undefined;
afterEach(async () => {
  await databases.closeAll();
  await fake?.close();
  fake = undefined;
});

function policyText(mode: 'enforce' | 'report', users: readonly string[], extra = ''): string {
  return `version: 1
mode: ${mode}
seats:
  grant:
    users: [${users.join(', ')}]
    teams: [design]
inactivity:
  revoke_after_days: 30
  warn_before_days: 7
  exempt: { users: [vip] }
${extra}`;
}

interface Setup {
  github: FakeGitHub;
  database: DatabaseHandle;
  /** Runs one scheduled reconciliation at `days` after T0. */
  run(days: number): ReturnType<typeof reconcileOrg>;
}

async function setup(mode: 'enforce' | 'report', seats: SeatInit[], members: string[] = seats.map((s) => s.login)): Promise<Setup> {
  const github = await startFakeGitHub();
  fake = github;
  github.addOrg({
    login: 'acme',
    members: [{ login: 'owner', role: 'admin' }, ...members.map((login) => ({ login }))],
    teams: [{ slug: 'design', members: ['designer'] }],
    seats,
    billing: { seatManagementSetting: 'assign_selected' },
  });
  github.addInstallation({ id: 77, account: 'acme' });
  github.addRepo({ owner: 'acme', name: '.github' });
  github.putFile({ owner: 'acme', repo: '.github', path: '.github/copilot-policy.yml', content: policyText(mode, members.filter((m) => m !== 'designer')) });
  const database = await databases.open();
  await upsertInstallation(
    database.db,
    { id: 77, accountLogin: 'acme', accountId: 9001, accountType: 'Organization', repositorySelection: 'all', permissions: {}, events: [] },
    'active',
  );
  const octokit = new ProbotOctokit({
    auth: { token: github.createInstallationToken(77) },
    baseUrl: github.apiUrl,
    log: pino({ level: 'silent' }),
    throttle: { enabled: false },
    retry: { enabled: false },
  });
  let clock = at(0);
  const deps: ReconcileDeps = {
    db: database.db,
    octokit,
    graphql: octokit.graphql as never,
    log: pino({ level: 'silent' }),
    policyLocation: { repository: '.github', path: '.github/copilot-policy.yml' },
    batchSize: 50,
    now: () => clock,
  };
  return {
    github,
    database,
    run(days) {
      clock = at(days);
      return reconcileOrg(deps, { org: 'acme', installationId: 77, trigger: 'schedule', actor: 'schedule', refreshGraph: false, apply: true, report: { kind: 'none' } });
    },
  };
}

const issuesOf = (github: FakeGitHub) => [...github.repo('acme', '.github').issues.values()];
const commentsOf = (github: FakeGitHub) => [...github.repo('acme', '.github').comments.values()];
const mentionsIn = (body: string) => [...body.matchAll(/(?<![`\w])@([A-Za-z0-9-]+)/g)].map((m) => m[1]);

describe(`warnings before an inactivity cancellation (${backend})`, () => {
  it('warns seats inside the window once, cancels only after the warning period, keeps the table current and closes the issue', async () => {
    const { github, database, run } = await setup('enforce', [
      { login: 'idle', createdAt: iso(-200), lastActivityAt: iso(-25) },
      { login: 'stale', createdAt: iso(-200), lastActivityAt: iso(-40) },
      { login: 'active', createdAt: iso(-200), lastActivityAt: iso(-2) },
      { login: 'vip', createdAt: iso(-200), lastActivityAt: iso(-50) },
      { login: 'designer', createdAt: iso(-200), lastActivityAt: iso(-50), assigningTeam: 'design' },
    ]);

    // Day 0: idle (25 days unused) and stale (40, past the limit) are inside the 7-day window.
    const first = await run(0);
    expect(first.plan!.inactivityWarnings!.toWarn.map((w) => [w.login, w.dueOn])).toEqual([
      ['idle', '2026-03-09'],
      ['stale', '2026-03-09'],
    ]);
    // Never warned, stale is warned first and left alone: no seat is cancelled without a warning that old.
    expect(first.plan!.toCancel).toEqual([]);
    expect(first.plan!.leftAlone.filter((e) => e.reason.code === 'inactivity_warned').map((e) => [e.login, e.reason.text])).toEqual([['stale', 'warned, cancellation due on 2026-03-09 (inactive 40 days, limit 30)']]);
    expect(github.orgState('acme').seats.find((s) => s.login === 'stale')?.pendingCancellationDate).toBeNull();

    const [issue] = issuesOf(github);
    expect(issuesOf(github)).toHaveLength(1);
    expect(issue).toMatchObject({ title: WARNING_ISSUE_TITLE, state: 'open' });
    // The body is a table of the warned seats, and mentions nobody.
    expect(issue!.body).toContain('| `@idle` | 2026-02-05 | 2026-03-02 | 2026-03-09 |');
    expect(issue!.body).toContain('| `@stale` | 2026-01-21 | 2026-03-02 | 2026-03-09 |');
    expect(mentionsIn(issue!.body!)).toEqual([]);
    const [comment] = commentsOf(github);
    expect(commentsOf(github)).toHaveLength(1);
    expect(comment!.issueNumber).toBe(issue!.number);
    expect(mentionsIn(comment!.body)).toEqual(['idle', 'stale']);
    expect(comment!.body).toContain('- @idle: cancellation due on 2026-03-09');
    expect(comment!.body).toContain('ask an organization admin for an exemption');

    const events = await database.db.selectFrom('domain_events').selectAll().where('type', '=', 'seat.warned').orderBy('id').execute();
    expect(events.map((e) => e.payload as Record<string, unknown>).map((p) => [p.login, p.due_on, p.org, p.plan_id])).toEqual([
      ['idle', '2026-03-09', 'acme', first.planId],
      ['stale', '2026-03-09', 'acme', first.planId],
    ]);
    const audited = await database.db.selectFrom('audit_log').select(['action', 'target']).where('action', 'like', 'seat.warn%').orderBy('seq').execute();
    expect(audited).toEqual([
      { action: 'seat.warned', target: 'idle' },
      { action: 'seat.warned', target: 'stale' },
    ]);

    // /copilot status @stale answers from the mirror with the warning and its due date.
    const view = await planFromMirror(database.db, 'acme', 'acme', at(1));
    expect(describeUserSeat(view, 'STALE', at(1)).warning).toMatchObject({ login: 'stale', warnedAt: iso(0), dueOn: '2026-03-09' });
    expect(describeUserSeat(view, 'active', at(1)).warning).toBeNull();

    // Day 3: nothing new to say, so GitHub is not asked to change the issue or told again.
    github.clearLog();
    const second = await run(3);
    expect(second.plan!.inactivityWarnings!.toWarn).toEqual([]);
    expect(second.plan!.leftAlone.map((e) => e.reason.code)).toEqual(['assigned_via_team', 'inactivity_warned']);
    expect(github.count('issues/create-comment') + github.count('issues/update') + github.count('issues/create')).toBe(0);

    // idle uses Copilot again on day 4; on day 7 stale's warning is 7 days old.
    github.org('acme').seat('idle')!.lastActivityAt = iso(4);
    const third = await run(7);
    expect(third.plan!.toCancel.map((e) => [e.login, e.reason.code])).toEqual([['stale', 'inactive']]);
    expect(github.orgState('acme').seats.find((s) => s.login === 'stale')?.pendingCancellationDate).not.toBeNull();
    expect(third.plan!.inactivityWarnings!.toClear.map((c) => [c.login, c.because])).toEqual([
      ['idle', 'activity'],
      ['stale', 'cancelled'],
    ]);
    expect(issuesOf(github)[0]).toMatchObject({ state: 'closed', stateReason: 'completed' });
    expect(issuesOf(github)[0]!.body).toContain('No Copilot seats in acme are due');
    expect(commentsOf(github)).toHaveLength(1);
    expect(await database.db.selectFrom('seat_warnings').selectAll().execute()).toEqual([]);
    const cleared = await database.db.selectFrom('audit_log').select(['target', 'reason']).where('action', '=', 'seat.warning_cleared').orderBy('seq').execute();
    expect(cleared).toEqual([
      { target: 'idle', reason: 'the seat was used after the warning' },
      { target: 'stale', reason: 'the seat was cancelled for inactivity' },
    ]);

    // idle is warned again only after a new period of inactivity: 24 days after day 4 (active keeps using it).
    github.org('acme').seat('active')!.lastActivityAt = iso(20);
    expect((await run(26)).plan!.inactivityWarnings!.toWarn).toEqual([]);
    const again = await run(28);
    expect(again.plan!.inactivityWarnings!.toWarn.map((w) => w.login)).toEqual(['idle']);
    expect(issuesOf(github)).toHaveLength(1);
    expect(issuesOf(github)[0]).toMatchObject({ state: 'open', stateReason: 'reopened' });
    expect(commentsOf(github).map((c) => mentionsIn(c.body))).toEqual([['idle', 'stale'], ['idle']]);
    // The body was rewritten in place each time the table changed.
    expect(issuesOf(github)[0]!.bodyHistory).toHaveLength(3);
    expect(github.violations).toEqual([]);
  });

  it('batches mentions 50 to a comment and never mentions anyone twice', async () => {
    const logins = Array.from({ length: 120 }, (_, i) => `dev-${String(i).padStart(3, '0')}`);
    const { github, database, run } = await setup(
      'enforce',
      logins.map((login) => ({ login, createdAt: iso(-100), lastActivityAt: iso(-24) })),
    );
    await run(0);
    const comments = commentsOf(github);
    expect(comments.map((c) => mentionsIn(c.body).length)).toEqual([50, 50, 20]);
    expect(comments.flatMap((c) => mentionsIn(c.body))).toEqual(logins);
    expect(issuesOf(github)[0]!.body!.split('\n').filter((line) => line.startsWith('| `@dev-'))).toHaveLength(120);
    const rows = await database.db.selectFrom('seat_warnings').select(['login', 'notified_at', 'comment_id']).execute();
    expect(rows.every((r) => r.notified_at !== null && r.comment_id !== null)).toBe(true);
    await run(1);
    expect(commentsOf(github)).toHaveLength(3);
    expect(github.violations).toEqual([]);
  });

  it('a comment GitHub refuses is posted by the next run, to those not told yet only', async () => {
    const logins = Array.from({ length: 60 }, (_, i) => `dev-${String(i).padStart(3, '0')}`);
    const { github, run } = await setup(
      'enforce',
      logins.map((login) => ({ login, createdAt: iso(-100), lastActivityAt: iso(-24) })),
    );
    // The second comment fails: the first 50 are told, the last 10 wait.
    github.failNext({ operationId: 'issues/create-comment', when: (r) => mentionsIn((r.body as { body: string }).body).includes('dev-050'), status: 502 });
    await expect(run(0)).rejects.toThrow();
    expect(commentsOf(github).map((c) => mentionsIn(c.body).length)).toEqual([50]);
    await run(0.1);
    expect(commentsOf(github).map((c) => mentionsIn(c.body).length)).toEqual([50, 10]);
    expect(commentsOf(github).flatMap((c) => mentionsIn(c.body))).toEqual(logins);
    expect(issuesOf(github)).toHaveLength(1);
  });

  it('report mode warns nobody: no issue, no comment, nothing recorded, though the plan says who would be warned', async () => {
    const { github, database, run } = await setup('report', [
      { login: 'idle', createdAt: iso(-200), lastActivityAt: iso(-25) },
      { login: 'active', createdAt: iso(-200), lastActivityAt: iso(-1) },
    ]);
    const result = await run(0);
    expect(result.status).toBe('report_only');
    expect(result.plan!.inactivityWarnings!.toWarn.map((w) => w.login)).toEqual(['idle']);
    expect(issuesOf(github)).toEqual([]);
    expect(commentsOf(github)).toEqual([]);
    expect(github.count('issues/list-for-repo')).toBe(0);
    expect(await database.db.selectFrom('seat_warnings').selectAll().execute()).toEqual([]);
  });

  it('reuses the tracking issue a stopped run opened but never recorded', async () => {
    const { github, database, run } = await setup('enforce', [{ login: 'idle', createdAt: iso(-200), lastActivityAt: iso(-25) }]);
    await run(0);
    // The record of the issue is lost (the run stopped right after opening it).
    await database.db.deleteFrom('warning_issues').execute();
    github.org('acme').seat('idle')!.lastActivityAt = iso(0.5);
    await run(1);
    expect(issuesOf(github)).toHaveLength(1);
    expect(issuesOf(github)[0]).toMatchObject({ state: 'closed' });
  });
});
