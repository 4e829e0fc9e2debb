import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RECONCILE_QUEUE, enqueueReconcile } from '../../src/jobs/reconcile-queue.js';
import type { Plan } from '../../src/domain/plan-types.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import type { FakeRepo } from '../fake-github/index.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { runCli } from '../helpers/cli.js';
import { backend, cliDatabase } from '../helpers/database.js';
import { installationEvent, memberEvent } from '../helpers/payloads.js';
import { sendWebhook } from '../helpers/webhooks.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>;

let fake: FakeGitHub | undefined;
let ceos: TestCeos | undefined;
const authored = new Set<number>();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  authored.clear();
  // The instance first: dropping a schema it still uses deadlocks with its queries.
  await ceos?.stop();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await fake?.close();
  ceos = undefined;
  fake = undefined;
});

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();
const ACME = { login: 'Acme', installationId: 77 };

/** Every seat write the fake received, as `POST a,b` / `DELETE c`, logins sorted. */
function seatWrites(github: FakeGitHub): string[] {
  return github.requests
    .filter((r) => r.path.endsWith('/copilot/billing/selected_users'))
    .map((r) => `${r.method} ${[...((r.body as { selected_usernames: string[] }).selected_usernames ?? [])].sort().join(',')}`);
}

async function startAgainst(github: FakeGitHub): Promise<TestCeos> {
  ceos = await startTestCeos({ GHE_HOST: github.host, GHE_PROTOCOL: 'http', APP_ID: '4242' });
  // Retries come within a second, so a test sees a failed run retried without waiting minutes.
  await ceos.boss.updateQueue(RECONCILE_QUEUE, { retryDelay: 1, retryBackoff: false });
  return ceos;
}

async function plans(instance: TestCeos) {
  return instance.database.db.selectFrom('plans').selectAll().orderBy('created_at').execute();
}

async function waitFor<T>(fn: () => Promise<T>, timeout = 30_000): Promise<T> {
  return vi.waitFor(fn, { timeout, interval: 50 });
}

/**
 * Waits until the run has failed and waits to be retried. pg-boss takes a retried job at its next
 * poll, up to 30 seconds later on a queue that is notified of new jobs; tests that wait for the
 * retry itself allow for that.
 */
async function waitForRetry(instance: TestCeos, jobId: string) {
  await waitFor(async () => {
    const job = await instance.boss.getJobById(RECONCILE_QUEUE, jobId);
    expect(job?.state === 'retry' || (job?.retryCount ?? 0) >= 1).toBe(true);
  });
}

/** Long enough for a retried run to be polled for and carried out. */
const RETRY_WAIT = 90_000;

describe(`a mirror CEOS can trust (${backend})`, () => {
  it('a never-synced mirror and a membership webhook cancel nothing: the run syncs first, and retries while GitHub fails', { timeout: 150_000 }, async () => {
    fake = await startFakeGitHub();
    const github = fake;
    github.addOrg({
      login: 'Acme',
      members: [{ login: 'alice', role: 'admin' }, { login: 'bob' }, { login: 'carol' }, { login: 'dave' }],
      seats: ['bob', 'carol', 'dave'].map((login) => ({ login, createdAt: daysAgo(40), lastActivityAt: daysAgo(1) })),
      billing: { seatManagementSetting: 'assign_selected' },
    });
    github.addInstallation({ id: 77, account: 'Acme' });
    github.addRepo({ owner: 'Acme', name: '.github' });
    // The safeguard would hold these cancellations anyway; with it out of the way only the mirror's trust is tested.
    github.putFile({
      owner: 'Acme',
      repo: '.github',
      path: '.github/copilot-policy.yml',
      content: 'version: 1\nmode: enforce\nseats:\n  grant:\n    users: [bob, carol, dave]\nsafeguards:\n  max_cancellations: "100%"\n',
    });
    let graphqlDown = true;
    github.failNext({ pathPattern: '/graphql', status: 502, times: Infinity, when: () => graphqlDown });
    const instance = await startAgainst(github);

    expect((await sendWebhook(instance.url, { event: 'installation', payload: installationEvent('created', ACME) })).status).toBe(202);
    await waitFor(async () => expect(await instance.database.db.selectFrom('installations').select('id').execute()).toHaveLength(1));
    // One member becomes known from a webhook, and a run plans without refreshing the graph, as the debounced run would.
    const bob = github.state.users.ensure('bob');
    expect((await sendWebhook(instance.url, { event: 'organization', payload: memberEvent('member_added', ACME, { login: 'bob', id: bob.id }) })).status).toBe(202);
    await waitFor(async () => expect(await instance.database.db.selectFrom('org_members').select('login').execute()).toEqual([{ login: 'bob' }]));
    const jobId = await enqueueReconcile(instance.boss, { org: 'acme', installationId: 77, trigger: 'webhook', actor: 'ceos' });
    await waitForRetry(instance, jobId!);

    // No plan was made from one known member; nothing was written to GitHub.
    expect(await plans(instance)).toEqual([]);
    expect(seatWrites(github)).toEqual([]);
    expect(github.requests.some((r) => r.path === '/graphql' && r.status === 502)).toBe(true);

    graphqlDown = false;
    await waitFor(async () => {
      const done = (await plans(instance)).filter((p) => p.finished_at !== null);
      expect(done.length).toBeGreaterThanOrEqual(2);
    }, RETRY_WAIT);
    for (const plan of await plans(instance)) {
      expect(plan.cancels, plan.trigger).toBe(0);
      expect(plan.status).toBe('applied');
    }
    expect(seatWrites(github)).toEqual([]);
    const state = await instance.database.db.selectFrom('org_sync_state').selectAll().executeTakeFirstOrThrow();
    expect(state.members_synced_at).not.toBeNull();
    expect(github.violations).toEqual([]);
  });

  it('a member sync failing on page 7 of 10 cancels nothing; the run retries and converges', { timeout: 150_000 }, async () => {
    fake = await startFakeGitHub();
    const github = fake;
    const members = [{ login: 'alice', role: 'admin' as const }, ...Array.from({ length: 999 }, (_, i) => ({ login: `m${String(i).padStart(4, '0')}` }))];
    // The seat holders are on the last pages of the member list: a partial read would lose them.
    const holders = members.slice(600).map((m) => m.login);
    github.addOrg({
      login: 'Acme',
      members,
      teams: [{ slug: 'everyone', members: members.map((m) => m.login) }],
      seats: holders.map((login) => ({ login, createdAt: daysAgo(40), lastActivityAt: daysAgo(1) })),
      billing: { seatManagementSetting: 'assign_selected' },
    });
    github.addInstallation({ id: 77, account: 'Acme' });
    github.addRepo({ owner: 'Acme', name: '.github' });
    github.putFile({
      owner: 'Acme',
      repo: '.github',
      path: '.github/copilot-policy.yml',
      content: 'version: 1\nmode: enforce\nseats:\n  grant:\n    teams: [everyone]\n  max: 400\nsafeguards:\n  max_cancellations: "100%"\n',
    });
    const instance = await startAgainst(github);
    await sendWebhook(instance.url, { event: 'installation', payload: installationEvent('created', ACME) });
    await waitFor(async () => expect((await plans(instance)).filter((p) => p.finished_at !== null)).toHaveLength(1));
    expect((await plans(instance))[0]!.cancels).toBe(0);
    github.clearLog();

    // The 7th page of members (of 10) fails on every attempt until GitHub recovers.
    let graphqlCalls = 0;
    let down = true;
    github.failNext({
      pathPattern: '/graphql',
      status: 502,
      times: Infinity,
      when: (r) => {
        const query = String((r.body as { query?: string } | undefined)?.query ?? '');
        const variables = (r.body as { variables?: { withMembers?: boolean } } | undefined)?.variables;
        if (!query.includes('membersWithRole') || variables?.withMembers !== true) return false;
        graphqlCalls++;
        return down && graphqlCalls % 10 === 7;
      },
    });
    const jobId = await enqueueReconcile(instance.boss, { org: 'acme', installationId: 77, trigger: 'resync', actor: 'schedule', refreshGraph: true });
    await waitForRetry(instance, jobId!);
    expect(await plans(instance)).toHaveLength(1);
    expect(seatWrites(github)).toEqual([]);

    down = false;
    await waitFor(async () => expect((await plans(instance)).filter((p) => p.finished_at !== null)).toHaveLength(2), RETRY_WAIT);
    const latest = (await plans(instance))[1]!;
    expect(latest.status).toBe('applied');
    expect(latest.cancels).toBe(0);
    expect(seatWrites(github)).toEqual([]);
    expect(github.violations).toEqual([]);
  });

  it('confirms a departure with GitHub before cancelling: a failed lookup holds it, a member found re-syncs', async () => {
    fake = await startFakeGitHub();
    const github = fake;
    github.addOrg({
      login: 'Acme',
      members: [{ login: 'alice', role: 'admin' }, { login: 'bob' }, { login: 'dave' }],
      seats: ['bob', 'dave'].map((login) => ({ login, createdAt: daysAgo(40), lastActivityAt: daysAgo(1) })),
      billing: { seatManagementSetting: 'assign_selected' },
    });
    github.addInstallation({ id: 77, account: 'Acme' });
    github.addRepo({ owner: 'Acme', name: '.github' });
    github.putFile({ owner: 'Acme', repo: '.github', path: '.github/copilot-policy.yml', content: 'version: 1\nmode: enforce\nseats:\n  grant:\n    users: [bob, dave]\n' });
    const instance = await startAgainst(github);
    await sendWebhook(instance.url, { event: 'installation', payload: installationEvent('created', ACME) });
    await waitFor(async () => expect((await plans(instance)).filter((p) => p.finished_at !== null)).toHaveLength(1));
    github.clearLog();

    // A removal webhook for dave arrives, but dave is a member again (the webhook of his return was lost).
    const dave = github.state.users.ensure('dave');
    await sendWebhook(instance.url, { event: 'organization', payload: memberEvent('member_removed', ACME, { login: 'dave', id: dave.id }) });
    await waitFor(async () => expect(await instance.database.db.selectFrom('org_members').select('login').where('present', '=', true).orderBy('login').execute()).toEqual([{ login: 'alice' }, { login: 'bob' }]));
    let lookupsDown = true;
    github.failNext({ pathPattern: '/orgs/{org}/members/{username}', status: 502, times: Infinity, when: () => lookupsDown });
    await enqueueReconcile(instance.boss, { org: 'acme', installationId: 77, trigger: 'webhook', actor: 'ceos' });
    await waitFor(async () => expect((await plans(instance)).filter((p) => p.finished_at !== null)).toHaveLength(2));

    // The lookup failed: no verdict, so the seat is held, not cancelled, and said so.
    const held = (await plans(instance))[1]!.plan as Plan;
    expect(held.toCancel).toEqual([]);
    expect(held.leftAlone.map((e) => `${e.login}:${e.reason.code}`)).toEqual(['dave:membership_unconfirmed']);
    expect(github.requests.filter((r) => r.operationId === 'orgs/check-membership-for-user').map((r) => `${r.params.username}:${r.status}`)).toEqual(['dave:502']);
    expect(github.requests.filter((r) => r.path === '/graphql')).toEqual([]);
    expect(seatWrites(github)).toEqual([]);

    // GitHub answers now: dave is a member, so the mirror is out of date and is synced whole before planning.
    lookupsDown = false;
    github.clearLog();
    await enqueueReconcile(instance.boss, { org: 'acme', installationId: 77, trigger: 'webhook', actor: 'ceos' });
    await waitFor(async () => expect((await plans(instance)).filter((p) => p.finished_at !== null)).toHaveLength(3));
    const settled = (await plans(instance))[2]!.plan as Plan;
    expect(settled.toCancel).toEqual([]);
    expect(settled.leftAlone).toEqual([]);
    expect(github.requests.filter((r) => r.operationId === 'orgs/check-membership-for-user').map((r) => `${r.params.username}:${r.status}`)).toEqual(['dave:204']);
    expect(github.requests.filter((r) => r.path === '/graphql').length).toBeGreaterThan(0);
    expect(await instance.database.db.selectFrom('org_members').select('login').where('present', '=', true).orderBy('login').execute()).toEqual([{ login: 'alice' }, { login: 'bob' }, { login: 'dave' }]);
    expect(seatWrites(github)).toEqual([]);
    expect(github.violations).toEqual([]);
  });

  it('re-syncs a mirror older than CEOS_MIRROR_MAX_AGE_HOURS before a plan that cancels', async () => {
    fake = await startFakeGitHub();
    const github = fake;
    github.addOrg({
      login: 'Acme',
      members: [{ login: 'alice', role: 'admin' }, { login: 'bob' }, { login: 'carol' }],
      seats: ['bob', 'carol'].map((login) => ({ login, createdAt: daysAgo(40), lastActivityAt: daysAgo(1) })),
      billing: { seatManagementSetting: 'assign_selected' },
    });
    github.addInstallation({ id: 77, account: 'Acme' });
    github.addRepo({ owner: 'Acme', name: '.github' });
    github.putFile({ owner: 'Acme', repo: '.github', path: '.github/copilot-policy.yml', content: 'version: 1\nmode: enforce\nseats:\n  grant:\n    users: [bob, carol]\n' });
    const instance = await startAgainst(github);
    await sendWebhook(instance.url, { event: 'installation', payload: installationEvent('created', ACME) });
    await waitFor(async () => expect((await plans(instance)).filter((p) => p.finished_at !== null)).toHaveLength(1));
    // The last full sync was two days ago; carol has been granted nothing since the policy changed.
    await instance.database.db.updateTable('org_sync_state').set({ members_synced_at: new Date(Date.now() - 2 * DAY) }).execute();
    github.putFile({ owner: 'Acme', repo: '.github', path: '.github/copilot-policy.yml', content: 'version: 1\nmode: enforce\nseats:\n  grant:\n    users: [bob]\n' });
    github.clearLog();
    await enqueueReconcile(instance.boss, { org: 'acme', installationId: 77, trigger: 'schedule', actor: 'schedule' });
    await waitFor(async () => expect((await plans(instance)).filter((p) => p.finished_at !== null)).toHaveLength(2));
    expect(github.requests.filter((r) => r.path === '/graphql').length).toBeGreaterThan(0);
    expect(seatWrites(github)).toEqual(['DELETE carol']);
    const state = await instance.database.db.selectFrom('org_sync_state').selectAll().executeTakeFirstOrThrow();
    expect(Date.now() - new Date(state.members_synced_at!).getTime()).toBeLessThan(60_000);
  });
});

/** A comment as a person writes it: stored on the fake GitHub, and its `issue_comment` payload. */
function writeComment(github: FakeGitHub, author: string, body: string) {
  const repo = github.repo('Acme', '.github');
  const user = github.state.users.ensure(author, 'User');
  const commentId = github.state.allocateId();
  authored.add(commentId);
  repo.comments.set(commentId, { id: commentId, issueNumber: 1, body, user, createdAt: new Date().toISOString(), reactions: [] });
  const payload = fixture('issue_comment.created');
  payload.comment.id = commentId;
  payload.comment.body = body;
  payload.comment.author_association = 'MEMBER';
  for (const who of [payload.comment.user, payload.sender]) Object.assign(who, { login: user.login, id: user.id, type: user.type });
  payload.repository.name = '.github';
  payload.repository.full_name = 'Acme/.github';
  return { repo, commentId, payload };
}

function replies(github: FakeGitHub): string[] {
  return [...github.repo('Acme', '.github').comments.values()].filter((c) => !authored.has(c.id)).map((c) => c.body);
}

function reactions(repo: FakeRepo, commentId: number): string[] {
  return repo.comments.get(commentId)!.reactions.map((r) => r.content);
}

const holders = Array.from({ length: 30 }, (_, i) => `u${String(i + 1).padStart(2, '0')}`);

/** 30 seats; the policy keeps u01–u10 (team keep) and adds n1, n2: 20 cancellations, over the limit of 10. */
async function heldOrg() {
  fake = await startFakeGitHub();
  const github = fake;
  github.addOrg({
    login: 'Acme',
    members: [{ login: 'alice', role: 'admin' }, { login: 'bob' }, ...holders.map((login) => ({ login })), { login: 'n1' }, { login: 'n2' }],
    teams: [
      { slug: 'copilot-admins', members: ['bob'] },
      { slug: 'keep', members: holders.slice(0, 10) },
    ],
    seats: holders.map((login) => ({ login, createdAt: daysAgo(40), lastActivityAt: daysAgo(1) })),
    billing: { seatManagementSetting: 'assign_selected' },
  });
  github.addInstallation({ id: 77, account: 'Acme' });
  github.addRepo({ owner: 'Acme', name: '.github' });
  github.putFile({ owner: 'Acme', repo: '.github', path: '.github/copilot-policy.yml', content: heldPolicy() });
  const instance = await startAgainst(github);
  await sendWebhook(instance.url, { event: 'installation', payload: installationEvent('created', ACME) });
  await waitFor(async () => expect((await plans(instance)).filter((p) => p.finished_at !== null)).toHaveLength(1));
  return { github, instance };
}

function heldPolicy(extra = ''): string {
  return `version: 1\nmode: enforce\nseats:\n  grant:\n    teams: [keep]\n    users: [n1, n2${extra}]\ncommands:\n  teams: [copilot-admins]\n`;
}

async function comment(github: FakeGitHub, instance: TestCeos, author: string, body: string) {
  const written = writeComment(github, author, body);
  expect((await sendWebhook(instance.url, { event: 'issue_comment', payload: written.payload })).status).toBe(202);
  return written;
}

describe(`the mass-cancellation safeguard (${backend})`, () => {
  it('applies the adds, holds every cancellation; an owner confirms, a command-team member is refused', async () => {
    const { github, instance } = await heldOrg();
    const [held] = await plans(instance);
    expect(held!.status).toBe('awaiting_confirmation');
    expect(held!.held).toBe(20);
    expect(seatWrites(github)).toEqual(['POST n1,n2']);
    const heldPlan = held!.plan as Plan;
    expect(heldPlan.safeguard).toMatchObject({ status: 'held', limit: 10, seatsHeld: 30, cancellations: 20 });
    expect(heldPlan.toCancel).toEqual([]);
    const events = await instance.database.db.selectFrom('domain_events').select(['type', 'payload']).where('type', '=', 'plan.awaiting_confirmation').execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ planId: held!.id, held: 20, limit: 10 });
    // ceos/compliance shows the held cancellations.
    await waitFor(async () => {
      const runs = [...github.repo('Acme', '.github').checkRuns.values()].filter((r) => r.name === 'ceos/compliance');
      expect(runs.at(-1)?.output?.title).toMatch(/20 cancellations held for confirmation/);
    });

    // /copilot status names the held plan.
    const status = await comment(github, instance, 'alice', '/copilot status');
    await waitFor(async () => expect(reactions(status.repo, status.commentId)).toContain('rocket'));
    expect(replies(github).find((b) => b.startsWith('> `/copilot status`'))).toContain(`plan \`${held!.id}\``);

    // bob may run commands, but not confirm.
    const refused = await comment(github, instance, 'bob', '/copilot confirm');
    await waitFor(async () => expect(replies(github).some((b) => b.startsWith('> `/copilot confirm`') && b.includes('only organization owners can confirm'))).toBe(true));
    expect(reactions(refused.repo, refused.commentId)).toEqual(['eyes']);
    expect((await plans(instance))[0]!.status).toBe('awaiting_confirmation');
    expect(seatWrites(github)).toEqual(['POST n1,n2']);

    const confirmed = await comment(github, instance, 'alice', `/copilot confirm ${held!.id}`);
    await waitFor(async () => expect(reactions(confirmed.repo, confirmed.commentId)).toEqual(['eyes', 'rocket']));
    expect(seatWrites(github)).toEqual(['POST n1,n2', `DELETE ${holders.slice(10).join(',')}`]);
    const after = await plans(instance);
    expect(after.find((p) => p.id === held!.id)).toMatchObject({ status: 'confirmed', confirmed_by: 'alice' });
    const run = after.find((p) => p.confirms_plan_id === held!.id)!;
    expect(run.status).toBe('applied');
    expect(run.cancels).toBe(20);
    const reply = replies(github).find((b) => b.startsWith(`> \`/copilot confirm ${held!.id}\``))!;
    expect(reply).toContain('CEOS cancelled 20 seats');
    expect(reply).toContain('Confirmed by');
    const audit = await instance.database.db.selectFrom('audit_log').select(['action', 'actor', 'target']).where('org', '=', 'acme').execute();
    expect(audit.filter((a) => a.action === 'seat.cancelled').map((a) => a.actor)).toEqual(Array(20).fill('alice'));
    expect(audit).toContainEqual({ action: 'plan.confirmed', actor: 'alice', target: held!.id });
    expect(audit).toContainEqual(expect.objectContaining({ action: 'command.refused', actor: 'bob', target: 'confirm' }));

    // Confirming it again changes nothing.
    const again = await comment(github, instance, 'alice', `/copilot confirm ${held!.id}`);
    await waitFor(async () => expect(reactions(again.repo, again.commentId)).toContain('rocket'));
    expect(replies(github).filter((b) => b.startsWith(`> \`/copilot confirm ${held!.id}\``)).at(-1)).toContain('was already confirmed by');
    expect(seatWrites(github)).toHaveLength(2);
    expect(github.violations).toEqual([]);
  });

  it('cancels only what is both confirmed and still due; new cancellations are held again', async () => {
    const { github, instance } = await heldOrg();
    const [held] = await plans(instance);
    expect(held!.status).toBe('awaiting_confirmation');
    // Between hold and confirmation, u11–u15 are granted again, and u01–u03 are denied.
    github.putFile({
      owner: 'Acme',
      repo: '.github',
      path: '.github/copilot-policy.yml',
      content: `${heldPolicy(', u11, u12, u13, u14, u15')}`.replace('seats:\n', 'seats:\n  deny:\n    users: [u01, u02, u03]\n'),
    });
    const confirmed = await comment(github, instance, 'alice', '/copilot confirm');
    await waitFor(async () => expect(reactions(confirmed.repo, confirmed.commentId)).toEqual(['eyes', 'rocket']));
    expect(seatWrites(github)).toEqual(['POST n1,n2', `DELETE ${holders.slice(15).join(',')}`]);
    const all = await plans(instance);
    const run = all.find((p) => p.confirms_plan_id === held!.id)!;
    expect(run.status).toBe('awaiting_confirmation');
    expect(run.cancels).toBe(15);
    expect((run.plan as Plan).safeguard?.held.map((e) => e.login)).toEqual(['u01', 'u02', 'u03']);
    expect(all.find((p) => p.id === held!.id)!.status).toBe('confirmed');
    const reply = replies(github).find((b) => b.startsWith('> `/copilot confirm`'))!;
    expect(reply).toContain('3 cancellations that plan did not hold are held again');
    expect(github.violations).toEqual([]);
  });

  it('a newer held plan supersedes the older: confirming the old one names the newest and changes nothing', async () => {
    const { github, instance } = await heldOrg();
    const [older] = await plans(instance);
    await enqueueReconcile(instance.boss, { org: 'acme', installationId: 77, trigger: 'api', actor: 'api-key:test' });
    await waitFor(async () => expect((await plans(instance)).filter((p) => p.finished_at !== null)).toHaveLength(2));
    const [first, newer] = await plans(instance);
    expect(first!.status).toBe('superseded');
    expect(first!.superseded_by).toBe(newer!.id);
    expect(newer!.status).toBe('awaiting_confirmation');
    const stale = await comment(github, instance, 'alice', `/copilot confirm ${older!.id}`);
    await waitFor(async () => expect(reactions(stale.repo, stale.commentId)).toContain('rocket'));
    expect(replies(github).find((b) => b.startsWith(`> \`/copilot confirm ${older!.id}\``))).toContain(`the newest plan holding cancellations is \`${newer!.id}\``);
    expect(seatWrites(github)).toEqual(['POST n1,n2']);
  });

  it('ceos plans show lists the held cancellations, and ceos plans confirm confirms them from the command line', async () => {
    fake = await startFakeGitHub();
    const github = fake;
    github.addOrg({
      login: 'Acme',
      members: [{ login: 'alice', role: 'admin' }, { login: 'bob' }, ...holders.map((login) => ({ login })), { login: 'n1' }, { login: 'n2' }],
      teams: [{ slug: 'copilot-admins', members: ['bob'] }, { slug: 'keep', members: holders.slice(0, 10) }],
      seats: holders.map((login) => ({ login, createdAt: daysAgo(40), lastActivityAt: daysAgo(1) })),
      billing: { seatManagementSetting: 'assign_selected' },
    });
    github.addInstallation({ id: 77, account: 'Acme' });
    github.addRepo({ owner: 'Acme', name: '.github' });
    github.putFile({ owner: 'Acme', repo: '.github', path: '.github/copilot-policy.yml', content: heldPolicy() });
    // One deployment's storage, used in turn by an instance, the CLI, and the instance again (the
    // embedded database allows one process at a time).
    const storage = cliDatabase((cleanup) => cleanups.push(cleanup));
    const env = { GHE_HOST: github.host, GHE_PROTOCOL: 'http', APP_ID: '4242', DATABASE_SCHEMA: storage.schema, CEOS_DATA_DIR: storage.dataDir };
    const first = await startTestCeos(env);
    await sendWebhook(first.url, { event: 'installation', payload: installationEvent('created', ACME) });
    await waitFor(async () => expect((await plans(first)).filter((p) => p.finished_at !== null)).toHaveLength(1));
    const [held] = await plans(first);
    expect(held!.status).toBe('awaiting_confirmation');
    await first.close();
    expect(seatWrites(github)).toEqual(['POST n1,n2']);

    const show = await runCli(['plans', 'show', held!.id], storage.env);
    expect(show.stderr).toBe('');
    expect(show.stdout).toMatch(/held for confirmation \(20; 20 cancellations, limit 10 = max\(10, 10% of 30 seats held\)\): awaiting/);
    expect(show.stdout).toMatch(/u30\s+not granted by policy/);
    const confirm = await runCli(['plans', 'confirm', held!.id, '--as', 'alice'], storage.env);
    expect(confirm.stderr).toBe('');
    expect(confirm.code).toBe(0);
    expect(confirm.stdout).toContain(`plan ${held!.id} confirmed: 20 held cancellations`);
    const twice = await runCli(['plans', 'confirm', held!.id], storage.env);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('was already confirmed by alice; nothing changed');
    expect(seatWrites(github)).toEqual(['POST n1,n2']);

    // The next instance carries the confirmation out.
    ceos = await startTestCeos(env);
    await waitFor(async () => expect((await plans(ceos!)).find((p) => p.confirms_plan_id === held!.id)?.status).toBe('applied'));
    expect(seatWrites(github)).toEqual(['POST n1,n2', `DELETE ${holders.slice(10).join(',')}`]);
    const audit = await ceos.database.db.selectFrom('audit_log').select(['action', 'actor']).where('org', '=', 'acme').execute();
    expect(audit).toContainEqual({ action: 'plan.confirmed', actor: 'alice' });
    expect(audit.filter((a) => a.action === 'seat.cancelled').map((a) => a.actor)).toEqual(Array(20).fill('alice'));
    expect(github.violations).toEqual([]);
  });
});
