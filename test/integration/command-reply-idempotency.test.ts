import pino from 'pino';
import { ProbotOctokit } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import { findCommand, insertCommands } from '../../src/db/commands.js';
import type { GitHubOctokit } from '../../src/github/github-octokit.js';
import { answerCommand } from '../../src/reporting/command-reply.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { backend, testDatabases } from '../helpers/database.js';

const databases = testDatabases();
let fake: FakeGitHub | undefined;
afterEach(async () => {
  await databases.closeAll();
  await fake?.close();
  fake = undefined;
});

const log = pino({ level: 'silent' });

/** A real Octokit on the fake; `crashAfterPost` makes the first reply look lost after GitHub stored it. */
function octokitFor(github: FakeGitHub, options: { crashAfterPost?: boolean } = {}): GitHubOctokit {
  const octokit = new ProbotOctokit({
    auth: { token: github.createInstallationToken(77) },
    baseUrl: github.apiUrl,
    log,
    throttle: { enabled: false },
    retry: { enabled: false },
  });
  let crashed = false;
  octokit.hook.wrap('request', async (request, endpoint) => {
    const response = await request(endpoint);
    if (options.crashAfterPost && !crashed && endpoint.method === 'POST' && String(endpoint.url).endsWith('/comments')) {
      crashed = true;
      // The comment exists on GitHub; the process "dies" before recording it.
      throw new Error('process stopped after posting');
    }
    return response;
  });
  return octokit as unknown as GitHubOctokit;
}

async function setup() {
  fake = await startFakeGitHub();
  fake.addOrg({ login: 'Acme', members: [{ login: 'alice', role: 'admin' }], teams: [], seats: [] });
  fake.addInstallation({ id: 77, account: 'Acme' });
  fake.addRepo({ owner: 'Acme', name: '.github' });
  const repo = fake.repo('Acme', '.github');
  const user = fake.state.users.ensure('alice', 'User');
  const commentId = fake.state.allocateId();
  repo.comments.set(commentId, { id: commentId, issueNumber: 1, body: '/copilot help', user, createdAt: new Date().toISOString(), reactions: [] });
  const { db } = await databases.open();
  const [inserted] = await insertCommands(db, [
    {
      org: 'acme',
      installationId: 77,
      repository: 'Acme/.github',
      issueNumber: 1,
      commentId,
      line: 1,
      source: '/copilot help',
      commenter: 'alice',
      command: { verb: 'help' },
      usageError: null,
      status: 'queued',
      deliveryId: 'delivery-1',
    },
  ]);
  const row = (await findCommand(db, inserted!.id))!;
  const replies = () => [...repo.comments.values()].filter((c) => c.id !== commentId);
  return { github: fake, db, row, replies, commentId };
}

describe(`a command reply posted once, retries or not (${backend})`, () => {
  it('a retry after the reply was posted but not recorded adopts that reply instead of posting a second', async () => {
    const { github, db, row, replies } = await setup();
    const answer = { body: 'Here is the help.', status: 'done' as const };
    await expect(answerCommand({ db, log }, octokitFor(github, { crashAfterPost: true }), row, answer)).rejects.toThrow('process stopped after posting');
    expect(replies()).toHaveLength(1);
    expect((await findCommand(db, row.id))!.finished_at).toBeNull();

    await answerCommand({ db, log }, octokitFor(github), row, answer);
    expect(replies()).toHaveLength(1);
    const stored = (await findCommand(db, row.id))!;
    expect(stored.status).toBe('done');
    expect(stored.reply_comment_id).toBe(String(replies()[0]!.id));
    expect(replies()[0]!.body).toBe(`Here is the help.\n\n<!-- ceos:command:${row.id} -->`);
    // The retry looked the reply up instead of posting.
    expect(github.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/issues/1/comments'))).toHaveLength(1);
    expect(github.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/issues/1/comments'))).toHaveLength(1);
    expect(github.violations).toEqual([]);
  });

  it('a retry after a post GitHub refused posts the reply, once', async () => {
    const { github, db, row, replies } = await setup();
    github.failNext({ method: 'POST', pathPattern: '/repos/{owner}/{repo}/issues/{issue_number}/comments', status: 502 });
    const answer = { body: 'Here is the help.', status: 'done' as const };
    await expect(answerCommand({ db, log }, octokitFor(github), row, answer)).rejects.toThrow();
    expect(replies()).toHaveLength(0);
    await answerCommand({ db, log }, octokitFor(github), row, answer);
    await answerCommand({ db, log }, octokitFor(github), row, answer);
    expect(replies()).toHaveLength(1);
    expect((await findCommand(db, row.id))!.status).toBe('done');
  });

  it('of two answers racing, one posts', async () => {
    const { github, db, row, replies } = await setup();
    const answer = { body: 'Here is the help.', status: 'done' as const };
    await Promise.all([answerCommand({ db, log }, octokitFor(github), row, answer), answerCommand({ db, log }, octokitFor(github), row, answer)]);
    expect(replies()).toHaveLength(1);
  });
});
