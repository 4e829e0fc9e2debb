import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { testPrivateKey } from '../helpers/app-key.js';
import { TEST_SECRET } from '../helpers/ceos.js';
import { cliDatabase, testDatabaseUrl } from '../helpers/database.js';
import { metricValue } from '../helpers/deliveries.js';
import { type Instances, startInstances } from '../helpers/instances.js';
import { installationEvent } from '../helpers/payloads.js';
import { sendWebhook } from '../helpers/webhooks.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>;

// GitHub allows 80 content-creating requests a minute; the test scales the limit down to 10 so that
// a handful of commands spends it, and the minute window (which is not scaled) is what it checks.
const LIMIT = 10;
const COMMANDS = 6;

const cleanups: (() => Promise<void>)[] = [];
let cluster: Instances | undefined;
let fake: FakeGitHub | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await fake?.close();
  fake = undefined;
});

describe.skipIf(!testDatabaseUrl)('the GitHub budget shared by three instances (postgres)', () => {
  it('three instances together stay within the secondary limit of content-creating requests of one installation, and every command is still answered', async () => {
    fake = await startFakeGitHub();
    const github = fake;
    github.addOrg({ login: 'Acme', id: 9001, members: [{ login: 'alice', role: 'admin' }, { login: 'bob' }] });
    github.addInstallation({ id: 77, account: 'Acme' });
    const repo = github.addRepo({ owner: 'Acme', name: '.github' });
    github.putFile({ owner: 'Acme', repo: '.github', path: '.github/copilot-policy.yml', content: 'version: 1\nmode: report\n' });

    const database = cliDatabase((cleanup) => cleanups.push(cleanup));
    cluster = await startInstances(3, {
      ...database.env,
      APP_ID: '4242',
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET: TEST_SECRET,
      GHE_HOST: github.host,
      GHE_PROTOCOL: 'http',
      // Debug: Probot logs each GitHub request, which tells which instance sent it.
      LOG_LEVEL: 'debug',
      CEOS_USAGE_COLLECTION: 'false',
      CEOS_GITHUB_WRITES_PER_MINUTE: String(LIMIT),
      // No spacing: the minute window alone has to hold the three instances back.
      CEOS_GITHUB_WRITE_INTERVAL_MS: '0',
    });
    const db = (await database.open()).db;
    cleanups.push(async () => db.destroy());
    expect((await sendWebhook(cluster.proxy.url, { event: 'installation', payload: installationEvent('created', { login: 'Acme', installationId: 77 }) })).status).toBe(202);
    await vi.waitFor(async () => expect(await db.selectFrom('plans').select('id').where('finished_at', 'is not', null).execute()).toHaveLength(1), {
      timeout: 60_000,
      interval: 200,
    });

    // Slash commands, spread over the instances: each is acknowledged with a reaction and answered
    // with a comment and a final reaction, all content-creating requests of installation 77.
    const alice = github.state.users.ensure('alice', 'User');
    const comments = Array.from({ length: COMMANDS }, () => {
      const id = github.state.allocateId();
      repo.comments.set(id, { id, issueNumber: 1, body: '/copilot help', user: alice, createdAt: new Date().toISOString(), reactions: [] });
      const payload = fixture('issue_comment.created');
      payload.comment.id = id;
      payload.comment.body = '/copilot help';
      for (const who of [payload.comment.user, payload.sender]) Object.assign(who, { login: alice.login, id: alice.id, type: 'User' });
      payload.repository.name = '.github';
      payload.repository.full_name = 'Acme/.github';
      return { id, payload };
    });
    const sent = await Promise.all(comments.map((c) => sendWebhook(cluster!.proxy.url, { event: 'issue_comment', payload: c.payload })));
    expect(sent.map((s) => s.status)).toEqual(comments.map(() => 202));

    await vi.waitFor(() => expect(comments.filter((c) => repo.comments.get(c.id)!.reactions.some((r) => r.content === 'rocket'))).toHaveLength(COMMANDS), {
      timeout: 150_000,
      interval: 500,
    });
    const replies = [...repo.comments.values()].filter((c) => c.body.startsWith('> `/copilot help`'));
    expect(replies).toHaveLength(COMMANDS);

    const writes = github.requests
      .filter((r) => ['POST', 'PATCH', 'PUT', 'DELETE'].includes(r.method) && r.installationId === 77 && r.operationId !== 'graphql')
      .filter((r) => !r.path.endsWith('/access_tokens'))
      .map((r) => r.at.getTime())
      .sort((a, b) => a - b);
    // The budget was binding: more writes than one minute allows...
    expect(writes.length).toBeGreaterThan(LIMIT);
    // ...and no minute held more than LIMIT of them (the (i+LIMIT)-th write came a minute after
    // the i-th; a second of slack for the way from the reserved start to GitHub).
    for (let i = 0; i + LIMIT < writes.length; i++) expect(writes[i + LIMIT]! - writes[i]!).toBeGreaterThanOrEqual(59_000);
    // Several instances wrote (Probot logs each GitHub request at debug level), and waited for each other.
    const wrote = cluster.processes.filter((p) =>
      p.lines.some((l) => /^GitHub request: (POST|PATCH|PUT|DELETE) \S+ - 2\d\d$/.test(String(l.msg)) && !String(l.msg).includes('/access_tokens')),
    );
    expect(wrote.length).toBeGreaterThan(1);
    expect(cluster.processes.some((p) => p.lines.some((l) => String(l.msg).startsWith('GitHub budget shared by the instances is spent')))).toBe(true);
    const deferred = await Promise.all(
      cluster.processes.map(async (p) => metricValue(await (await fetch(`${p.url}/metrics`)).text(), 'ceos_github_budget_holds_total{outcome="deferred"}')),
    );
    expect(deferred.reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
  }, 240_000);
});
