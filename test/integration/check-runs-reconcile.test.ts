import { afterEach, describe, expect, it } from 'vitest';
import { enqueueReconcile } from '../../src/jobs/reconcile-queue.js';
import { backend } from '../helpers/database.js';
import { sendWebhook } from '../helpers/webhooks.js';
import {
  ENFORCE_POLICY,
  HEAD_SHA,
  POLICY_PATH,
  type Scenario,
  checkRuns,
  fixture,
  startScenario,
  setDefaultBranchHead,
  waitForCompletedRuns,
  waitForDelivery,
  waitForLog,
  waitForPlans,
} from './check-runs-setup.js';

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

const MAIN_SHA = 'c0ffee0000000000000000000000000000000001';

/** The policy as merged: on main, and at the pushed commit. */
function mergePolicy(s: Scenario, policy: string): void {
  s.fake.putFile({ owner: 'Acme', repo: '.github', path: POLICY_PATH, content: policy });
  s.fake.putFile({ owner: 'Acme', repo: '.github', path: POLICY_PATH, content: policy, ref: HEAD_SHA });
}

function selectedUserWrites(s: Scenario): number {
  return s.fake.requests.filter((r) => r.path.endsWith('/copilot/billing/selected_users')).length;
}

describe(`ceos/reconcile on pushes to the policy repository (${backend})`, () => {
  it('reports what a pushed policy changed on the pushed commit', async () => {
    scenario = await startScenario({ mainPolicy: null });
    mergePolicy(scenario, ENFORCE_POLICY);
    const sent = await sendWebhook(scenario.ceos.url, { event: 'push', payload: fixture('push') });
    expect(sent.status).toBe(202);

    const [run] = await waitForCompletedRuns(scenario.fake, 'ceos/reconcile', HEAD_SHA);
    const plans = await waitForPlans(scenario.ceos, 2);
    const plan = plans.find((p) => p.trigger === 'push')!;
    expect(plan.actor).toBe('octocat');
    expect(run!.conclusion).toBe('success');
    expect(run!.output.title).toBe('Seats reconciled: added 2 seats and cancelled 2 seats');
    expect(run!.externalId).toBe(plan.id);
    const summary = run!.output.summary!;
    expect(summary.length).toBeLessThanOrEqual(65_535);
    expect(summary).toMatch(/### Seats added \(2\)[\s\S]*\| `@alice` \|[\s\S]*\| `@carol` \|/);
    expect(summary).toMatch(/### Seats cancelled \(2\)[\s\S]*\| `@dave` \|[\s\S]*\| `@mallory` \|/);
    expect(summary).toContain(`Plan \`${plan.id}\``);
    expect(selectedUserWrites(scenario)).toBe(2);
    expect(scenario.fake.violations).toEqual([]);
  });

  it('says nothing was changed when the pushed policy is in report mode', async () => {
    scenario = await startScenario({ mainPolicy: null });
    mergePolicy(scenario, ENFORCE_POLICY.replace('mode: enforce', 'mode: report'));
    await sendWebhook(scenario.ceos.url, { event: 'push', payload: fixture('push') });
    const [run] = await waitForCompletedRuns(scenario.fake, 'ceos/reconcile', HEAD_SHA);
    expect(run!.conclusion).toBe('neutral');
    expect(run!.output.title).toBe('Report mode: nothing changed (the plan adds 2 seats and cancels 2 seats)');
    expect(run!.output.summary).toContain('Nothing was changed because the policy is in report mode.');
    expect(selectedUserWrites(scenario)).toBe(0);
    expect(scenario.fake.violations).toEqual([]);
  });

  it('cuts a long report to the Checks API limit and says where the whole plan is stored', async () => {
    scenario = await startScenario({ mainPolicy: null, extraEngineers: 3000 });
    mergePolicy(scenario, ENFORCE_POLICY.replace('mode: enforce', 'mode: report'));
    await sendWebhook(scenario.ceos.url, { event: 'push', payload: fixture('push') });
    const [run] = await waitForCompletedRuns(scenario.fake, 'ceos/reconcile', HEAD_SHA);
    const plan = (await waitForPlans(scenario.ceos, 2)).find((p) => p.trigger === 'push')!;
    expect(plan.adds).toBe(3002);
    const summary = run!.output.summary!;
    expect(summary.length).toBeLessThanOrEqual(65_535);
    expect(summary.length).toBeGreaterThan(50_000);
    expect(summary).toMatch(new RegExp(`more rows not shown\\. The full plan is stored as plan \`${plan.id}\``));
    expect(scenario.fake.violations).toEqual([]);
  });

  it('fails with annotations when the pushed policy does not validate, and changes nothing', async () => {
    scenario = await startScenario({ mainPolicy: null });
    mergePolicy(scenario, ENFORCE_POLICY.replace('users: [carol]', 'users: [carol]\n    teamz: [design]'));
    await sendWebhook(scenario.ceos.url, { event: 'push', payload: fixture('push') });
    const [run] = await waitForCompletedRuns(scenario.fake, 'ceos/reconcile', HEAD_SHA);
    expect(run!.conclusion).toBe('failure');
    expect(run!.output.title).toBe('Policy invalid: 1 problem; nothing changed');
    expect(run!.annotations).toEqual([expect.objectContaining({ path: POLICY_PATH, start_line: 7, end_line: 7, annotation_level: 'failure' })]);
    expect(selectedUserWrites(scenario)).toBe(0);
    expect(scenario.fake.violations).toEqual([]);
  });

  it('compares the policy before and after a push whose commit list does not tell', async () => {
    scenario = await startScenario({ mainPolicy: null });
    mergePolicy(scenario, ENFORCE_POLICY);
    const payload = fixture('push');
    payload.commits = [];
    await sendWebhook(scenario.ceos.url, { event: 'push', payload });
    const [run] = await waitForCompletedRuns(scenario.fake, 'ceos/reconcile', HEAD_SHA);
    expect(run!.conclusion).toBe('success');
    expect(scenario.fake.requestsTo('repos/get-content').map((r) => r.query.ref)).toEqual(
      expect.arrayContaining([payload.before as string, HEAD_SHA]),
    );
    expect(scenario.fake.violations).toEqual([]);
  });

  it('ignores pushes to other branches and pushes that leave the policy alone', async () => {
    scenario = await startScenario({ mainPolicy: ENFORCE_POLICY });
    const { ceos, fake } = scenario;
    const otherBranch = fixture('push');
    otherBranch.ref = 'refs/heads/grant-platform';
    const readmeOnly = fixture('push');
    readmeOnly.commits[0].modified = ['README.md'];
    readmeOnly.head_commit.modified = ['README.md'];
    const elsewhere = fixture('push');
    elsewhere.repository.name = 'website';
    elsewhere.repository.full_name = 'Acme/website';
    // The whole list is known and the policy is not in it: no comparison is needed either.
    fake.clearLog();
    for (const payload of [otherBranch, readmeOnly, elsewhere]) {
      const sent = await sendWebhook(ceos.url, { event: 'push', payload });
      await waitForDelivery(ceos, sent.id);
    }
    const jobs = await ceos.boss.findJobs<{ trigger: string }>('reconcile-org');
    expect(jobs.filter((job) => job.data.trigger === 'push')).toEqual([]);
    expect(await ceos.database.db.selectFrom('plans').select('trigger').where('trigger', '=', 'push').execute()).toEqual([]);
    expect(checkRuns(fake, 'ceos/reconcile', HEAD_SHA)).toEqual([]);
    expect(fake.requests).toEqual([]);
    expect(fake.violations).toEqual([]);
  });
});

describe(`ceos/compliance after scheduled reconciliations (${backend})`, () => {
  it('reports the violations left on the head of the default branch, one run per commit', async () => {
    scenario = await startScenario({ mainPolicy: ENFORCE_POLICY.replace('mode: enforce', 'mode: report') });
    setDefaultBranchHead(scenario.fake, MAIN_SHA);
    const { ceos, fake } = scenario;
    // Usage metrics switched off by the organization's owners: the check says so, with GitHub's words.
    await ceos.database.db
      .insertInto('usage_collection')
      .values({ org: 'acme', status: 'unavailable', http_status: 403, message: 'Copilot Metrics API access is disabled for this organization.' })
      .execute();
    const schedule = { org: 'acme', installationId: 77, trigger: 'schedule' as const, actor: 'schedule', report: { kind: 'compliance_check' as const } };
    await enqueueReconcile(ceos.boss, schedule);

    const [run] = await waitForCompletedRuns(fake, 'ceos/compliance', MAIN_SHA);
    expect(run!.conclusion).toBe('failure');
    expect(run!.output.title).toBe('2 violations');
    const summary = run!.output.summary!;
    expect(summary.length).toBeLessThanOrEqual(65_535);
    expect(summary).toContain('breaks its Copilot policy in 2 ways');
    expect(summary).toMatch(/Seats held outside the policy[\s\S]*`@dave`/);
    expect(summary).toContain('`@mallory`');
    expect(summary).toContain('### Cost and usage');
    expect(summary).toMatch(/- \*\*Monthly cost\*\*: [\d,.]+ USD/);
    expect(summary).toContain('⚠️ **Usage metrics unavailable** (HTTP 403): GitHub said “Copilot Metrics API access is disabled for this organization.”');
    const plans = await waitForPlans(ceos, 2);
    expect(run!.externalId).toBe(plans.find((p) => p.trigger === 'schedule')!.id);
    expect(scenario.fake.requestsTo('repos/get-branch').length).toBeGreaterThan(0);

    // The next scheduled run refreshes the same run rather than adding one.
    await enqueueReconcile(ceos.boss, schedule);
    await waitForLog(scenario, 'compliance check reported', 2);
    const runs = checkRuns(fake, 'ceos/compliance', MAIN_SHA);
    expect(runs).toHaveLength(1);
    const latest = await waitForPlans(ceos, 3);
    expect(runs[0]!.externalId).toBe(latest[latest.length - 1]!.id);
    expect(fake.count('checks/create')).toBe(1);
    expect(fake.violations).toEqual([]);
  });

  it('reports success when the organization follows its policy', async () => {
    scenario = await startScenario({ mainPolicy: ENFORCE_POLICY });
    setDefaultBranchHead(scenario.fake, MAIN_SHA);
    await enqueueReconcile(scenario.ceos.boss, {
      org: 'acme',
      installationId: 77,
      trigger: 'resync',
      actor: 'schedule',
      refreshGraph: true,
      report: { kind: 'compliance_check' },
    });
    const [run] = await waitForCompletedRuns(scenario.fake, 'ceos/compliance', MAIN_SHA);
    expect(run!.conclusion).toBe('success');
    expect(run!.output.title).toBe('No violations');
    expect(scenario.fake.violations).toEqual([]);
  });

  it('skips the report when the organization has no policy repository', async () => {
    scenario = await startScenario({ withRepository: false });
    await enqueueReconcile(scenario.ceos.boss, {
      org: 'acme',
      installationId: 77,
      trigger: 'schedule',
      actor: 'schedule',
      report: { kind: 'compliance_check' },
    });
    const [line] = await waitForLog(scenario, 'compliance check skipped: no policy repository branch to report on');
    expect(line).toMatchObject({ reason: 'no_repository', repo: 'Acme/.github' });
    expect(scenario.fake.count('checks/create')).toBe(0);
    expect(scenario.fake.violations).toEqual([]);
  });
});
