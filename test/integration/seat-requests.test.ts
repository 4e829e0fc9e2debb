import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COMMAND_QUEUE } from '../../src/jobs/command-queue.js';
import { RECONCILE_QUEUE } from '../../src/jobs/reconcile-queue.js';
import { createCommandReplier } from '../../src/reporting/command-reply.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import type { FakeRepo } from '../fake-github/index.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';
import { sendWebhook } from '../helpers/webhooks.js';

const require = createRequire(import.meta.url);
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>;

let fake: FakeGitHub | undefined;
let ceos: TestCeos | undefined;
/** Comments the tests wrote, as opposed to CEOS's replies. */
const authored = new Set<number>();
afterEach(async () => {
  authored.clear();
  await ceos?.stop();
  await fake?.close();
  ceos = undefined;
  fake = undefined;
});

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();

function policy(mode: 'report' | 'enforce', extra = '', max = ''): string {
  return `version: 1
mode: ${mode}
seats:
  grant:
    teams: [engineering]
  deny:
    users: [mallory]
${max === '' ? '' : `  max: ${max}\n`}${extra}
commands:
  teams: [copilot-admins]
`;
}

/**
 * Acme: alice owns it; bob is in the command team, carol in its child team; dave, mallory (denied),
 * ivan and judy (interns) are plain members; Erin holds a seat through engineering.
 */
async function acme(mode: 'report' | 'enforce', extra = '', max = '') {
  fake = await startFakeGitHub();
  fake.addOrg({
    login: 'Acme',
    members: [{ login: 'alice', role: 'admin' }, { login: 'bob' }, { login: 'carol' }, { login: 'dave' }, { login: 'Erin' }, { login: 'mallory' }, { login: 'ivan' }, { login: 'judy' }],
    teams: [
      { slug: 'copilot-admins', members: ['bob'] },
      { slug: 'seat-stewards', parent: 'copilot-admins', members: ['carol'] },
      { slug: 'engineering', members: ['Erin'] },
      { slug: 'interns-2026', members: ['ivan', 'judy'] },
    ],
    seats: [{ login: 'Erin', createdAt: daysAgo(100), lastActivityAt: daysAgo(3) }],
    billing: { seatManagementSetting: 'assign_selected' },
  });
  fake.addInstallation({ id: 77, account: 'Acme' });
  fake.addRepo({ owner: 'Acme', name: '.github' });
  fake.putFile({ owner: 'Acme', repo: '.github', path: '.github/copilot-policy.yml', content: policy(mode, extra, max) });
  return fake;
}

/** CEOS with the command handler, worker and reply wired as the product wires them. */
async function startCeosWithCommands(github: FakeGitHub): Promise<TestCeos> {
  const deps = {
    get db() {
      return ceos!.database.db;
    },
    get log() {
      return ceos!.log;
    },
  };
  ceos = await startTestCeos({ GHE_HOST: github.host, GHE_PROTOCOL: 'http', APP_ID: '4242' }, { reporter: createCommandReplier(deps) });
  // No retries: a failing attempt is the last one, so the failure reply shows at once.
  await ceos.boss.updateQueue(COMMAND_QUEUE, { retryLimit: 0 });
  await sendWebhook(ceos.url, { event: 'installation', payload: installationCreated() });
  await vi.waitFor(
    async () => {
      const plans = await ceos!.database.db.selectFrom('plans').select('id').where('finished_at', 'is not', null).execute();
      expect(plans.length).toBeGreaterThanOrEqual(1);
    },
    { timeout: 30_000, interval: 50 },
  );
  github.clearLog();
  return ceos;
}

function installationCreated() {
  const definitions = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, any>[] }[];
  const example = structuredClone(definitions.find((d) => d.name === 'installation')!.examples.find((e) => e.action === 'created')!);
  example.installation.id = 77;
  example.installation.account = { ...example.installation.account, login: 'Acme', id: 9001, type: 'Organization' };
  return example;
}

interface Written {
  repo: FakeRepo;
  commentId: number;
  payload: Record<string, any>;
}

/** A comment as a person writes it: stored on the fake GitHub, and its `issue_comment` payload. */
function writeComment(
  github: FakeGitHub,
  author: string,
  body: string,
  options: { repo?: string; type?: 'User' | 'Bot'; action?: 'created' | 'edited'; association?: string } = {},
): Written {
  const repoName = options.repo ?? '.github';
  const repo = github.repo('Acme', repoName);
  const user = github.state.users.ensure(author, options.type ?? 'User');
  const commentId = github.state.allocateId();
  authored.add(commentId);
  repo.comments.set(commentId, { id: commentId, issueNumber: 1, body, user, createdAt: new Date().toISOString(), reactions: [] });
  const payload = fixture(`issue_comment.${options.action ?? 'created'}`);
  payload.comment.id = commentId;
  payload.comment.body = body;
  for (const who of [payload.comment.user, payload.sender]) Object.assign(who, { login: user.login, id: user.id, type: user.type });
  payload.repository.name = repoName;
  payload.repository.full_name = `Acme/${repoName}`;
  if (options.association !== undefined) payload.comment.author_association = options.association;
  return { repo, commentId, payload };
}

async function send(written: Written, id?: string) {
  const sent = await sendWebhook(ceos!.url, { event: 'issue_comment', payload: written.payload, id });
  expect(sent.status).toBe(202);
  return sent.id;
}

/** CEOS's replies on the issue, oldest first. */
function replies(github: FakeGitHub, repo = '.github'): string[] {
  return [...github.repo('Acme', repo).comments.values()].filter((c) => !authored.has(c.id)).map((c) => c.body);
}

function reactions(written: Written): string[] {
  return written.repo.comments.get(written.commentId)!.reactions.map((r) => r.content);
}

/**
 * Starts the organization's debounced reconciliation now, if one waits: `plan` and `apply` fold
 * into it, and the tests need not wait out the debounce.
 */
async function fastForwardDebounce(): Promise<void> {
  await ceos!.boss.update(RECONCILE_QUEUE, undefined, { singletonKey: 'debounce:acme', startAfter: 0 });
}

/** Waits for the comment's final reaction (🚀 or 😕) and returns the replies to it. */
async function settled(github: FakeGitHub, written: Written, source: string, final: 'rocket' | 'confused' = 'rocket'): Promise<string> {
  await vi.waitFor(
    async () => {
      await fastForwardDebounce();
      expect(reactions(written)).toContain(final);
    },
    { timeout: 30_000, interval: 50 },
  );
  const reply = replies(github).filter((b) => b.startsWith(`> \`${source}\``));
  expect(reply).toHaveLength(1);
  return reply[0]!;
}

function seatWrites(github: FakeGitHub): number {
  return github.requests.filter((r) => r.path.endsWith('/copilot/billing/selected_users')).length;
}

const requests = () => ceos!.database.db.selectFrom('seat_requests').select(['login', 'state', 'reason', 'decided_by']).orderBy('created_at').execute();
const seatOf = (github: FakeGitHub, login: string) => github.orgState('Acme').seats.find((s) => s.login === login);
const events = async (type: string) =>
  (await ceos!.database.db.selectFrom('domain_events').select('payload').where('type', '=', type).orderBy('id').execute()).map((e) => (e.payload as Record<string, unknown>).login);
const actions = async (prefix: string) =>
  (await ceos!.database.db.selectFrom('audit_log').select(['action', 'actor']).where('action', 'like', `${prefix}%`).orderBy('seq').execute()).map((a) => `${a.action}:${a.actor}`);

describe(`seat requests (${backend})`, () => {
  it('a member asks, asks again, and an owner approves: the seat is added and the requester told', async () => {
    const github = await acme('enforce');
    await startCeosWithCommands(github);

    const ask = writeComment(github, 'dave', '/copilot request --reason "pairing on the API"');
    await send(ask);
    const reply = await settled(github, ask, '/copilot request --reason "pairing on the API"');
    expect(reactions(ask)).toEqual(['eyes', 'rocket']);
    expect(reply).toContain('Your request for a Copilot seat is recorded (reason: pairing on the API)');
    expect(reply).toContain('Organization owners and members of `copilot-admins` can approve it');

    const again = writeComment(github, 'dave', '/copilot request --reason "pairing on the API, and the CLI"');
    await send(again);
    expect(await settled(github, again, '/copilot request --reason "pairing on the API, and the CLI"')).toContain('Your pending request is updated');
    expect(await requests()).toEqual([{ login: 'dave', state: 'pending', reason: 'pairing on the API, and the CLI', decided_by: null }]);

    const status = writeComment(github, 'alice', '/copilot status');
    await send(status);
    expect(await settled(github, status, '/copilot status')).toContain('**Seat requests**: 1 pending request: `@dave`.');

    const approve = writeComment(github, 'alice', '/copilot approve @dave --for 90d --reason "welcome"');
    await send(approve);
    const approved = await settled(github, approve, '/copilot approve @dave --for 90d --reason "welcome"');
    expect(approved).toContain('Recorded a **grant** override for `@dave`');
    expect(reactions(approve)).toEqual(['eyes', 'rocket']);
    expect(seatOf(github, 'dave')).toBeDefined();
    expect(await requests()).toEqual([{ login: 'dave', state: 'approved', reason: 'pairing on the API, and the CLI', decided_by: 'alice' }]);
    expect(replies(github).some((b) => b.startsWith('@dave your request for a Copilot seat was approved by @alice: welcome.'))).toBe(true);
    const override = await ceos!.database.db.selectFrom('seat_overrides').select(['login', 'kind', 'expires_at']).where('login', '=', 'dave').executeTakeFirstOrThrow();
    expect(override.kind).toBe('grant');
    expect(override.expires_at).not.toBeNull();
    expect(await events('request.created')).toEqual(['dave']);
    expect(await events('request.approved')).toEqual(['dave']);
    expect(await actions('request.')).toEqual(['request.created:dave', 'request.updated:dave', 'request.approved:alice']);
    expect(github.violations).toEqual([]);
  });

  it('a denied person, a seat holder and a non-approver are answered, and nothing is recorded', async () => {
    const github = await acme('enforce');
    await startCeosWithCommands(github);
    const denied = writeComment(github, 'mallory', '/copilot request');
    await send(denied);
    expect(await settled(github, denied, '/copilot request')).toContain('Nothing was recorded: the policy denies you a seat (seats.deny.users).');
    const holder = writeComment(github, 'Erin', '/copilot request');
    await send(holder);
    const holderReply = replies(github);
    await vi.waitFor(() => expect(reactions(holder)).toContain('rocket'), { timeout: 30_000, interval: 50 });
    expect(replies(github).slice(holderReply.length).join('\n')).toContain('Nothing was recorded: you already hold a Copilot seat.');
    expect(await requests()).toEqual([]);

    // dave may ask for a seat, but not approve one.
    const sneaky = writeComment(github, 'dave', '/copilot approve @dave');
    await send(sneaky);
    await vi.waitFor(() => expect(replies(github).some((b) => b.includes('@dave') && b.toLowerCase().includes('owner'))).toBe(true), { timeout: 30_000, interval: 50 });
    expect(seatOf(github, 'dave')).toBeUndefined();
    expect(await actions('command.refused')).toEqual(['command.refused:dave']);
  });

  it('a member of a command team approves without a request, and declines another', async () => {
    const github = await acme('enforce');
    await startCeosWithCommands(github);
    const ask = writeComment(github, 'judy', '/copilot request');
    await send(ask);
    await settled(github, ask, '/copilot request');

    const approve = writeComment(github, 'carol', '/copilot approve @ivan');
    await send(approve);
    await settled(github, approve, '/copilot approve @ivan');
    expect(seatOf(github, 'ivan')).toBeDefined();

    const decline = writeComment(github, 'bob', '/copilot decline @judy --reason "not in the pilot"');
    await send(decline);
    expect(await settled(github, decline, '/copilot decline @judy --reason "not in the pilot"')).toContain('Declined the seat request of `@judy`');
    expect(replies(github).some((b) => b.startsWith('@judy your request for a Copilot seat was declined by @bob: not in the pilot.'))).toBe(true);
    expect(await requests()).toEqual([{ login: 'judy', state: 'declined', reason: null, decided_by: 'bob' }]);
    expect(await events('request.declined')).toEqual(['judy']);
    expect(seatOf(github, 'judy')).toBeUndefined();
  });

  it('auto-approves within the cap, and beyond it refuses with the numbers and leaves the request pending', async () => {
    const github = await acme('enforce', 'requests:\n  auto_approve:\n    teams: [interns-2026]', '2');
    await startCeosWithCommands(github);
    const first = writeComment(github, 'ivan', '/copilot request');
    await send(first);
    expect(await settled(github, first, '/copilot request')).toContain('Your request was approved automatically: you are a member of `interns-2026`');
    await vi.waitFor(() => expect(seatOf(github, 'ivan')).toBeDefined(), { timeout: 30_000, interval: 50 });

    const second = writeComment(github, 'judy', '/copilot request');
    await send(second);
    await vi.waitFor(async () => expect((await requests()).map((r) => `${r.login}:${r.state}`)).toEqual(['ivan:approved', 'judy:pending']), { timeout: 30_000, interval: 50 });
    await vi.waitFor(() => expect(reactions(second)).toContain('rocket'), { timeout: 30_000, interval: 50 });
    expect(replies(github).at(-1)).toContain('could not be approved automatically because the seat cap is 2 and 2 seats are held or due without this approval');

    const approve = writeComment(github, 'alice', '/copilot approve @judy');
    await send(approve);
    const refused = await settled(github, approve, '/copilot approve @judy', 'confused');
    expect(refused).toContain('Nothing was approved: the seat cap is 2 and 2 seats are held or due without this approval, so a seat more would go over it.');
    expect(seatOf(github, 'judy')).toBeUndefined();
    expect(await events('request.approved')).toEqual(['ivan']);
    expect(await actions('request.approved')).toEqual(['request.approved:ceos']);
  });

  it('in report mode an approval records the override, closes the request and changes no seat', async () => {
    const github = await acme('report');
    await startCeosWithCommands(github);
    const ask = writeComment(github, 'dave', '/copilot request');
    await send(ask);
    await settled(github, ask, '/copilot request');
    const approve = writeComment(github, 'alice', '/copilot approve @dave');
    await send(approve);
    expect(await settled(github, approve, '/copilot approve @dave')).toContain('Nothing was changed because the policy is in report mode.');
    expect(seatOf(github, 'dave')).toBeUndefined();
    expect((await requests()).map((r) => r.state)).toEqual(['approved']);
    expect(seatWrites(github)).toBe(0);
  });

  it('closes requests pending longer than requests.expire_after_days and tells the requester', async () => {
    const github = await acme('enforce', 'requests:\n  expire_after_days: 30');
    await startCeosWithCommands(github);
    const ask = writeComment(github, 'dave', '/copilot request');
    await send(ask);
    await settled(github, ask, '/copilot request');
    await ceos!.database.db.updateTable('seat_requests').set({ created_at: daysAgo(31) } as never).execute();
    const apply = writeComment(github, 'alice', '/copilot apply');
    await send(apply);
    await settled(github, apply, '/copilot apply');
    expect((await requests()).map((r) => `${r.state}:${r.decided_by}`)).toEqual(['expired:ceos']);
    expect(replies(github).some((b) => b.startsWith('@dave your request for a Copilot seat was closed: it waited more than 30 days'))).toBe(true);
    expect(await actions('request.expired')).toEqual(['request.expired:ceos']);
  });
});
