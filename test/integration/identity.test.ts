import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifyAuditChain } from '../../src/db/audit-log.js';
import { RECONCILE_QUEUE, enqueueReconcile } from '../../src/jobs/reconcile-queue.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';
import { waitForDeliveryStatus } from '../helpers/deliveries.js';
import { examplePayload, installationEvent, memberEvent } from '../helpers/payloads.js';
import { sendWebhook } from '../helpers/webhooks.js';

let fake: FakeGitHub | undefined;
let ceos: TestCeos | undefined;
afterEach(async () => {
  await ceos?.stop();
  await fake?.close();
  ceos = undefined;
  fake = undefined;
});

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();
const ACCOUNT_ID = 9001;

const POLICY = `version: 1
mode: enforce
seats:
  grant:
    teams: [engineering]
    users: [carol]
`;

/** Acme: Bob and dave get their seats through engineering, carol by name; mallory's seat is not granted. */
async function acme(): Promise<FakeGitHub> {
  fake = await startFakeGitHub();
  fake.addOrg({
    login: 'Acme',
    id: ACCOUNT_ID,
    members: [{ login: 'alice', role: 'admin' }, { login: 'Bob' }, { login: 'carol' }, { login: 'dave' }, { login: 'mallory' }],
    teams: [{ slug: 'engineering', members: ['Bob', 'dave'] }],
    seats: [
      { login: 'Bob', createdAt: daysAgo(100), lastActivityAt: daysAgo(1) },
      { login: 'carol', createdAt: daysAgo(100), lastActivityAt: daysAgo(1) },
      { login: 'dave', createdAt: daysAgo(100), lastActivityAt: daysAgo(1) },
      { login: 'mallory', createdAt: daysAgo(100), lastActivityAt: daysAgo(1) },
    ],
    billing: { seatManagementSetting: 'assign_selected' },
  });
  fake.addInstallation({ id: 77, account: 'Acme' });
  fake.addRepo({ owner: 'Acme', name: '.github' });
  fake.putFile({ owner: 'Acme', repo: '.github', path: '.github/copilot-policy.yml', content: POLICY });
  return fake;
}

async function start(github: FakeGitHub): Promise<TestCeos> {
  ceos = await startTestCeos({ GHE_HOST: github.host, GHE_PROTOCOL: 'http', APP_ID: '4242' });
  return ceos;
}

async function deliver(instance: TestCeos, event: string, payload: unknown): Promise<void> {
  const sent = await sendWebhook(instance.url, { event, payload });
  expect(sent.status).toBe(202);
  await waitForDeliveryStatus(instance.database.db, sent.id, 'processed');
}

/** Waits until `count` plans of the organization key are finished, and returns them oldest first. */
async function finishedPlans(instance: TestCeos, org: string, count: number) {
  await vi.waitFor(
    async () => {
      const rows = await instance.database.db.selectFrom('plans').select('id').where('org', '=', org).where('finished_at', 'is not', null).execute();
      expect(rows.length).toBeGreaterThanOrEqual(count);
    },
    { timeout: 30_000, interval: 50 },
  );
  return instance.database.db.selectFrom('plans').selectAll().where('org', '=', org).orderBy('created_at').execute();
}

/** Seat writes (adds and cancellations) the fake received. */
const seatWrites = (github: FakeGitHub) => github.requests.filter((r) => r.path.endsWith('/copilot/billing/selected_users'));

/** Waits for a reconciliation run of `org` to fail with a message matching `pattern`; returns the job. */
async function failedRun(instance: TestCeos, org: string, pattern: RegExp) {
  let failed: { state: string; output: unknown } | undefined;
  await vi.waitFor(
    async () => {
      const jobs = await instance.boss.findJobs<{ org: string }>(RECONCILE_QUEUE);
      failed = jobs.find((j) => j.data.org === org && (j.state === 'retry' || j.state === 'failed'));
      expect(failed).toBeDefined();
    },
    { timeout: 30_000, interval: 50 },
  );
  expect(JSON.stringify(failed!.output)).toMatch(pattern);
  return failed!;
}

async function installed(): Promise<{ github: FakeGitHub; instance: TestCeos }> {
  const github = await acme();
  const instance = await start(github);
  await deliver(instance, 'installation', installationEvent('created', { login: 'Acme', installationId: 77, accountId: ACCOUNT_ID }));
  const [first] = await finishedPlans(instance, 'acme', 1);
  // mallory's seat is the only change.
  expect(first).toMatchObject({ status: 'applied', adds: 0, cancels: 1 });
  expect(seatWrites(github)).toHaveLength(1);
  // The install run's ceos/compliance report is out before the test goes on.
  await vi.waitFor(() => expect(github.repo('Acme', '.github').checkRuns.size).toBeGreaterThan(0), { timeout: 20_000, interval: 50 });
  return { github, instance };
}

describe(`identity by GitHub user id (${backend})`, () => {
  it('a renamed user keeps their seat: the seat list has the new login, the mirror the old one, and nothing is written', async () => {
    const { github, instance } = await installed();
    github.renameUser('Bob', 'Robert');
    github.renameUser('carol', 'caroline');

    // A run that re-reads the seats but not the members: the mirror still says Bob and carol.
    await enqueueReconcile(instance.boss, { org: 'acme', installationId: 77, trigger: 'api', actor: 'api-key:test' });
    const plans = await finishedPlans(instance, 'acme', 2);
    expect(plans[1]).toMatchObject({ adds: 0, cancels: 0 });
    expect(seatWrites(github)).toHaveLength(1);

    const mirror = await instance.database.db.selectFrom('org_members').select(['login', 'user_id']).where('org', '=', 'acme').where('user_id', '=', String(github.org('Acme').member('Robert')!.user.id)).execute();
    expect(mirror).toEqual([{ login: 'Bob', user_id: String(github.org('Acme').member('Robert')!.user.id) }]);
    const seats = await instance.database.db.selectFrom('copilot_seats').select('login').where('org', '=', 'acme').execute();
    expect(seats.map((s) => s.login).sort()).toEqual(['Robert', 'caroline', 'dave', 'mallory']);

    // A full sync learns the new logins under the same rows; Robert keeps his seat through his team.
    await enqueueReconcile(instance.boss, { org: 'acme', installationId: 77, trigger: 'resync', actor: 'schedule', refreshGraph: true });
    const synced = await finishedPlans(instance, 'acme', 3);
    const members = await instance.database.db.selectFrom('org_members').select('login').where('org', '=', 'acme').where('present', '=', true).execute();
    expect(members.map((m) => m.login).sort()).toEqual(['Robert', 'alice', 'caroline', 'dave', 'mallory']);
    const teams = await instance.database.db.selectFrom('org_team_members').select('login').where('org', '=', 'acme').execute();
    expect(teams.map((m) => m.login).sort()).toEqual(['Robert', 'dave']);
    // The policy still names carol, a login nobody has now: her seat is no longer granted, and the
    // plan says the name matches no one.
    const plan = synced[2]!.plan as { toCancel: { login: string; reason: { code: string } }[]; notAdded: { login: string; reason: { code: string } }[] };
    expect(plan.toCancel.map((e) => [e.login, e.reason.code])).toEqual([['caroline', 'not_granted']]);
    expect(plan.notAdded.map((e) => [e.login, e.reason.code])).toEqual([['carol', 'not_org_member']]);
    expect(github.violations).toEqual([]);
  });

  it('a renamed organization: its rows follow it, later webhooks land there, the audit chains verify, and the next run converges', async () => {
    const { github, instance } = await installed();
    const db = instance.database.db;
    const membersBefore = await db.selectFrom('org_members').select('user_id').where('org', '=', 'acme').execute();
    expect(await instance.boss.getSchedules(RECONCILE_QUEUE, 'acme')).toHaveLength(1);

    github.renameOrg('Acme', 'Acme-Labs');
    // A membership event under the new name that comes before organization.renamed is kept, not dropped.
    await deliver(instance, 'organization', memberEvent('member_added', { login: 'Acme-Labs', installationId: 77, accountId: ACCOUNT_ID }, { login: 'zed', id: 4242 }));
    github.org('Acme-Labs').addMember('zed');

    const renamed = examplePayload('organization', 'renamed');
    renamed.organization = { ...renamed.organization, login: 'Acme-Labs', id: ACCOUNT_ID };
    renamed.changes = { login: { from: 'Acme' } };
    renamed.installation = { ...renamed.installation, id: 77 };
    await deliver(instance, 'organization', renamed);

    const installation = await db.selectFrom('installations').select(['org', 'account_login']).where('id', '=', '77').executeTakeFirstOrThrow();
    expect(installation).toEqual({ org: 'acme-labs', account_login: 'Acme-Labs' });
    for (const table of ['org_members', 'org_teams', 'org_team_members', 'copilot_seats', 'copilot_billing', 'org_policies', 'plans'] as const) {
      const left = await db.selectFrom(table).select('org').where('org', '=', 'acme').execute();
      expect(left, table).toEqual([]);
    }
    const membersAfter = await db.selectFrom('org_members').select(['user_id', 'login']).where('org', '=', 'acme-labs').execute();
    expect(membersAfter.length).toBe(membersBefore.length + 1);
    expect(membersAfter.map((m) => m.login)).toContain('zed');

    // The rename's full sync runs under the new key and changes nothing: the org had converged.
    const plans = await finishedPlans(instance, 'acme-labs', 2);
    expect(plans[1]).toMatchObject({ org: 'acme-labs', adds: 0, cancels: 0 });
    expect(seatWrites(github)).toHaveLength(1);

    // Membership webhooks after the rename land under the new key.
    await deliver(instance, 'organization', memberEvent('member_removed', { login: 'Acme-Labs', installationId: 77, accountId: ACCOUNT_ID }, { login: 'zed', id: 4242 }));
    const zed = await db.selectFrom('org_members').select(['org', 'present']).where('user_id', '=', '4242').executeTakeFirstOrThrow();
    expect(zed).toEqual({ org: 'acme-labs', present: false });

    // The schedule moved to the new key.
    await vi.waitFor(async () => expect(await instance.boss.getSchedules(RECONCILE_QUEUE, 'acme-labs')).toHaveLength(1), { timeout: 10_000, interval: 50 });
    expect(await instance.boss.getSchedules(RECONCILE_QUEUE, 'acme')).toEqual([]);

    // Audit entries stay where they were written; the old chain ends with the rename, the new one
    // starts with it and names the old chain's head.
    const oldChain = await db.selectFrom('audit_log').select(['seq', 'action', 'target', 'hash']).where('org', '=', 'acme').orderBy('seq', 'desc').execute();
    expect(oldChain[0]).toMatchObject({ action: 'organization.renamed', target: 'Acme-Labs' });
    expect(oldChain.map((e) => e.action)).toContain('seat.cancelled');
    const newChain = await db.selectFrom('audit_log').select(['seq', 'action', 'target', 'details']).where('org', '=', 'acme-labs').orderBy('seq').execute();
    expect(newChain[0]).toMatchObject({ seq: '1', action: 'organization.renamed', target: 'Acme' });
    expect(newChain[0]!.details).toMatchObject({ previousChain: { org: 'acme', seq: Number(oldChain[0]!.seq), hash: oldChain[0]!.hash } });
    const verified = await verifyAuditChain(db);
    expect(verified.ok).toBe(true);
    expect(verified.broken).toEqual([]);

    // A redelivery changes nothing more.
    await deliver(instance, 'organization', renamed);
    expect(await db.selectFrom('audit_log').select('id').where('action', '=', 'organization.renamed').execute()).toHaveLength(2);
    expect(github.violations).toEqual([]);
  });
});

describe(`torn syncs fail the run, which plans nothing (${backend})`, () => {
  it('a member listing shorter than its totalCount', async () => {
    const github = await acme();
    // GitHub counts dave but answers his node as null.
    github.org('Acme').hideFromListings('dave', 'members');
    const instance = await start(github);
    await deliver(instance, 'installation', installationEvent('created', { login: 'Acme', installationId: 77, accountId: ACCOUNT_ID }));

    await failedRun(instance, 'acme', /torn sync of Acme: GitHub counted 5 members but listed 4 usable ones/);
    expect(await instance.database.db.selectFrom('plans').select('id').execute()).toEqual([]);
    expect(seatWrites(github)).toEqual([]);
    // Nothing of the torn read was kept as if whole.
    expect(await instance.database.db.selectFrom('org_members').select('user_id').execute()).toEqual([]);
  });

  it('a seat list shorter than total_seats', async () => {
    const { github, instance } = await installed();
    const plansBefore = await instance.database.db.selectFrom('plans').select('id').execute();
    // The seat list leaves out carol's seat while total_seats counts it.
    github.org('Acme').hideFromListings('carol', 'seats');
    await enqueueReconcile(instance.boss, { org: 'acme', installationId: 77, trigger: 'api', actor: 'api-key:test' });

    await failedRun(instance, 'acme', /torn sync of Acme: GitHub counted 4 Copilot seats but listed 3 usable ones/);
    expect(await instance.database.db.selectFrom('plans').select('id').execute()).toEqual(plansBefore);
    expect(seatWrites(github)).toHaveLength(1);
    // The mirror keeps the last whole seat list.
    const seats = await instance.database.db.selectFrom('copilot_seats').select('login').where('org', '=', 'acme').execute();
    expect(seats.map((s) => s.login).sort()).toEqual(['Bob', 'carol', 'dave', 'mallory']);
  });
});
