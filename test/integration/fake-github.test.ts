import { generateKeyPairSync } from 'node:crypto';
import { pino } from 'pino';
import { Probot, ProbotOctokit } from 'probot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SECONDARY_RATE_LIMIT, startFakeGitHub } from '../fake-github/index.js';
import type { FakeGitHub } from '../fake-github/index.js';

const NOW = new Date('2025-06-15T12:00:00Z');
const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let fake: FakeGitHub;
let token: string;
let clock = NOW;

function octokit(options: { retry?: boolean; throttle?: boolean } = {}) {
  return new ProbotOctokit({
    auth: { token },
    baseUrl: fake.apiUrl,
    log: silent,
    retry: { enabled: options.retry ?? false },
    throttle: { enabled: options.throttle ?? false },
  });
}

async function call(method: string, path: string, init: { body?: unknown; auth?: string } = {}) {
  const response = await fetch(`${fake.apiUrl}${path}`, {
    method,
    headers: {
      authorization: init.auth ?? `token ${token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json().catch(() => undefined)) as any };
}

beforeEach(async () => {
  clock = NOW;
  fake = await startFakeGitHub({ now: () => clock });
  fake.addOrg({
    login: 'acme',
    members: [
      { login: 'Alice', role: 'admin' },
      ...Array.from({ length: 260 }, (_, i) => ({ login: `dev${i}` })),
    ],
    teams: [
      { slug: 'eng', members: ['dev0'] },
      { slug: 'platform', parent: 'eng', members: ['dev1'], maintainers: ['dev2'] },
    ],
    seats: [
      ...Array.from({ length: 250 }, (_, i) => ({ login: `dev${i}`, createdAt: '2025-01-10T00:00:00Z', lastActivityAt: '2025-06-01T00:00:00Z' })),
      { login: 'Alice', createdAt: '2025-01-10T00:00:00Z', assigningTeam: 'eng' },
    ],
  });
  fake.addInstallation({ id: 11, account: 'acme' });
  token = fake.createInstallationToken(11);
});

afterEach(async () => {
  await fake.close();
});

describe('fake GitHub REST: Copilot seats', () => {
  it('pages through seats with Link headers like GitHub', async () => {
    // The seats list is an object ({ total_seats, seats }), which octokit's paginate does not unwrap on its own.
    const seats = await octokit().paginate(
      'GET /orgs/{org}/copilot/billing/seats',
      { org: 'acme', per_page: 100 },
      (response) => response.data.seats ?? [],
    );
    expect(seats).toHaveLength(251);
    expect(fake.count('copilot/list-copilot-seats')).toBe(3);
    expect(seats[0]).toMatchObject({
      assignee: { login: 'dev0', type: 'User' },
      pending_cancellation_date: null,
      last_activity_at: '2025-06-01T00:00:00Z',
      plan_type: 'business',
      assigning_team: null,
    });
    expect(seats[250]).toMatchObject({ assignee: { login: 'Alice' }, assigning_team: { slug: 'eng', name: 'eng' } });

    const first = await call('GET', '/orgs/acme/copilot/billing/seats?per_page=100');
    expect(first.body.total_seats).toBe(251);
    expect(first.headers.get('link')).toBe(
      `<${fake.apiUrl}/orgs/acme/copilot/billing/seats?per_page=100&page=2>; rel="next", <${fake.apiUrl}/orgs/acme/copilot/billing/seats?per_page=100&page=3>; rel="last"`,
    );
    expect(fake.violations).toEqual([]);
  });

  it('adds seats, and cancelling leaves them listed as pending until the cycle ends', async () => {
    const client = octokit();
    const cancelled = await client.request('DELETE /orgs/{org}/copilot/billing/selected_users', {
      org: 'acme',
      selected_usernames: ['dev3', 'DEV4', 'dev255'],
    });
    expect(cancelled.data).toEqual({ seats_cancelled: 2 });
    const state = fake.orgState('acme');
    expect(state.seats).toHaveLength(251);
    expect(state.seats.find((s) => s.login === 'dev4')?.pendingCancellationDate).toBe('2025-07-01');

    const added = await client.request('POST /orgs/{org}/copilot/billing/selected_users', {
      org: 'acme',
      selected_usernames: ['dev3', 'dev255', 'dev256', 'dev0'],
    });
    expect(added.status).toBe(201);
    expect(added.data).toEqual({ seats_created: 3 });
    const after = fake.orgState('acme');
    expect(after.seats.find((s) => s.login === 'dev3')?.pendingCancellationDate).toBeNull();
    expect(after.seats.find((s) => s.login === 'dev4')?.pendingCancellationDate).toBe('2025-07-01');
    expect(after.seats.find((s) => s.login === 'dev256')).toMatchObject({ createdAt: NOW.toISOString(), assigningTeam: null });

    const billing = await client.request('GET /orgs/{org}/copilot/billing', { org: 'acme' });
    expect(billing.data.seat_breakdown).toMatchObject({ total: 253, pending_cancellation: 1, added_this_cycle: 2 });
    expect(billing.data.seat_management_setting).toBe('assign_selected');
    expect(fake.violations).toEqual([]);
  });

  it('refuses non-members, team-assigned seats and orgs not on assign_selected with 422', async () => {
    const notMember = await call('POST', '/orgs/acme/copilot/billing/selected_users', { body: { selected_usernames: ['dev1', 'stranger'] } });
    expect(notMember.status).toBe(422);
    expect(notMember.body.message).toContain('stranger');
    expect(fake.orgState('acme').seats.find((s) => s.login === 'dev1')).toBeDefined();

    const viaTeam = await call('DELETE', '/orgs/acme/copilot/billing/selected_users', { body: { selected_usernames: ['alice'] } });
    expect(viaTeam.status).toBe(422);
    expect(fake.orgState('acme').seats.find((s) => s.login === 'Alice')?.pendingCancellationDate).toBeNull();

    fake.org('acme').billing.seatManagementSetting = 'assign_all';
    const assignAll = await call('POST', '/orgs/acme/copilot/billing/selected_users', { body: { selected_usernames: ['dev1'] } });
    expect(assignAll.status).toBe(422);
    expect(fake.violations).toEqual([]);
  });
});

describe('fake GitHub REST: fidelity to the description', () => {
  it('records requests that the description does not allow', async () => {
    const unknownQuery = await call('GET', '/orgs/acme/copilot/billing/seats?per_page=10&include=everything');
    expect(unknownQuery.status).toBe(200);
    const missingField = await call('POST', '/orgs/acme/copilot/billing/selected_users', { body: { usernames: ['dev1'] } });
    expect(missingField.status).toBe(422);
    expect(missingField.body.message).toBe('Invalid request.\n\n"selected_usernames" wasn\'t supplied.');
    const wrongType = await call('POST', '/orgs/acme/copilot/billing/selected_users', { body: { selected_usernames: 'dev1' } });
    expect(wrongType.status).toBe(422);
    const unknownPath = await call('GET', '/copilot/seats');
    expect(unknownPath.status).toBe(404);
    const wrongMethod = await call('PUT', '/orgs/acme/copilot/billing/seats', { body: {} });
    expect(wrongMethod.status).toBe(404);
    const badInteger = await call('GET', '/orgs/acme/copilot/billing/seats?page=two');
    expect(badInteger.status).toBe(422);

    expect(fake.violations.map((v) => [v.kind, v.path])).toEqual([
      ['unknown-query-parameter', '/orgs/acme/copilot/billing/seats'],
      ['invalid-body', '/orgs/acme/copilot/billing/selected_users'],
      ['unknown-body-field', '/orgs/acme/copilot/billing/selected_users'],
      ['invalid-body', '/orgs/acme/copilot/billing/selected_users'],
      ['unknown-path', '/copilot/seats'],
      ['unknown-method', '/orgs/acme/copilot/billing/seats'],
      ['invalid-query-parameter', '/orgs/acme/copilot/billing/seats'],
    ]);
    expect(fake.requests.map((r) => r.operationId)).toEqual([
      'copilot/list-copilot-seats',
      'copilot/add-copilot-seats-for-users',
      'copilot/add-copilot-seats-for-users',
      undefined,
      undefined,
      'copilot/list-copilot-seats',
    ]);
  });

  it('authenticates the app with a JWT and installations with the tokens it issued', async () => {
    const jwt = 'header.payload.signature';
    const app = await call('GET', '/app', { auth: `bearer ${jwt}` });
    expect(app.body).toMatchObject({ id: 4242, slug: 'ceos' });
    const installation = await call('GET', '/app/installations/11', { auth: `bearer ${jwt}` });
    expect(installation.body).toMatchObject({ id: 11, account: { login: 'acme', type: 'Organization' } });
    const issued = await call('POST', '/app/installations/11/access_tokens', { auth: `bearer ${jwt}` });
    expect(issued.status).toBe(201);
    expect(issued.body.expires_at).toBe('2025-06-15T13:00:00Z');
    expect(fake.violations).toEqual([]);

    const withToken = await call('GET', '/orgs/acme/memberships/alice', { auth: `token ${issued.body.token}` });
    expect(withToken.body).toMatchObject({ role: 'admin', state: 'active', user: { login: 'Alice' } });
    const forged = await call('GET', '/orgs/acme/memberships/alice', { auth: 'token ghs_forged' });
    expect(forged.status).toBe(401);
    const noJwt = await call('GET', '/app', { auth: `token ${issued.body.token}` });
    expect(noJwt.status).toBe(401);
    const otherOrg = await call('GET', '/orgs/globex/copilot/billing/seats');
    expect(otherOrg.status).toBe(404);
    expect(fake.violations.map((v) => v.kind)).toEqual(['auth', 'auth', 'auth']);
  });

  it('refuses installation tokens after their hour is up', async () => {
    expect((await call('GET', '/orgs/acme/copilot/billing')).status).toBe(200);
    clock = new Date(NOW.getTime() + 60 * 60 * 1000);
    expect((await call('GET', '/orgs/acme/copilot/billing')).status).toBe(401);
    expect(fake.violations.map((v) => v.message)).toEqual(['Request carries a token the fake never issued or that has expired.']);
  });

  it('answers organization and team memberships, counting child teams', async () => {
    const client = octokit();
    await expect(client.request('GET /orgs/{org}/memberships/{username}', { org: 'acme', username: 'nobody' })).rejects.toMatchObject({ status: 404 });
    const member = await client.request('GET /orgs/{org}/memberships/{username}', { org: 'acme', username: 'dev5' });
    expect(member.data).toMatchObject({ role: 'member', state: 'active' });
    const viaChild = await client.request('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', { org: 'acme', team_slug: 'eng', username: 'dev2' });
    expect(viaChild.data).toMatchObject({ role: 'maintainer', state: 'active' });
    await expect(
      client.request('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', { org: 'acme', team_slug: 'platform', username: 'dev0' }),
    ).rejects.toMatchObject({ status: 404 });
    expect(fake.violations).toEqual([]);
  });
});

describe('fake GitHub REST: checks, contents and comments', () => {
  it('stores check runs and enforces the output limits', async () => {
    fake.addRepo({ owner: 'acme', name: '.github' });
    const client = octokit();
    const sha = 'a'.repeat(40);
    const created = await client.request('POST /repos/{owner}/{repo}/check-runs', {
      owner: 'acme',
      repo: '.github',
      name: 'ceos/policy',
      head_sha: sha,
      status: 'in_progress',
    });
    expect(created.status).toBe(201);

    const annotation = { path: 'copilot.yml', start_line: 1, end_line: 1, annotation_level: 'failure' as const, message: 'bad' };
    await expect(
      client.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
        owner: 'acme',
        repo: '.github',
        check_run_id: created.data.id,
        output: { title: 't', summary: 'x'.repeat(65_536) },
      }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      client.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
        owner: 'acme',
        repo: '.github',
        check_run_id: created.data.id,
        output: { title: 't', summary: 's', annotations: Array.from({ length: 51 }, () => annotation) },
      }),
    ).rejects.toMatchObject({ status: 422 });
    expect(fake.violations.map((v) => v.kind)).toEqual(['invalid-body', 'invalid-body']);
    fake.clearLog();

    for (let i = 0; i < 2; i++) {
      await client.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
        owner: 'acme',
        repo: '.github',
        check_run_id: created.data.id,
        conclusion: 'failure',
        output: { title: 'Policy invalid', summary: 'x'.repeat(65_535), annotations: Array.from({ length: 50 }, () => annotation) },
      });
    }
    const listed = await client.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { owner: 'acme', repo: '.github', ref: sha });
    expect(listed.data.total_count).toBe(1);
    expect(listed.data.check_runs[0]).toMatchObject({
      name: 'ceos/policy',
      status: 'completed',
      conclusion: 'failure',
      output: { title: 'Policy invalid', annotations_count: 100 },
    });
    expect(fake.violations).toEqual([]);
  });

  it('serves file contents at a ref as base64, and 404 when absent', async () => {
    fake.addRepo({ owner: 'acme', name: '.github', defaultBranch: 'trunk' });
    fake.putFile({ owner: 'acme', repo: '.github', path: 'copilot/policy.yml', content: 'mode: report\n' });
    fake.putFile({ owner: 'acme', repo: '.github', path: 'copilot/policy.yml', content: 'mode: enforce\n', ref: 'feature' });
    const client = octokit();
    const repo = await client.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: '.github' });
    expect(repo.data.default_branch).toBe('trunk');
    const onDefault = await client.request('GET /repos/{owner}/{repo}/contents/{path}', { owner: 'acme', repo: '.github', path: 'copilot/policy.yml' });
    const file = onDefault.data as { content: string; encoding: string; path: string };
    expect(file.encoding).toBe('base64');
    expect(Buffer.from(file.content, 'base64').toString('utf8')).toBe('mode: report\n');
    const onBranch = await client.request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner: 'acme',
      repo: '.github',
      path: 'copilot/policy.yml',
      ref: 'feature',
    });
    expect(Buffer.from((onBranch.data as { content: string }).content, 'base64').toString('utf8')).toBe('mode: enforce\n');
    await expect(
      client.request('GET /repos/{owner}/{repo}/contents/{path}', { owner: 'acme', repo: '.github', path: 'missing.yml' }),
    ).rejects.toMatchObject({ status: 404 });

    fake.setPullRequestFiles({ owner: 'acme', repo: '.github', pullNumber: 7, files: [{ filename: 'copilot/policy.yml' }] });
    const files = await client.paginate('GET /repos/{owner}/{repo}/pulls/{pull_number}/files', { owner: 'acme', repo: '.github', pull_number: 7 });
    expect(files.map((f) => f.filename)).toEqual(['copilot/policy.yml']);
    expect(fake.violations).toEqual([]);
  });

  it('posts comments and reactions, rejecting reactions outside the enum', async () => {
    fake.addRepo({ owner: 'acme', name: 'app' });
    const client = octokit();
    const comment = await client.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
      owner: 'acme',
      repo: 'app',
      issue_number: 3,
      body: 'Plan applied',
    });
    expect(comment.data).toMatchObject({ body: 'Plan applied', user: { login: 'ceos[bot]', type: 'Bot' } });
    const reaction = await client.request('POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', {
      owner: 'acme',
      repo: 'app',
      comment_id: comment.data.id,
      content: 'rocket',
    });
    expect(reaction.status).toBe(201);
    const bad = await call('POST', `/repos/acme/app/issues/comments/${comment.data.id}/reactions`, { body: { content: 'thumbsup' } });
    expect(bad.status).toBe(422);
    expect(fake.repo('acme', 'app').comments.get(Number(comment.data.id))?.reactions.map((r) => r.content)).toEqual(['rocket']);
    expect(fake.violations.map((v) => v.kind)).toEqual(['invalid-body']);
  });
});

describe('fake GitHub REST: webhook deliveries', () => {
  it('lists deliveries newest first with cursor paging and records redeliveries', async () => {
    fake.addDeliveries(
      Array.from({ length: 250 }, (_, i) => ({
        id: 1000 + i,
        event: 'issue_comment',
        action: 'created',
        statusCode: i % 50 === 0 ? 503 : 200,
        installationId: 11,
      })),
    );
    const app = new ProbotOctokit({ auth: { token: 'header.payload.signature' }, baseUrl: fake.apiUrl, log: silent, retry: { enabled: false }, throttle: { enabled: false } });
    const deliveries = await app.paginate('GET /app/hook/deliveries', { per_page: 100 });
    expect(deliveries).toHaveLength(250);
    expect(deliveries[0]?.id).toBe(1249);
    expect(deliveries[249]?.id).toBe(1000);
    expect(fake.requestsTo('apps/list-webhook-deliveries').map((r) => r.query.cursor)).toEqual([undefined, 'v1_1149', 'v1_1049']);

    const failed = deliveries.filter((d) => d.status_code >= 400);
    expect(failed).toHaveLength(5);
    const redelivered = await app.request('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: failed[0]!.id });
    expect(redelivered.status).toBe(202);
    expect(fake.redeliveries.map((d) => d.id)).toEqual([failed[0]!.id]);
    const newest = await app.request('GET /app/hook/deliveries', { per_page: 1 });
    expect(newest.data[0]).toMatchObject({ guid: failed[0]!.guid, redelivery: true, status_code: 200 });
    expect(fake.violations).toEqual([]);
  });
});

describe('fake GitHub: fault injection', () => {
  it('fails the next matching request once, then answers normally', async () => {
    fake.failNext({ method: 'GET', pathPattern: '/orgs/{org}/copilot/billing/seats', status: 502 });
    const failed = await call('GET', '/orgs/acme/copilot/billing/seats');
    expect(failed.status).toBe(502);
    const ok = await call('GET', '/orgs/acme/copilot/billing/seats');
    expect(ok.status).toBe(200);
  });

  it('answers a secondary rate limit that Probot’s throttling retries', async () => {
    fake.failNext({ ...SECONDARY_RATE_LIMIT, operationId: 'copilot/add-copilot-seats-for-users' });
    const onSecondaryRateLimit: number[] = [];
    const client = new ProbotOctokit({
      auth: { token },
      baseUrl: fake.apiUrl,
      log: silent,
      retry: { enabled: false },
      throttle: {
        onSecondaryRateLimit: (retryAfter: number) => {
          onSecondaryRateLimit.push(retryAfter);
          return true;
        },
        onRateLimit: () => false,
      },
    });
    const added = await client.request('POST /orgs/{org}/copilot/billing/selected_users', { org: 'acme', selected_usernames: ['dev257'] });
    expect(added.data).toEqual({ seats_created: 1 });
    expect(onSecondaryRateLimit).toEqual([1]);
    expect(fake.requestsTo('copilot/add-copilot-seats-for-users').map((r) => r.status)).toEqual([403, 201]);
  });

  it('fails only requests a predicate picks, e.g. a 422 for one user', async () => {
    fake.failNext({
      operationId: 'copilot/add-copilot-seats-for-users',
      when: (r) => JSON.stringify(r.body).includes('dev258'),
      status: 422,
      body: { message: 'Validation Failed' },
      times: Infinity,
    });
    expect((await call('POST', '/orgs/acme/copilot/billing/selected_users', { body: { selected_usernames: ['dev258'] } })).status).toBe(422);
    expect((await call('POST', '/orgs/acme/copilot/billing/selected_users', { body: { selected_usernames: ['dev259'] } })).status).toBe(201);
    expect((await call('POST', '/orgs/acme/copilot/billing/selected_users', { body: { selected_usernames: ['dev258'] } })).status).toBe(422);
  });

  it('hangs matching requests until the server closes', async () => {
    const stop = fake.hang('/orgs/{org}/copilot/billing/seats');
    const pending = fetch(`${fake.apiUrl}/orgs/acme/copilot/billing/seats`, { headers: { authorization: `token ${token}` } });
    const outcome = pending.then(
      () => 'answered',
      () => 'dropped',
    );
    await expect.poll(() => fake.count('copilot/list-copilot-seats')).toBe(1);
    stop();
    expect((await call('GET', '/orgs/acme/copilot/billing/seats')).status).toBe(200);
    await fake.close();
    expect(await outcome).toBe('dropped');
    fake = await startFakeGitHub();
  });
});

describe('fake GitHub REST: more org, team and Copilot endpoints', () => {
  it('lists members, teams and team members (child teams included) with paging', async () => {
    const client = octokit();
    const admins = await client.paginate('GET /orgs/{org}/members', { org: 'acme', role: 'admin', per_page: 100 });
    expect(admins.map((m) => m.login)).toEqual(['Alice']);
    const everyone = await client.paginate('GET /orgs/{org}/members', { org: 'acme', per_page: 100 });
    expect(everyone).toHaveLength(261);
    const teams = await client.paginate('GET /orgs/{org}/teams', { org: 'acme' });
    expect(teams.map((t) => [t.slug, t.parent?.slug ?? null])).toEqual([
      ['eng', null],
      ['platform', 'eng'],
    ]);
    const engMembers = await client.paginate('GET /orgs/{org}/teams/{team_slug}/members', { org: 'acme', team_slug: 'eng' });
    expect(engMembers.map((m) => m.login)).toEqual(['dev0', 'dev1', 'dev2']);
    const children = await client.request('GET /orgs/{org}/teams/{team_slug}/teams', { org: 'acme', team_slug: 'eng' });
    expect(children.data.map((t) => t.slug)).toEqual(['platform']);
    const platform = await client.request('GET /orgs/{org}/teams/{team_slug}', { org: 'acme', team_slug: 'platform' });
    expect(platform.data).toMatchObject({ slug: 'platform', parent: { slug: 'eng' } });
    expect(fake.violations).toEqual([]);
  });

  it('assigns and cancels seats through teams, and reads one seat', async () => {
    const client = octokit();
    fake.org('acme').removeSeat('dev1');
    fake.org('acme').removeSeat('dev2');
    const added = await client.request('POST /orgs/{org}/copilot/billing/selected_teams', { org: 'acme', selected_teams: ['platform'] });
    expect(added.data).toEqual({ seats_created: 2 });
    const seat = await client.request('GET /orgs/{org}/members/{username}/copilot', { org: 'acme', username: 'dev2' });
    expect(seat.data).toMatchObject({ assignee: { login: 'dev2' }, assigning_team: { slug: 'platform', parent: { slug: 'eng' } } });
    const cancelled = await client.request('DELETE /orgs/{org}/copilot/billing/selected_teams', { org: 'acme', selected_teams: ['platform'] });
    expect(cancelled.data).toEqual({ seats_cancelled: 2 });
    await expect(client.request('GET /orgs/{org}/members/{username}/copilot', { org: 'acme', username: 'dev259' })).rejects.toMatchObject({
      status: 404,
    });
    expect(fake.violations).toEqual([]);
  });

  it('finds the installation of an org with the app JWT', async () => {
    const app = new ProbotOctokit({ auth: { token: 'header.payload.signature' }, baseUrl: fake.apiUrl, log: silent, retry: { enabled: false }, throttle: { enabled: false } });
    const installation = await app.request('GET /orgs/{org}/installation', { org: 'ACME' });
    expect(installation.data.id).toBe(11);
    const all = await app.paginate('GET /app/installations');
    expect(all.map((i) => i.id)).toEqual([11]);
    expect(fake.violations).toEqual([]);
  });

  it('serves Copilot usage reports as download links, 204 for a day without one', async () => {
    fake.setUsageReport({ org: 'acme', report: 'users-1-day', day: '2025-06-13', records: [{ user_login: 'dev1' }, { user_login: 'dev2' }] });
    fake.setUsageReport({ org: 'acme', report: 'users-1-day', day: '2025-06-14', records: null });
    const client = octokit();
    const report = await client.request('GET /orgs/{org}/copilot/metrics/reports/users-1-day', { org: 'acme', day: '2025-06-13' });
    expect(report.data.report_day).toBe('2025-06-13');
    const [link] = report.data.download_links;
    const lines = (await (await fetch(link!)).text()).trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toEqual([{ user_login: 'dev1' }, { user_login: 'dev2' }]);
    const noLinks = await client.request('GET /orgs/{org}/copilot/metrics/reports/users-1-day', { org: 'acme', day: '2025-06-14' });
    expect(noLinks.data.download_links).toEqual([]);
    const notYet = await client.request('GET /orgs/{org}/copilot/metrics/reports/users-1-day', { org: 'acme', day: '2025-06-15' });
    expect(notYet.status).toBe(204);
    const badDay = await call('GET', '/orgs/acme/copilot/metrics/reports/users-1-day?day=yesterday');
    expect(badDay.status).toBe(422);
    expect(fake.violations.map((v) => v.kind)).toEqual(['invalid-query-parameter']);
  });
});

describe('fake GitHub with Probot’s own app authentication', () => {
  it('lets Probot sign a JWT, exchange it for an installation token and call the API', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const probot = new Probot({
      appId: 4242,
      privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      baseUrl: fake.apiUrl,
      log: pino({ level: 'silent' }),
    });
    const installationOctokit = await probot.auth(11);
    const seats = await installationOctokit.request('GET /orgs/{org}/copilot/billing/seats', { org: 'acme', per_page: 1 });
    expect(seats.data.total_seats).toBe(251);
    expect(fake.requests.map((r) => [r.operationId, r.status])).toEqual([
      ['apps/create-installation-access-token', 201],
      ['copilot/list-copilot-seats', 200],
    ]);
    expect(fake.violations).toEqual([]);
  });
});
