import { pino } from 'pino';
import { ProbotOctokit } from 'probot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkOrgMembership, checkOrgMemberships } from '../../src/github/check-org-membership.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';

let fake: FakeGitHub;
let octokit: InstanceType<typeof ProbotOctokit>;

beforeEach(async () => {
  fake = await startFakeGitHub();
  fake.addOrg({ login: 'acme', members: [{ login: 'Alice', role: 'admin' }, { login: 'bob' }] });
  fake.addInstallation({ id: 11, account: 'acme' });
  octokit = new ProbotOctokit({
    auth: { token: fake.createInstallationToken(11) },
    baseUrl: fake.apiUrl,
    log: pino({ level: 'silent' }),
    throttle: { enabled: false },
    retry: { enabled: false },
  });
});

afterEach(async () => {
  await fake.close();
});

describe('membership lookups (GET /orgs/{org}/members/{username})', () => {
  it('204 is a member and 404 is not one', async () => {
    expect(await checkOrgMembership(octokit, 'acme', 'bob')).toEqual({ login: 'bob', state: 'member' });
    expect(await checkOrgMembership(octokit, 'acme', 'alice')).toEqual({ login: 'alice', state: 'member' });
    expect(await checkOrgMembership(octokit, 'acme', 'mallory')).toEqual({ login: 'mallory', state: 'not_member' });
    expect(fake.requestsTo('orgs/check-membership-for-user').map((r) => r.status)).toEqual([204, 204, 404]);
    expect(fake.violations).toEqual([]);
  });

  it('a 302 (public members only) is not followed and is no verdict', async () => {
    fake.failNext({
      pathPattern: '/orgs/{org}/members/{username}',
      status: 302,
      headers: { location: `${fake.apiUrl}/orgs/acme/public_members/bob` },
      body: {},
    });
    const answer = await checkOrgMembership(octokit, 'acme', 'bob');
    expect(answer).toMatchObject({ login: 'bob', state: 'unknown' });
    expect(answer.state === 'unknown' && answer.error).toContain('302');
    // The public-membership address was never asked: a private member would have looked like a non-member there.
    expect(fake.requests.filter((r) => r.path.includes('public_members'))).toEqual([]);
  });

  it('a server error, a 403 or a refused connection is no verdict', async () => {
    fake.failNext({ pathPattern: '/orgs/{org}/members/{username}', status: 502 });
    fake.failNext({ pathPattern: '/orgs/{org}/members/{username}', status: 403 });
    const answers = await checkOrgMemberships(octokit, 'acme', ['bob', 'bob', 'mallory'], 1);
    expect(answers.map((a) => a.state)).toEqual(['unknown', 'unknown', 'not_member']);
    const closed = new ProbotOctokit({ auth: { token: 'x' }, baseUrl: 'http://127.0.0.1:1/api/v3', log: pino({ level: 'silent' }), throttle: { enabled: false }, retry: { enabled: false } });
    expect(await checkOrgMembership(closed, 'acme', 'bob')).toMatchObject({ state: 'unknown' });
  });
});
