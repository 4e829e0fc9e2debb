import Bottleneck from 'bottleneck';
import { graphql } from '@octokit/graphql';
import pino from 'pino';
import { ProbotOctokit } from 'probot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applySeatChanges } from '../../src/github/apply-seat-changes.js';
import type { SeatChange, SeatChangeResult } from '../../src/github/apply-seat-changes.js';
import { fetchCopilotBilling } from '../../src/github/fetch-copilot-billing.js';
import { fetchCopilotSeats } from '../../src/github/fetch-copilot-seats.js';
import { fetchOrgGraph } from '../../src/github/fetch-org-graph.js';
import { RETRY_OPTIONS, rateLimitHandlers } from '../../src/github/rate-limit-handlers.js';
import { SECONDARY_RATE_LIMIT, startFakeGitHub } from '../fake-github/index.js';
import type { FakeGitHub } from '../fake-github/index.js';

const NOW = new Date('2025-06-15T12:00:00Z');
const silent = pino({ level: 'silent' });
const range = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

let fake: FakeGitHub;
let token: string;

/** Probot's Octokit with the real throttling and retry plugins; waits in milliseconds unless `realWaits`. */
function octokit({ realWaits = false } = {}) {
  const base = realWaits ? {} : { retryAfterBaseValue: 1 };
  return new ProbotOctokit({
    auth: { token },
    baseUrl: fake.apiUrl,
    log: silent,
    throttle: { ...rateLimitHandlers({ log: silent }), ...base, write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }) },
    retry: { ...base, doNotRetry: [...RETRY_OPTIONS.doNotRetry] },
  });
}

const noop = async (_results: SeatChangeResult[]) => {};

beforeEach(async () => {
  fake = await startFakeGitHub({ now: () => NOW });
  fake.addOrg({
    login: 'acme',
    members: [{ login: 'Alice', role: 'admin' }, ...range('dev', 0, 260).map((login) => ({ login }))],
    teams: [
      { slug: 'eng', members: ['Alice', 'dev0'] },
      { slug: 'platform', parent: 'eng', members: ['dev1'], maintainers: ['dev2'] },
      { slug: 'sre', parent: 'platform', members: ['dev3'] },
      { slug: 'everyone', members: range('dev', 0, 230) },
    ],
    seats: [
      ...range('dev', 0, 250).map((login) => ({ login, createdAt: '2025-01-10T00:00:00Z', lastActivityAt: '2025-06-01T00:00:00Z' })),
      { login: 'Alice', createdAt: '2025-01-10T00:00:00Z', assigningTeam: 'eng', planType: 'business' as const },
    ],
  });
  fake.addInstallation({ id: 11, account: 'acme' });
  token = fake.createInstallationToken(11);
});

afterEach(async () => {
  await fake.close();
});

describe('GitHub edge against the fake GitHub', () => {
  it('lists every seat over three pages of 100', async () => {
    const result = await fetchCopilotSeats(octokit(), 'acme');

    expect(result.requests).toBe(3);
    expect(fake.count('copilot/list-copilot-seats')).toBe(3);
    expect(fake.requestsTo('copilot/list-copilot-seats').map((r) => r.query.per_page)).toEqual(['100', '100', '100']);
    expect(result.totalSeats).toBe(251);
    expect(result.seats).toHaveLength(251);
    expect(result.skippedNonUserSeats).toBe(0);
    expect(result.seats.find((s) => s.assigneeLogin === 'Alice')).toMatchObject({ assigningTeamSlug: 'eng', planType: 'business', lastActivityAt: null });
    expect(result.seats.find((s) => s.assigneeLogin === 'dev7')).toMatchObject({
      assigningTeamSlug: null,
      createdAt: '2025-01-10T00:00:00.000Z',
      lastActivityAt: '2025-06-01T00:00:00.000Z',
    });
    expect(fake.violations).toEqual([]);
  });

  it('reads the Copilot billing details', async () => {
    const billing = await fetchCopilotBilling(octokit(), 'acme');

    expect(billing.seatManagementSetting).toBe('assign_selected');
    expect(billing.planType).toBe('business');
    expect(billing.seatBreakdown).toMatchObject({ total: 251 });
    expect(fake.violations).toEqual([]);
  });

  it.each([
    ['octokit.graphql', () => octokit().graphql],
    ['@octokit/graphql', () => graphql.defaults({ baseUrl: fake.apiUrl, headers: { authorization: `token ${token}` } })],
  ])('reads members, teams and direct team members with %s', async (_name, client) => {
    const graph = await fetchOrgGraph(client(), 'acme');

    // Members: 3 pages (teams ride along on the first); then one follow-up per further 100 members of `everyone`.
    expect(graph.requests).toBe(5);
    expect(fake.count('graphql')).toBe(5);
    expect(graph.members).toHaveLength(261);
    expect(graph.members.find((m) => m.login === 'Alice')?.role).toBe('admin');
    expect(graph.members.find((m) => m.login === 'dev9')?.role).toBe('member');
    expect(new Set(graph.members.map((m) => m.id)).size).toBe(261);
    expect(graph.teams.map((t) => [t.slug, t.parentSlug]).sort()).toEqual([
      ['eng', null],
      ['everyone', null],
      ['platform', 'eng'],
      ['sre', 'platform'],
    ]);
    expect(graph.teamMemberships.everyone?.map((m) => m.login).sort()).toEqual(range('dev', 0, 230).sort());
    expect(graph.teamMemberships.platform?.map((m) => m.login).sort()).toEqual(['dev1', 'dev2']);
    expect(graph.teamMemberships.eng?.map((m) => m.login).sort()).toEqual(['Alice', 'dev0']);
    expect(fake.violations).toEqual([]);
  });

  it('applies seat changes, isolating the ones GitHub refuses', async () => {
    const changes: SeatChange[] = [
      ...range('dev', 0, 120).map((login) => ({ login, op: 'cancel' as const })),
      { login: 'Alice', op: 'cancel' },
      ...range('dev', 250, 260).map((login) => ({ login, op: 'add' as const })),
      { login: 'outsider', op: 'add' },
    ];
    const stored: SeatChangeResult[] = [];

    const outcome = await applySeatChanges({
      octokit: octokit(),
      org: 'acme',
      changes,
      onResults: async (results) => void stored.push(...results),
      log: silent,
    });

    expect(outcome.failed.map((r) => r.login).sort()).toEqual(['Alice', 'outsider']);
    expect(outcome.failed.find((r) => r.login === 'outsider')?.error).toMatch(/^422 .*not members.*outsider/);
    expect(outcome.done).toHaveLength(130);
    expect(stored).toHaveLength(132);
    const seats = fake.orgState('acme').seats;
    const pending = seats.filter((s) => s.pendingCancellationDate !== null).map((s) => s.login);
    expect(pending.sort()).toEqual(range('dev', 0, 120).sort());
    const added = new Set(range('dev', 250, 260));
    expect(seats.filter((s) => added.has(s.login) && s.pendingCancellationDate === null)).toHaveLength(10);
    expect(seats.some((s) => s.login === 'outsider')).toBe(false);
    expect(fake.violations).toEqual([]);

    // A second run with only the failed changes sends only them.
    fake.clearLog();
    await applySeatChanges({ octokit: octokit(), org: 'acme', changes: outcome.failed.map(({ login, op }) => ({ login, op })), onResults: noop, log: silent });
    const sent = fake.requests.map((r) => (r.body as { selected_usernames: string[] }).selected_usernames);
    expect(sent).toEqual([['Alice'], ['outsider']]);
  });

  it('waits out a secondary rate limit and sends the batch again once', async () => {
    fake.failNext({ ...SECONDARY_RATE_LIMIT, method: 'POST', pathPattern: '/orgs/{org}/copilot/billing/selected_users' });
    const started = Date.now();

    const outcome = await applySeatChanges({
      octokit: octokit({ realWaits: true }),
      org: 'acme',
      changes: [{ login: 'dev255', op: 'add' }],
      onResults: noop,
      log: silent,
    });

    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(fake.requestsTo('copilot/add-copilot-seats-for-users').map((r) => r.status)).toEqual([403, 201]);
    expect(outcome.done).toEqual([{ login: 'dev255', op: 'add', ok: true }]);
    expect(fake.violations).toEqual([]);
  });

  it('retries a 502 and carries on', async () => {
    fake.failNext({ status: 502, method: 'DELETE', pathPattern: '/orgs/{org}/copilot/billing/selected_users' });

    const outcome = await applySeatChanges({ octokit: octokit(), org: 'acme', changes: [{ login: 'dev3', op: 'cancel' }], onResults: noop, log: silent });

    expect(fake.requestsTo('copilot/cancel-copilot-seat-assignment-for-users').map((r) => r.status)).toEqual([502, 200]);
    expect(outcome.done).toHaveLength(1);
    expect(fake.orgState('acme').seats.find((s) => s.login === 'dev3')?.pendingCancellationDate).not.toBeNull();
  });

  it('does not split a batch refused because seats are not managed per user', async () => {
    fake.addOrg({ login: 'open', members: range('u', 0, 8).map((login) => ({ login })), billing: { seatManagementSetting: 'assign_all' } });
    fake.addInstallation({ id: 12, account: 'open' });
    token = fake.createInstallationToken(12);

    const outcome = await applySeatChanges({
      octokit: octokit(),
      org: 'open',
      changes: range('u', 0, 8).map((login) => ({ login, op: 'add' })),
      onResults: noop,
      log: silent,
    });

    expect(outcome.requests).toBe(1);
    expect(outcome.failed).toHaveLength(8);
    expect(outcome.failed[0]?.error).toMatch(/^422 .*access setting/);
    expect(fake.violations).toEqual([]);
  });
});
