import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COMMAND_QUEUE } from '../../src/jobs/command-queue.js';
import { RECONCILE_QUEUE } from '../../src/jobs/reconcile-queue.js';
import { createCommandReplier } from '../../src/reporting/command-reply.js';
import { verifyAuditChain } from '../../src/db/audit-log.js';
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

function policy(mode: 'report' | 'enforce', commands = ''): string {
  return `version: 1
mode: ${mode}
seats:
  grant:
    teams: [engineering]
    users: [frank]
inactivity:
  revoke_after_days: 60
  exempt: { teams: [copilot-admins] }
commands:
  teams: [copilot-admins]
${commands}`;
}

/**
 * Acme: alice owns it; bob is in the command team, carol in its child team; dave and frank are
 * plain members. erin holds a seat through engineering; frank is granted but has none yet.
 */
async function acme(mode: 'report' | 'enforce', extraPolicy = '') {
  fake = await startFakeGitHub();
  fake.addOrg({
    login: 'Acme',
    members: [{ login: 'alice', role: 'admin' }, { login: 'bob' }, { login: 'carol' }, { login: 'dave' }, { login: 'Erin' }, { login: 'frank' }],
    teams: [
      { slug: 'copilot-admins', members: ['bob'] },
      { slug: 'seat-stewards', parent: 'copilot-admins', members: ['carol'] },
      { slug: 'engineering', members: ['Erin'] },
    ],
    seats: [{ login: 'Erin', createdAt: daysAgo(100), lastActivityAt: daysAgo(3) }],
    billing: { seatManagementSetting: 'assign_selected' },
  });
  fake.addInstallation({ id: 77, account: 'Acme' });
  fake.addRepo({ owner: 'Acme', name: '.github' });
  fake.addRepo({ owner: 'Acme', name: 'website' });
  fake.putFile({ owner: 'Acme', repo: '.github', path: '.github/copilot-policy.yml', content: policy(mode, extraPolicy) });
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

async function waitForDeliveries(ids: readonly string[]) {
  await vi.waitFor(
    async () => {
      const rows = await ceos!.database.db.selectFrom('deliveries').select(['id', 'status']).where('id', 'in', ids).execute();
      expect(rows.map((r) => r.status)).toEqual(ids.map(() => 'processed'));
    },
    { timeout: 30_000, interval: 50 },
  );
}

function seatWrites(github: FakeGitHub): number {
  return github.requests.filter((r) => r.path.endsWith('/copilot/billing/selected_users')).length;
}

describe(`/copilot slash commands (${backend})`, () => {
  it('answers help, status, status @user, plan, report and a mistyped command', async () => {
    const github = await acme('report');
    await startCeosWithCommands(github);

    const help = writeComment(github, 'alice', 'Thanks!\n/copilot help');
    await send(help);
    const helpReply = await settled(github, help, '/copilot help');
    expect(helpReply).toContain('**`/copilot` commands**');
    expect(reactions(help)).toEqual(['eyes', 'rocket']);

    const status = writeComment(github, 'alice', '/copilot status');
    await send(status);
    const statusReply = await settled(github, status, '/copilot status');
    expect(statusReply).toContain('**Copilot seats in `Acme`**: 1 seat');
    expect(statusReply).toContain('`report`: CEOS only plans and reports');
    expect(statusReply).toMatch(/\*\*Last reconciled\*\*: \d{4}-/);

    const user = writeComment(github, 'alice', '/copilot status @erin');
    await send(user);
    const userReply = await settled(github, user, '/copilot status @erin');
    expect(userReply).toContain('**`@Erin`**');
    expect(userReply).toMatch(/\*\*Seat\*\*: held since \d{4}-\d\d-\d\d, assigned to them/);
    expect(userReply).toContain('granted: member of team engineering (seats.grant.teams)');
    expect(userReply).toContain('inactivity: the seat is cancelled after more than 60 days without use');

    const steward = writeComment(github, 'alice', '/copilot status @carol');
    await send(steward);
    const stewardReply = await settled(github, steward, '/copilot status @carol');
    expect(stewardReply).toContain('- **Seat**: none.');
    expect(stewardReply).toContain('exempt from the inactivity rule: member of team seat-stewards, a child team of copilot-admins');

    const plan = writeComment(github, 'alice', '/copilot plan');
    await send(plan);
    const planReply = await settled(github, plan, '/copilot plan');
    expect(planReply).toContain('🔍 **Dry run**: nothing is changed.');
    expect(planReply).toContain('`@frank`');
    const stored = await ceos!.database.db.selectFrom('plans').select(['trigger', 'actor', 'status']).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(stored).toEqual({ trigger: 'command', actor: 'alice', status: 'report_only' });

    const report = writeComment(github, 'alice', '/copilot report');
    await send(report);
    const reportReply = await settled(github, report, '/copilot report');
    expect(reportReply).toMatch(/The organization `Acme` (follows|breaks) its Copilot policy/);
    // The cost and usage section of the ceos/compliance check, the same here.
    expect(reportReply).toContain('### Cost and usage');
    expect(reportReply).toMatch(/- \*\*Monthly cost\*\*: [\d,.]+ USD/);
    expect(reportReply).toContain('- **Usage**: not collected yet for this organization.');

    const typo = writeComment(github, 'alice', '/copilot gant @dave');
    await send(typo);
    const typoReply = await settled(github, typo, '/copilot gant @dave', 'confused');
    expect(typoReply).toContain('`gant` is not a `/copilot` command. Did you mean `/copilot grant`?');
    expect(typoReply).toContain('**`/copilot` commands**');
    expect(reactions(typo)).toEqual(['eyes', 'confused']);

    expect(seatWrites(github)).toBe(0);
    const audit = await ceos!.database.db.selectFrom('audit_log').select(['actor', 'actor_type', 'action']).where('action', 'like', 'command.%').execute();
    expect(audit).toHaveLength(7);
    expect(audit.every((a) => a.actor === 'alice' && a.actor_type === 'user' && a.action === 'command.accepted')).toBe(true);
    expect(github.violations).toEqual([]);
  });

  it('in report mode, grant records the overrides for several users, changes no seat and says so', async () => {
    const github = await acme('report');
    await startCeosWithCommands(github);
    const before = Date.now();

    const grant = writeComment(github, 'bob', '/copilot grant @dave, @Carol --for 30d --reason "Q3 pilot"');
    await send(grant);
    const reply = await settled(github, grant, '/copilot grant @dave, @Carol --for 30d --reason "Q3 pilot"');
    expect(reply).toContain('✅ Recorded a **grant** override for `@dave`, `@Carol` until');
    expect(reply).toContain('(30d)');
    expect(reply).toContain('Reason: Q3 pilot');
    expect(reply).toContain('Nothing was changed because the policy is in report mode.');
    expect(reply).toContain('### For these users');

    const overrides = await ceos!.database.db.selectFrom('seat_overrides').selectAll().orderBy('login_key').execute();
    expect(overrides.map((o) => [o.login, o.kind, o.actor, o.reason])).toEqual([
      ['Carol', 'grant', 'bob', 'Q3 pilot'],
      ['dave', 'grant', 'bob', 'Q3 pilot'],
    ]);
    for (const o of overrides) {
      const expires = new Date(o.expires_at!).getTime();
      expect(expires).toBeGreaterThanOrEqual(before + 30 * DAY);
      expect(expires).toBeLessThanOrEqual(Date.now() + 30 * DAY);
    }
    const audit = await ceos!.database.db.selectFrom('audit_log').select(['actor', 'actor_type', 'target']).where('action', '=', 'override.created').execute();
    expect(audit.map((a) => `${a.actor}/${a.actor_type}/${a.target}`).sort()).toEqual(['bob/user/Carol', 'bob/user/dave']);
    expect(seatWrites(github)).toBe(0);
    expect(github.orgState('Acme').seats.map((s) => s.login)).toEqual(['Erin']);
    expect(github.violations).toEqual([]);
  });

  it('in enforce mode, grant and revoke change seats at once and audit them with the commenter as actor', async () => {
    const github = await acme('enforce');
    await startCeosWithCommands(github);

    // carol may command through seat-stewards, a child team of copilot-admins.
    const grant = writeComment(github, 'carol', '/copilot grant @dave');
    await send(grant);
    const reply = await settled(github, grant, '/copilot grant @dave');
    expect(reply).toContain('✅ Recorded a **grant** override for `@dave` until it is removed.');
    expect(reply).toContain('✅ CEOS added 1 seat');
    expect(reactions(grant)).toEqual(['eyes', 'rocket']);
    expect(github.orgState('Acme').seats.map((s) => s.login).sort()).toEqual(['Erin', 'dave', 'frank']);

    const revoke = writeComment(github, 'alice', '/copilot revoke @erin --reason left');
    await send(revoke);
    const revokeReply = await settled(github, revoke, '/copilot revoke @erin --reason left');
    expect(revokeReply).toContain('✅ CEOS cancelled 1 seat');
    expect(github.orgState('Acme').seats.find((s) => s.login === 'Erin')?.pendingCancellationDate).not.toBeNull();

    const audit = await ceos!.database.db
      .selectFrom('audit_log')
      .select(['actor', 'actor_type', 'action', 'target'])
      .where('action', 'in', ['override.created', 'seat.added', 'seat.cancelled'])
      .where('actor', '!=', 'ceos')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => `${a.action}:${a.target}:${a.actor}:${a.actor_type}`)).toEqual([
      'override.created:dave:carol:user',
      'seat.added:dave:carol:user',
      'override.created:erin:alice:user',
      'seat.cancelled:Erin:alice:user',
    ]);
    expect((await verifyAuditChain(ceos!.database.db, { org: 'acme' })).ok).toBe(true);
    expect(github.violations).toEqual([]);
  });

  it('apply reconciles now', async () => {
    const github = await acme('enforce');
    await startCeosWithCommands(github);
    github.org('Acme').addSeat({ login: 'dave', createdAt: daysAgo(5), lastActivityAt: daysAgo(1) });

    const apply = writeComment(github, 'alice', '/copilot apply');
    await send(apply);
    const reply = await settled(github, apply, '/copilot apply');
    expect(reply).toContain('✅ CEOS cancelled 1 seat');
    expect(github.orgState('Acme').seats.find((s) => s.login === 'dave')?.pendingCancellationDate).not.toBeNull();

    const again = writeComment(github, 'alice', '/copilot apply');
    await send(again);
    await vi.waitFor(
      async () => {
        await fastForwardDebounce();
        expect(reactions(again)).toContain('rocket');
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(replies(github).at(-1)).toContain('Seats already follow the policy');
    expect(github.violations).toEqual([]);
  });

  it('refuses other members politely and ignores bots, edits and other repositories', async () => {
    const github = await acme('report');
    await startCeosWithCommands(github);

    const refused = writeComment(github, 'dave', '/copilot grant @dave\n/copilot apply');
    await send(refused);
    await vi.waitFor(() => expect(replies(github)).toHaveLength(1), { timeout: 30_000, interval: 50 });
    expect(replies(github)[0]).toBe(
      'Sorry `@dave`, only organization owners and members of the team `copilot-admins` (child teams included) can use `/copilot` commands here, so this comment was not acted on. Ask one of them to run it for you.',
    );

    const ignored = [
      writeComment(github, 'ceos[bot]', '/copilot apply', { type: 'Bot' }),
      writeComment(github, 'renovate[bot]', '/copilot apply', { type: 'User' }),
      writeComment(github, 'alice', '/copilot apply', { action: 'edited' }),
      writeComment(github, 'alice', '/copilot apply', { repo: 'website' }),
      writeComment(github, 'alice', 'No command here, only `/copilot apply` quoted.\n> /copilot apply'),
    ];
    const ids: string[] = [];
    for (const written of ignored) ids.push(await sendWebhook(ceos!.url, { event: 'issue_comment', payload: written.payload }).then((r) => r.id));
    await waitForDeliveries(ids);

    expect(replies(github)).toHaveLength(1);
    expect(replies(github, 'website')).toHaveLength(0);
    for (const written of [refused, ...ignored]) expect(reactions(written)).toEqual([]);
    const commands = await ceos!.database.db.selectFrom('commands').select(['commenter', 'status']).execute();
    expect(commands).toEqual([
      { commenter: 'dave', status: 'refused' },
      { commenter: 'dave', status: 'refused' },
    ]);
    expect(await ceos!.database.db.selectFrom('seat_overrides').selectAll().execute()).toEqual([]);
    const plans = await ceos!.database.db.selectFrom('plans').select('trigger').where('trigger', '=', 'command').execute();
    expect(plans).toEqual([]);
    const audit = await ceos!.database.db.selectFrom('audit_log').select(['actor', 'action']).where('action', 'like', 'command.%').execute();
    expect(audit).toEqual([
      { actor: 'dave', action: 'command.refused' },
      { actor: 'dave', action: 'command.refused' },
    ]);
    expect(github.violations).toEqual([]);
  });

  it('answers each command of a comment and adds 🚀 once all of them are done', async () => {
    const github = await acme('report');
    await startCeosWithCommands(github);

    const both = writeComment(github, 'bob', '/copilot plan\nand also\n/copilot help');
    await send(both);
    await vi.waitFor(
      async () => {
        await fastForwardDebounce();
        expect(replies(github)).toHaveLength(2);
      },
      { timeout: 30_000, interval: 50 },
    );
    await vi.waitFor(() => expect(reactions(both)).toEqual(['eyes', 'rocket']), { timeout: 30_000, interval: 50 });
    expect(replies(github).filter((b) => b.startsWith('> `/copilot plan`'))).toHaveLength(1);
    expect(replies(github).filter((b) => b.startsWith('> `/copilot help`'))).toHaveLength(1);
    const rows = await ceos!.database.db.selectFrom('commands').select(['line', 'verb', 'status']).orderBy('line').execute();
    expect(rows).toEqual([
      { line: 1, verb: 'plan', status: 'done' },
      { line: 3, verb: 'help', status: 'done' },
    ]);
    expect(github.violations).toEqual([]);
  });

  it('reads commands only in the repositories the policy names', async () => {
    const github = await acme('report', '  repositories: [website]\n');
    await startCeosWithCommands(github);

    const inDotGithub = writeComment(github, 'alice', '/copilot help');
    const sent = await send(inDotGithub);
    const inWebsite = writeComment(github, 'alice', '/copilot help', { repo: 'website' });
    await send(inWebsite);
    await vi.waitFor(() => expect(reactions(inWebsite)).toEqual(['eyes', 'rocket']), { timeout: 30_000, interval: 50 });
    await waitForDeliveries([sent]);
    expect(replies(github, 'website')).toHaveLength(1);
    expect(replies(github)).toHaveLength(0);
    expect(reactions(inDotGithub)).toEqual([]);
    expect(github.violations).toEqual([]);
  });

  it('runs a comment once, redelivered under the same GUID or delivered again under a new one', async () => {
    const github = await acme('report');
    await startCeosWithCommands(github);

    const grant = writeComment(github, 'alice', '/copilot grant @dave');
    const first = await send(grant);
    await settled(github, grant, '/copilot grant @dave');
    const again = await sendWebhook(ceos!.url, { event: 'issue_comment', payload: grant.payload, id: first });
    const fresh = await send(grant);
    await waitForDeliveries([again.id, fresh]);

    expect(replies(github)).toHaveLength(1);
    expect(reactions(grant)).toEqual(['eyes', 'rocket']);
    expect(await ceos!.database.db.selectFrom('commands').select('id').execute()).toHaveLength(1);
    expect(await ceos!.database.db.selectFrom('seat_overrides').select('id').execute()).toHaveLength(1);
    const plans = await ceos!.database.db.selectFrom('plans').select('id').where('trigger', '=', 'command').execute();
    expect(plans).toHaveLength(1);
    expect(github.violations).toEqual([]);
  });

  it('reacts 😕 and says why when a command fails', async () => {
    const github = await acme('enforce');
    await startCeosWithCommands(github);

    // GitHub refuses the seat: the override stands, the reply lists the failure.
    github.failNext({ method: 'POST', pathPattern: '/orgs/{org}/copilot/billing/selected_users', status: 500 });
    const grant = writeComment(github, 'alice', '/copilot grant @dave');
    await send(grant);
    const reply = await settled(github, grant, '/copilot grant @dave', 'confused');
    expect(reply).toContain('❌ CEOS');
    expect(reply).toContain('failed');
    expect(reactions(grant)).toEqual(['eyes', 'confused']);

    // The reply itself cannot be posted: after the last attempt the failure is reported.
    github.failNext({ method: 'POST', pathPattern: '/repos/{owner}/{repo}/issues/{issue_number}/comments', status: 502 });
    const help = writeComment(github, 'alice', '/copilot help');
    await send(help);
    const failure = await settled(github, help, '/copilot help', 'confused');
    // Every reply ends with the hidden marker that lets a retry find it instead of posting twice.
    expect(failure).toMatch(/\n\n<!-- ceos:command:[0-9a-f-]{36} -->$/);
    expect(failure.replace(/\n\n<!-- ceos:command:[0-9a-f-]{36} -->$/, '')).toBe('> `/copilot help`\n\n😕 CEOS could not carry out this command: GitHub answered 502 and it kept failing after several attempts. Try again later.');
    const row = await ceos!.database.db.selectFrom('commands').select(['status', 'error']).where('comment_id', '=', String(help.commentId)).executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(github.violations).toEqual([]);
  });
});

describe(`/copilot abuse limits (${backend})`, () => {
  it('ignores comments by contributors, first-timers and strangers without a single call to GitHub', async () => {
    const github = await acme('enforce');
    await startCeosWithCommands(github);

    const ids: string[] = [];
    for (const association of ['NONE', 'CONTRIBUTOR', 'FIRST_TIME_CONTRIBUTOR', 'FIRST_TIMER']) {
      ids.push(await send(writeComment(github, 'mallory', '/copilot apply\n/copilot grant @mallory', { association })));
    }
    await waitForDeliveries(ids);

    expect(github.requests).toEqual([]);
    expect(await ceos!.database.db.selectFrom('commands').select('id').execute()).toEqual([]);
    expect(await ceos!.database.db.selectFrom('audit_log').select('id').where('action', 'like', 'command.%').execute()).toEqual([]);
    expect(ceos!.logs.lines.filter((l) => l.msg === 'command comment ignored: its author is not an owner, member or collaborator')).toHaveLength(4);
  });

  it('carries out the first 10 command lines of a comment and answers the rest with one note', async () => {
    const github = await acme('report');
    await startCeosWithCommands(github);

    const body = Array.from({ length: 12 }, (_, i) => `/copilot status @user${i + 1}`).join('\n');
    const many = writeComment(github, 'alice', body);
    await send(many);
    await vi.waitFor(() => expect(reactions(many)).toContain('rocket'), { timeout: 30_000, interval: 50 });

    const answers = replies(github);
    expect(answers).toHaveLength(11);
    for (let i = 1; i <= 10; i++) expect(answers.filter((b) => b.startsWith(`> \`/copilot status @user${i}\``))).toHaveLength(1);
    expect(answers.filter((b) => b.includes('@user11') || b.includes('@user12'))).toEqual([]);
    expect(answers.filter((b) => b.startsWith('⚠️'))).toEqual([
      '⚠️ This comment has 12 `/copilot` lines; CEOS carries out at most 10 per comment, so the 2 from line 11 on were not acted on. Post them in a new comment if they are still wanted.',
    ]);
    const rows = await ceos!.database.db.selectFrom('commands').select(['line', 'status']).orderBy('line').execute();
    expect(rows.map((r) => r.status)).toEqual([...Array(10).fill('done'), 'skipped']);
    expect(rows.at(-1)!.line).toBe(11);
    expect(reactions(many)).toEqual(['eyes', 'rocket']);
    expect(github.violations).toEqual([]);
  });

  it('sends a refused person one refusal per ten minutes, however many comments they write', async () => {
    const github = await acme('report');
    await startCeosWithCommands(github);

    const ids: string[] = [];
    for (const body of ['/copilot apply', '/copilot grant @dave', '/copilot plan\n/copilot apply']) {
      ids.push(await send(writeComment(github, 'dave', body, { association: 'MEMBER' })));
    }
    await waitForDeliveries(ids);
    await vi.waitFor(() => expect(replies(github)).toHaveLength(1), { timeout: 30_000, interval: 50 });
    const rows = await ceos!.database.db.selectFrom('commands').select(['status', 'finished_at', 'reply_comment_id']).execute();
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.status === 'refused')).toBe(true);
    // Every refusal is recorded and finished; exactly the first comment's got a reply.
    await vi.waitFor(async () => {
      const finished = await ceos!.database.db.selectFrom('commands').select('reply_comment_id').where('finished_at', 'is not', null).execute();
      expect(finished).toHaveLength(4);
    }, { timeout: 30_000, interval: 50 });
    const answered = await ceos!.database.db.selectFrom('commands').select('reply_comment_id').where('reply_comment_id', 'is not', null).execute();
    expect(answered).toHaveLength(1);
    const audit = await ceos!.database.db.selectFrom('audit_log').select('action').where('action', '=', 'command.refused').execute();
    expect(audit).toHaveLength(4);

    // Ten minutes on (moved in the database, which is what every instance reads), dave is told again.
    await ceos!.database.db.updateTable('command_refusals').set({ refused_at: new Date(Date.now() - 11 * 60_000) }).execute();
    await send(writeComment(github, 'dave', '/copilot apply', { association: 'MEMBER' }));
    await vi.waitFor(() => expect(replies(github)).toHaveLength(2), { timeout: 30_000, interval: 50 });
    expect(github.violations).toEqual([]);
  });

  it('folds plan and apply lines of several comments into one debounced run that answers each', async () => {
    const github = await acme('enforce');
    await startCeosWithCommands(github);
    github.org('Acme').addSeat({ login: 'dave', createdAt: daysAgo(5), lastActivityAt: daysAgo(1) });
    const before = new Date();

    const first = writeComment(github, 'alice', '/copilot plan');
    const second = writeComment(github, 'bob', '/copilot apply');
    const third = writeComment(github, 'alice', '/copilot plan\n/copilot apply');
    // One after another, so who handed what first is known; the debounce holds the run meanwhile.
    let handed = 0;
    for (const written of [first, second, third]) {
      await send(written);
      handed += written === third ? 2 : 1;
      await vi.waitFor(async () => {
        const rows = await ceos!.database.db.selectFrom('commands').select(['status', 'handed_at']).execute();
        expect(rows).toHaveLength(handed);
        expect(rows.every((r) => r.status === 'waiting' && r.handed_at !== null)).toBe(true);
      }, { timeout: 30_000, interval: 50 });
    }
    const queued = await ceos!.boss.findJobs<{ trigger: string; actor: string; apply: boolean }>(RECONCILE_QUEUE, { queued: true });
    expect(queued).toHaveLength(1);
    expect(queued[0]!.singletonKey).toBe('debounce:acme');
    // alice's plan created it; bob's apply made it apply, and the run is his.
    expect(queued[0]!.data).toMatchObject({ trigger: 'command', actor: 'bob', apply: true });

    await fastForwardDebounce();
    for (const written of [first, second, third]) {
      await vi.waitFor(() => expect(reactions(written)).toContain('rocket'), { timeout: 30_000, interval: 50 });
    }
    const plans = await ceos!.database.db.selectFrom('plans').select(['trigger', 'actor']).where('created_at', '>', before).execute();
    expect(plans).toEqual([{ trigger: 'command', actor: 'bob' }]);
    expect(github.requests.filter((r) => r.method === 'DELETE' && r.path.endsWith('/copilot/billing/selected_users'))).toHaveLength(1);
    const answers = replies(github);
    expect(answers).toHaveLength(4);
    const planAnswers = answers.filter((b) => b.startsWith('> `/copilot plan`'));
    const applyAnswers = answers.filter((b) => b.startsWith('> `/copilot apply`'));
    expect(planAnswers).toHaveLength(2);
    expect(applyAnswers).toHaveLength(2);
    for (const body of [...planAnswers, ...applyAnswers]) expect(body).toContain('✅ CEOS cancelled 1 seat');
    // A plan answered by a run that applied is not shown a dry run that did not happen.
    for (const body of planAnswers) {
      expect(body).toContain('joined the reconciliation the organization already had queued');
      expect(body).not.toContain('Dry run');
    }
    const audit = await ceos!.database.db.selectFrom('audit_log').select(['actor', 'target']).where('action', '=', 'seat.cancelled').execute();
    expect(audit).toEqual([{ actor: 'bob', target: 'dave' }]);
    expect(github.violations).toEqual([]);
  });
});
