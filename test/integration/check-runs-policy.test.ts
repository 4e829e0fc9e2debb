import { afterEach, describe, expect, it } from 'vitest';
import { runPolicyCheck } from '../../src/jobs/policy-check.js';
import type { PolicyCheckJob } from '../../src/jobs/policy-check-queue.js';
import { backend } from '../helpers/database.js';
import { sendWebhook } from '../helpers/webhooks.js';
import {
  ENFORCE_POLICY,
  HEAD_SHA,
  POLICY_LOCATION,
  POLICY_PATH,
  type Scenario,
  checkRuns,
  fixture,
  startScenario,
  waitForCompletedRuns,
  waitForDelivery,
  waitForLog,
} from './check-runs-setup.js';

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

/** A pull request (number 12, head HEAD_SHA) whose head holds `policy`, changing the policy file or not. */
async function pullRequestWith(policy: string | null, options: { touchesPolicy?: boolean; mainPolicy?: string } = {}): Promise<Scenario> {
  scenario = await startScenario({ mainPolicy: options.mainPolicy ?? ENFORCE_POLICY });
  const { fake } = scenario;
  if (policy !== null) fake.putFile({ owner: 'Acme', repo: '.github', path: POLICY_PATH, content: policy, ref: HEAD_SHA });
  fake.putFile({ owner: 'Acme', repo: '.github', path: 'README.md', content: '# Acme, edited\n', ref: HEAD_SHA });
  fake.setPullRequestFiles({
    owner: 'Acme',
    repo: '.github',
    pullNumber: 12,
    files:
      options.touchesPolicy === false
        ? [{ filename: 'README.md' }]
        : [{ filename: 'README.md' }, { filename: POLICY_PATH, status: policy === null ? 'removed' : 'modified' }],
  });
  // Requests of the setup (the first sync) are not the check's.
  fake.clearLog();
  return scenario;
}

function invalidPolicy(badLogins: number): string {
  const users = Array.from({ length: badLogins }, (_, i) => `      - "bad user ${i}"`).join('\n');
  return `version: 1\nmode: enforce\nseats:\n  grant:\n    users:\n${users}\n`;
}

describe(`ceos/policy on pull requests to the policy repository (${backend})`, () => {
  it('annotates every problem of an invalid policy at its line and column, 50 per request', async () => {
    const { fake, ceos } = await pullRequestWith(invalidPolicy(120));
    const sent = await sendWebhook(ceos.url, { event: 'pull_request', payload: fixture('pull_request.opened') });
    expect(sent.status).toBe(202);

    const [run] = await waitForCompletedRuns(fake, 'ceos/policy', HEAD_SHA);
    expect(run!.conclusion).toBe('failure');
    expect(run!.output.title).toBe('Policy invalid: 120 problems');
    expect(run!.output.summary).toContain('`seats.grant.users[119]`');
    expect(run!.annotations).toHaveLength(120);
    for (const [i, annotation] of run!.annotations.entries()) {
      expect(annotation).toEqual({
        path: POLICY_PATH,
        start_line: 6 + i,
        end_line: 6 + i,
        start_column: 9,
        end_column: 8 + `"bad user ${i}"`.length,
        annotation_level: 'failure',
        message: `seats.grant.users[${i}]: "bad user ${i}" is not a valid GitHub login`,
        title: `Invalid policy: seats.grant.users[${i}]`,
      });
    }

    // Created in progress first, then 50 + 50 annotations while in progress, then the last 20 with the conclusion.
    const creates = fake.requestsTo('checks/create');
    expect(creates).toHaveLength(1);
    expect(creates[0]!.body).toMatchObject({ name: 'ceos/policy', head_sha: HEAD_SHA, status: 'in_progress' });
    const updates = fake.requestsTo('checks/update').map((r) => r.body as { status?: string; conclusion?: string; output: { annotations?: unknown[] } });
    expect(updates.map((u) => u.output.annotations?.length ?? 0)).toEqual([50, 50, 20]);
    expect(updates.map((u) => u.conclusion ?? null)).toEqual([null, null, 'failure']);
    expect(fake.violations).toEqual([]);
  });

  it('plans a valid policy against the organization: success with the seats to add and cancel', async () => {
    const { fake, ceos } = await pullRequestWith(ENFORCE_POLICY);
    await sendWebhook(ceos.url, { event: 'pull_request', payload: fixture('pull_request.opened') });
    const [run] = await waitForCompletedRuns(fake, 'ceos/policy', HEAD_SHA);
    expect(run!.conclusion).toBe('success');
    expect(run!.output.title).toBe('Policy valid: adds 2 seats and cancels 2 seats');
    const summary = run!.output.summary!;
    expect(summary.length).toBeLessThanOrEqual(65_535);
    expect(summary).toMatch(/### Seats to add \(2\)[\s\S]*\| `@alice` \|[\s\S]*\| `@carol` \|/);
    expect(summary).toMatch(/### Seats to cancel \(2\)[\s\S]*\| `@dave` \|[\s\S]*\| `@mallory` \|/);
    expect(run!.annotations).toEqual([]);
    // A dry run: no seat changed on GitHub.
    expect(fake.requests.filter((r) => r.path.includes('/copilot/billing/selected_'))).toEqual([]);
    expect(fake.violations).toEqual([]);
  });

  it('fails a valid policy whose plan goes over the seat cap', async () => {
    // Bob (through platform) and mallory keep their seats: two seats against a cap of one.
    const capped = 'version: 1\nmode: enforce\nseats:\n  max: 1\n  grant:\n    teams: [engineering]\n    users: [mallory]\n';
    const { fake, ceos } = await pullRequestWith(capped);
    await sendWebhook(ceos.url, { event: 'pull_request', payload: fixture('pull_request.opened') });
    const [run] = await waitForCompletedRuns(fake, 'ceos/policy', HEAD_SHA);
    expect(run!.conclusion).toBe('failure');
    expect(run!.output.title).toBe('Plan goes over the seat cap');
    expect(run!.output.summary).toContain('This policy leaves the organization over its limits');
    expect(fake.violations).toEqual([]);
  });

  it('fails a valid policy whose plan goes over the budget', async () => {
    const costly = `${ENFORCE_POLICY}budget:\n  seat_price_usd: 19\n  monthly_limit_usd: 20\n`;
    const { fake, ceos } = await pullRequestWith(costly);
    await sendWebhook(ceos.url, { event: 'pull_request', payload: fixture('pull_request.opened') });
    const [run] = await waitForCompletedRuns(fake, 'ceos/policy', HEAD_SHA);
    expect(run!.conclusion).toBe('failure');
    expect(run!.output.title).toBe('Plan goes over the budget');
    expect(fake.violations).toEqual([]);
  });

  it('reports neutral "Policy unchanged" on a pull request that leaves the policy file alone', async () => {
    const { fake, ceos } = await pullRequestWith(null, { touchesPolicy: false });
    await sendWebhook(ceos.url, { event: 'pull_request', payload: fixture('pull_request.opened') });
    const [run] = await waitForCompletedRuns(fake, 'ceos/policy', HEAD_SHA);
    expect(run!.conclusion).toBe('neutral');
    expect(run!.output.title).toBe('Policy unchanged');
    expect(fake.count('repos/get-content')).toBe(0);
    expect(fake.violations).toEqual([]);
  });

  it('reports neutral "No policy" on a pull request that deletes the policy file', async () => {
    const { fake, ceos } = await pullRequestWith(null);
    await sendWebhook(ceos.url, { event: 'pull_request', payload: fixture('pull_request.opened') });
    const [run] = await waitForCompletedRuns(fake, 'ceos/policy', HEAD_SHA);
    expect(run!.conclusion).toBe('neutral');
    expect(run!.output.title).toBe('No policy');
    expect(fake.violations).toEqual([]);
  });

  it('reports a redelivered or repeated pull_request event for the same head commit once', async () => {
    const { fake, ceos } = await pullRequestWith(invalidPolicy(3));
    await sendWebhook(ceos.url, { event: 'pull_request', payload: fixture('pull_request.opened') });
    await waitForCompletedRuns(fake, 'ceos/policy', HEAD_SHA);

    // The same event under another delivery id, and a reopen of the same head commit.
    const again = await sendWebhook(ceos.url, { event: 'pull_request', payload: fixture('pull_request.opened') });
    const reopened = await sendWebhook(ceos.url, { event: 'pull_request', payload: fixture('pull_request.reopened') });
    await waitForDelivery(ceos, again.id);
    await waitForDelivery(ceos, reopened.id);
    await waitForLog(scenario!, 'policy check already reported', 1);

    const runs = checkRuns(fake, 'ceos/policy', HEAD_SHA);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.annotations).toHaveLength(3);
    expect(fake.count('checks/create')).toBe(1);
    expect(fake.violations).toEqual([]);
  });

  it('checks the new head commit of a synchronized pull request', async () => {
    const { fake, ceos } = await pullRequestWith(ENFORCE_POLICY);
    const payload = fixture('pull_request.synchronize');
    const head = payload.pull_request.head.sha as string;
    fake.putFile({ owner: 'Acme', repo: '.github', path: POLICY_PATH, content: invalidPolicy(1), ref: head });
    await sendWebhook(ceos.url, { event: 'pull_request', payload });
    const [run] = await waitForCompletedRuns(fake, 'ceos/policy', head);
    expect(run!.conclusion).toBe('failure');
    expect(checkRuns(fake, 'ceos/policy', HEAD_SHA)).toEqual([]);
    expect(fake.violations).toEqual([]);
  });

  it('re-runs the check in a new run when the check run or its suite is re-requested', async () => {
    const { fake, ceos } = await pullRequestWith(invalidPolicy(2));
    await sendWebhook(ceos.url, { event: 'pull_request', payload: fixture('pull_request.opened') });
    await waitForCompletedRuns(fake, 'ceos/policy', HEAD_SHA, 1);

    // The policy is fixed at the same commit's check re-run (as if the mirror or the file had changed).
    fake.putFile({ owner: 'Acme', repo: '.github', path: POLICY_PATH, content: ENFORCE_POLICY, ref: HEAD_SHA });
    const rerun = await sendWebhook(ceos.url, { event: 'check_run', payload: fixture('check_run.rerequested') });
    const runs = await waitForCompletedRuns(fake, 'ceos/policy', HEAD_SHA, 2);
    expect(runs.map((r) => r.conclusion)).toEqual(['failure', 'success']);
    expect(runs[1]!.annotations).toEqual([]);

    // The same re-run delivered twice is one re-run.
    await sendWebhook(ceos.url, { event: 'check_run', payload: fixture('check_run.rerequested'), id: rerun.id });
    await sendWebhook(ceos.url, { event: 'check_suite', payload: fixture('check_suite.rerequested') });
    const all = await waitForCompletedRuns(fake, 'ceos/policy', HEAD_SHA, 3);
    expect(all).toHaveLength(3);

    // Another app's check run is not CEOS's to re-run.
    const other = fixture('check_run.rerequested');
    other.check_run.name = 'lint';
    const ignored = await sendWebhook(ceos.url, { event: 'check_run', payload: other });
    await waitForDelivery(ceos, ignored.id);
    expect(checkRuns(fake, 'ceos/policy', HEAD_SHA)).toHaveLength(3);
    expect(fake.violations).toEqual([]);
  });

  it('ignores pull requests to other repositories and organizations it does not govern', async () => {
    const { fake, ceos } = await pullRequestWith(ENFORCE_POLICY);
    const elsewhere = fixture('pull_request.opened');
    elsewhere.repository.name = 'website';
    elsewhere.repository.full_name = 'Acme/website';
    const stranger = fixture('pull_request.opened');
    stranger.installation.id = 78;
    const deliveries = [
      await sendWebhook(ceos.url, { event: 'pull_request', payload: elsewhere }),
      await sendWebhook(ceos.url, { event: 'pull_request', payload: stranger }),
    ];
    for (const d of deliveries) await waitForDelivery(ceos, d.id);
    const jobs = await ceos.boss.findJobs('policy-check');
    expect(jobs).toEqual([]);
    expect(fake.count('checks/create')).toBe(0);
    expect(fake.violations).toEqual([]);
  });

  it('completes the run left in progress on a retry, and ends it as not checked once out of retries', async () => {
    const { fake, ceos } = await pullRequestWith(ENFORCE_POLICY);
    const octokit = await ceos.probot!.auth(77);
    const deps = { db: ceos.database.db, octokit, log: ceos.log, policyLocation: POLICY_LOCATION, now: () => new Date() };
    const job: PolicyCheckJob = {
      org: 'acme',
      installationId: 77,
      owner: 'Acme',
      repo: '.github',
      pullNumber: 12,
      headSha: HEAD_SHA,
      requestKey: `acme/.github@${HEAD_SHA}`,
      trigger: 'pull_request',
    };

    // A GitHub outage is never a verdict: the run waits in progress for the retry.
    fake.failNext({ operationId: 'pulls/list-files', status: 502 });
    await expect(runPolicyCheck(deps, job)).rejects.toMatchObject({ status: 502 });
    expect(checkRuns(fake, 'ceos/policy', HEAD_SHA)).toEqual([expect.objectContaining({ status: 'in_progress', conclusion: null })]);
    expect(await runPolicyCheck(deps, job)).toMatchObject({ status: 'reported', conclusion: 'success' });
    expect(checkRuns(fake, 'ceos/policy', HEAD_SHA)).toEqual([expect.objectContaining({ status: 'completed', conclusion: 'success' })]);

    // Out of retries, the run ends as neutral and says it could not check, and the job still fails.
    const rerun = { ...job, requestKey: 'rerun:test', trigger: 'rerequested' as const };
    fake.failNext({ operationId: 'pulls/list-files', status: 502 });
    await expect(runPolicyCheck(deps, rerun, { lastAttempt: true })).rejects.toMatchObject({ status: 502 });
    const runs = checkRuns(fake, 'ceos/policy', HEAD_SHA);
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatchObject({ status: 'completed', conclusion: 'neutral', output: expect.objectContaining({ title: 'CEOS could not check the policy' }) });
    expect(fake.violations).toEqual([]);
  });
});
