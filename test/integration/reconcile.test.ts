import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifyAuditChain } from '../../src/db/audit-log.js';
import { enqueueReconcile } from '../../src/jobs/reconcile-queue.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';
import { sendWebhook } from '../helpers/webhooks.js';

const require = createRequire(import.meta.url);

let fake: FakeGitHub | undefined;
let ceos: TestCeos | undefined;
afterEach(async () => {
  await ceos?.stop();
  await fake?.close();
  ceos = undefined;
  fake = undefined;
});

const DAY = 86_400_000;
function daysAgo(n: number): string {
  return new Date(Date.now() - n * DAY).toISOString();
}

const ENFORCE_POLICY = `version: 1
mode: enforce
seats:
  grant:
    teams: [engineering]
    users: [carol]
  deny:
    teams: [contractors]
    users: [mallory]
inactivity:
  revoke_after_days: 60
  exempt: { teams: [leadership], users: [] }
`;

/** A small but realistic org: nested teams, team-assigned, inactive and never-used seats. */
async function realisticOrg(policy: string | null, setting: 'assign_selected' | 'assign_all' = 'assign_selected') {
  fake = await startFakeGitHub();
  fake.addOrg({
    login: 'Acme',
    members: [
      { login: 'alice', role: 'admin' },
      { login: 'Bob' },
      { login: 'carol' },
      { login: 'dave' },
      { login: 'erin' },
      { login: 'grace' },
      { login: 'mallory' },
      { login: 'trent' },
      { login: 'victor' },
      { login: 'walter' },
      { login: 'yuki' },
    ],
    teams: [
      { slug: 'engineering', members: ['alice'] },
      { slug: 'platform', parent: 'engineering', members: ['Bob', 'dave'] },
      { slug: 'sre', parent: 'platform', members: ['yuki'] },
      { slug: 'contractors', members: ['trent'] },
      { slug: 'leadership', members: ['victor'] },
      { slug: 'design', members: ['walter'] },
    ],
    seats: [
      { login: 'Bob', createdAt: daysAgo(300), lastActivityAt: daysAgo(2) },
      { login: 'dave', createdAt: daysAgo(120), lastActivityAt: null },
      { login: 'yuki', createdAt: daysAgo(400), lastActivityAt: daysAgo(61) },
      { login: 'trent', createdAt: daysAgo(30), lastActivityAt: daysAgo(1) },
      { login: 'victor', createdAt: daysAgo(30), lastActivityAt: daysAgo(1) },
      { login: 'mallory', createdAt: daysAgo(30), lastActivityAt: daysAgo(1) },
      { login: 'grace', createdAt: daysAgo(200), lastActivityAt: daysAgo(90) },
      { login: 'walter', createdAt: daysAgo(10), lastActivityAt: daysAgo(1), assigningTeam: 'design' },
    ],
    billing: { seatManagementSetting: setting },
  });
  fake.addInstallation({ id: 77, account: 'Acme' });
  fake.addRepo({ owner: 'Acme', name: '.github' });
  if (policy !== null) fake.putFile({ owner: 'Acme', repo: '.github', path: '.github/copilot-policy.yml', content: policy });
  return fake;
}

function installationCreated() {
  const definitions = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, any>[] }[];
  const example = structuredClone(
    definitions.find((d) => d.name === 'installation')!.examples.find((e) => e.action === 'created')!,
  );
  example.installation.id = 77;
  example.installation.account = { ...example.installation.account, login: 'Acme', id: 9001, type: 'Organization' };
  return example;
}

async function startAgainstFake(github: FakeGitHub) {
  return startTestCeos({ GHE_HOST: github.host, GHE_PROTOCOL: 'http', APP_ID: '4242' });
}

async function waitForPlans(instance: TestCeos, count: number) {
  await vi.waitFor(
    async () => {
      const plans = await instance.database.db.selectFrom('plans').selectAll().where('finished_at', 'is not', null).execute();
      expect(plans.length).toBeGreaterThanOrEqual(count);
    },
    { timeout: 30_000, interval: 50 },
  );
  return instance.database.db.selectFrom('plans').selectAll().orderBy('created_at').execute();
}

function writes(github: FakeGitHub): number {
  return github.requests.filter((r) => r.path.endsWith('/copilot/billing/selected_users')).length;
}

describe(`seat reconciliation end to end (${backend})`, () => {
  it('installation.created syncs, plans and applies; a second run makes no write call', async () => {
    const github = await realisticOrg(ENFORCE_POLICY);
    ceos = await startAgainstFake(github);
    const sent = await sendWebhook(ceos.url, { event: 'installation', payload: installationCreated() });
    expect(sent.status).toBe(202);

    const [first] = await waitForPlans(ceos, 1);
    expect(first!.status).toBe('applied');
    expect(first!.trigger).toBe('install');

    const seats = new Map(github.orgState('Acme').seats.map((s) => [s.login, s]));
    // Granted through engineering (alice directly, yuki through sre → platform → engineering is inactive)
    expect(seats.get('alice')?.pendingCancellationDate).toBeNull();
    expect(seats.get('carol')?.pendingCancellationDate).toBeNull();
    expect(seats.get('Bob')?.pendingCancellationDate).toBeNull();
    // Cancelled: never used for 120 days, inactive 61 days, denied by team, denied by user, not granted.
    for (const login of ['dave', 'yuki', 'trent', 'mallory', 'victor', 'grace']) {
      expect(seats.get(login)?.pendingCancellationDate, login).not.toBeNull();
    }
    // A team-assigned seat is left alone.
    expect(seats.get('walter')?.pendingCancellationDate).toBeNull();
    expect(github.violations).toEqual([]);

    // Per-user outcomes, audit entries and the inactivity overrides are recorded.
    const changes = await ceos.database.db.selectFrom('plan_changes').selectAll().where('plan_id', '=', first!.id).execute();
    expect(changes.map((c) => `${c.op}:${c.login}:${c.status}`).sort()).toEqual(
      ['add:alice:done', 'add:carol:done', 'cancel:dave:done', 'cancel:grace:done', 'cancel:mallory:done', 'cancel:trent:done', 'cancel:victor:done', 'cancel:yuki:done'],
    );
    const overrides = await ceos.database.db.selectFrom('seat_overrides').selectAll().execute();
    expect(overrides.map((o) => `${o.kind}:${o.login}:${o.actor}`).sort()).toEqual(['revoke:dave:ceos', 'revoke:yuki:ceos']);
    expect(overrides.find((o) => o.login === 'dave')!.reason).toMatch(/^inactive 120 days$/);
    const audit = await ceos.database.db.selectFrom('audit_log').select(['action', 'target']).where('org', '=', 'acme').execute();
    expect(audit.filter((a) => a.action === 'seat.added').map((a) => a.target).sort()).toEqual(['alice', 'carol']);
    expect(audit.filter((a) => a.action === 'seat.cancelled')).toHaveLength(6);
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['installation.created', 'policy.loaded', 'override.created', 'reconciliation.applied']));
    expect((await verifyAuditChain(ceos.database.db, { org: 'acme' })).ok).toBe(true);

    // The mirror holds the nested teams and the member roles.
    const teams = await ceos.database.db.selectFrom('org_teams').select(['slug', 'parent_slug']).where('org', '=', 'acme').orderBy('slug').execute();
    expect(teams).toContainEqual({ slug: 'sre', parent_slug: 'platform' });
    const admin = await ceos.database.db.selectFrom('org_members').select('role').where('login_key', '=', 'alice').executeTakeFirstOrThrow();
    expect(admin.role).toBe('admin');

    // Domain events leave the outbox through the one dispatch point.
    await vi.waitFor(async () => {
      const dispatched = await ceos!.metrics.registry.getSingleMetricAsString('ceos_domain_events_total');
      expect(dispatched).toContain('type="seat.changed"');
      expect(dispatched).toContain('type="reconciliation.finished"');
      expect(dispatched).toContain('type="violation.found"');
      // Events recorded after those (the run's last ones) may be a dispatch behind: wait for them too.
      const pending = await ceos!.database.db.selectFrom('domain_events').select(['id', 'type']).where('dispatched_at', 'is', null).execute();
      expect(pending).toEqual([]);
    });

    const writesAfterFirst = writes(github);
    expect(writesAfterFirst).toBe(2);
    await enqueueReconcile(ceos.boss, { org: 'acme', installationId: 77, trigger: 'api', actor: 'api-key:test' });
    const plans = await waitForPlans(ceos, 2);
    const second = plans[1]!;
    expect(second.adds).toBe(0);
    expect(second.cancels).toBe(0);
    expect(writes(github)).toBe(writesAfterFirst);
    expect(github.violations).toEqual([]);
  });

  it('report mode plans the same changes and changes nothing on GitHub', async () => {
    const github = await realisticOrg(ENFORCE_POLICY.replace('mode: enforce', 'mode: report'));
    ceos = await startAgainstFake(github);
    await sendWebhook(ceos.url, { event: 'installation', payload: installationCreated() });
    const [plan] = await waitForPlans(ceos, 1);
    expect(plan!.status).toBe('report_only');
    expect(plan!.adds).toBe(2);
    expect(plan!.cancels).toBe(6);
    expect(writes(github)).toBe(0);
    expect(github.violations).toEqual([]);
  });

  it('changes nothing without a policy file, or when seats are not assigned per user', async () => {
    const github = await realisticOrg(null);
    ceos = await startAgainstFake(github);
    await sendWebhook(ceos.url, { event: 'installation', payload: installationCreated() });
    const [plan] = await waitForPlans(ceos, 1);
    expect(plan!.status).toBe('no_policy');
    github.org('Acme').billing.seatManagementSetting = 'assign_all';
    github.putFile({ owner: 'Acme', repo: '.github', path: '.github/copilot-policy.yml', content: ENFORCE_POLICY });
    await enqueueReconcile(ceos.boss, { org: 'acme', installationId: 77, trigger: 'api', actor: 'api-key:test' });
    const plans = await waitForPlans(ceos, 2);
    expect(plans[1]!.status).toBe('blocked');
    expect(writes(github)).toBe(0);
  });

  it('an invalid policy changes nothing', async () => {
    const github = await realisticOrg(ENFORCE_POLICY.replace('revoke_after_days', 'revoke_afterdays'));
    ceos = await startAgainstFake(github);
    await sendWebhook(ceos.url, { event: 'installation', payload: installationCreated() });
    const [plan] = await waitForPlans(ceos, 1);
    // Stored as invalid, with its problems, never as "no policy".
    expect(plan!.status).toBe('invalid_policy');
    expect(JSON.stringify(plan!.policy_errors)).toContain('revoke_after_days');
    const stored = await ceos.database.db.selectFrom('org_policies').selectAll().executeTakeFirstOrThrow();
    expect(JSON.stringify(stored.errors)).toContain('revoke_after_days');
    expect(writes(github)).toBe(0);
  });
});
