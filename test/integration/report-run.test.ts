import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifyAuditChain } from '../../src/db/audit-log.js';
import { RECONCILE_QUEUE } from '../../src/jobs/reconcile-queue.js';
import { REPORT_RUN_QUEUE } from '../../src/jobs/report-run.js';
import { backend } from '../helpers/database.js';
import { sendWebhook } from '../helpers/webhooks.js';
import { ENFORCE_POLICY, HEAD_SHA, POLICY_PATH, type Scenario, fixture, startScenario, waitForCompletedRuns } from './check-runs-setup.js';

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

/** Retries of reports within the test's patience: one second apart. */
async function fastReportRetries(s: Scenario): Promise<void> {
  await s.ceos.boss.updateQueue(REPORT_RUN_QUEUE, { retryDelay: 1, retryBackoff: false });
}

function seatWrites(s: Scenario): string[] {
  return s.fake.requests.filter((r) => r.path.endsWith('/copilot/billing/selected_users') && (r.status ?? 0) < 300).map((r) => `${r.method} ${(r.body as { selected_usernames: string[] }).selected_usernames.join(',')}`)
    .sort();
}

async function seatAudit(s: Scenario): Promise<string[]> {
  const rows = await s.ceos.database.db
    .selectFrom('audit_log')
    .select(['action', 'target'])
    .where('org', '=', 'acme')
    .where('action', 'in', ['seat.added', 'seat.cancelled', 'seat.change_failed', 'reconciliation.applied'])
    .orderBy('seq')
    .execute();
  return rows.map((r) => `${r.action}:${r.action === 'reconciliation.applied' ? 'plan' : r.target}`);
}

/** The jobs of a queue, with their state and retries. */
async function jobsOf(s: Scenario, queue: string) {
  return s.ceos.boss.findJobs<Record<string, unknown>>(queue, {});
}

/** A comment written on Acme/.github issue 1, and the `issue_comment` payload announcing it. */
function writeComment(s: Scenario, author: string, body: string) {
  const repo = s.fake.repo('Acme', '.github');
  const user = s.fake.state.users.ensure(author, 'User');
  const commentId = s.fake.state.allocateId();
  repo.comments.set(commentId, { id: commentId, issueNumber: 1, body, user, createdAt: new Date().toISOString(), reactions: [] });
  const payload = fixture('issue_comment.created');
  payload.comment.id = commentId;
  payload.comment.body = body;
  for (const who of [payload.comment.user, payload.sender]) Object.assign(who, { login: user.login, id: user.id, type: user.type });
  return { repo, commentId, payload };
}

describe(`reporting apart from applying (${backend})`, () => {
  it('a check run GitHub refuses with 403 is retried alone: the seats change once and are audited once', async () => {
    scenario = await startScenario({ mainPolicy: null });
    const s = scenario;
    await fastReportRetries(s);
    s.fake.putFile({ owner: 'Acme', repo: '.github', path: POLICY_PATH, content: ENFORCE_POLICY });
    s.fake.putFile({ owner: 'Acme', repo: '.github', path: POLICY_PATH, content: ENFORCE_POLICY, ref: HEAD_SHA });
    s.fake.failNext({ method: 'POST', pathPattern: '/repos/{owner}/{repo}/check-runs', status: 403, times: 2 });

    const sent = await sendWebhook(s.ceos.url, { event: 'push', payload: fixture('push') });
    expect(sent.status).toBe(202);
    const [run] = await waitForCompletedRuns(s.fake, 'ceos/reconcile', HEAD_SHA);
    expect(run!.conclusion).toBe('success');
    expect(run!.output.title).toBe('Seats reconciled: added 2 seats and cancelled 2 seats');
    expect(s.fake.requests.filter((r) => r.method === 'POST' && r.template === '/repos/{owner}/{repo}/check-runs').map((r) => r.status)).toEqual([403, 403, 201]);

    // The seats changed once, each change audited once, and the run itself never failed.
    expect(seatWrites(s)).toEqual(['DELETE dave,mallory', 'POST alice,carol']);
    expect((await seatAudit(s)).sort()).toEqual(['reconciliation.applied:plan', 'seat.added:alice', 'seat.added:carol', 'seat.cancelled:dave', 'seat.cancelled:mallory']);
    const runs = (await jobsOf(s, RECONCILE_QUEUE)).filter((j) => j.data.trigger === 'push');
    expect(runs.map((j) => [j.state, j.retryCount])).toEqual([['completed', 0]]);
    await vi.waitFor(async () => {
      const reports = (await jobsOf(s, REPORT_RUN_QUEUE)).filter((j) => j.state === 'completed' && j.retryCount === 2);
      expect(reports).toHaveLength(1);
    });
    const plan = await s.ceos.database.db.selectFrom('plans').select(['status', 'report']).where('trigger', '=', 'push').executeTakeFirstOrThrow();
    expect(plan).toEqual({ status: 'applied', report: { kind: 'reconcile_check', repo: 'Acme/.github', sha: HEAD_SHA } });
    expect((await verifyAuditChain(s.ceos.database.db, { org: 'acme' })).ok).toBe(true);
    expect(s.fake.violations).toEqual([]);
  });

  it('a command whose reply GitHub refuses is still answered with what was applied, once', async () => {
    scenario = await startScenario({ mainPolicy: ENFORCE_POLICY });
    const s = scenario;
    await fastReportRetries(s);
    expect(seatWrites(s)).toEqual([]);
    const comment = writeComment(s, 'alice', '/copilot grant @dave');
    // The first reply CEOS posts is refused; the eyes reaction and everything else go through.
    s.fake.failNext({ method: 'POST', pathPattern: '/repos/{owner}/{repo}/issues/{issue_number}/comments', status: 403 });
    const sent = await sendWebhook(s.ceos.url, { event: 'issue_comment', payload: comment.payload });
    expect(sent.status).toBe(202);

    const replies = () => [...comment.repo.comments.values()].filter((c) => c.id !== comment.commentId);
    await vi.waitFor(() => expect(comment.repo.comments.get(comment.commentId)!.reactions.map((r) => r.content)).toContain('rocket'), { timeout: 30_000, interval: 50 });
    expect(replies()).toHaveLength(1);
    const reply = replies()[0]!.body;
    expect(reply).toContain('✅ Recorded a **grant** override for `@dave`');
    expect(reply).toMatch(/✅ CEOS added 2 seats and cancelled 1 seat/);
    expect(reply).toMatch(/<!-- ceos:command:[0-9a-f-]{36} -->$/);
    expect(seatWrites(s)).toEqual(['DELETE mallory', 'POST alice,carol']);
    expect((await seatAudit(s)).sort()).toEqual(['reconciliation.applied:plan', 'seat.added:alice', 'seat.added:carol', 'seat.cancelled:mallory']);
    const command = await s.ceos.database.db.selectFrom('commands').select(['status', 'reply_comment_id']).executeTakeFirstOrThrow();
    expect(command).toEqual({ status: 'done', reply_comment_id: String(replies()[0]!.id) });
    expect(s.fake.violations).toEqual([]);
  });
});
