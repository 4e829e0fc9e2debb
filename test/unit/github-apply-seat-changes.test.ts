import Bottleneck from 'bottleneck';
import nock from 'nock';
import pino from 'pino';
import { ProbotOctokit } from 'probot';
import { describe, expect, it } from 'vitest';
import { applySeatChanges } from '../../src/github/apply-seat-changes.js';
import type { SeatChange, SeatChangeResult } from '../../src/github/apply-seat-changes.js';
import { RETRY_OPTIONS, rateLimitHandlers } from '../../src/github/rate-limit-handlers.js';

const API = 'https://github.test';
const PATH = '/api/v3/orgs/acme/copilot/billing/selected_users';
const silent = pino({ level: 'silent' });

/**
 * Probot's Octokit with its real throttling and retry plugins and CEOS's rate-limit callbacks. Waits are
 * scaled from seconds to milliseconds unless `realWaits`, and writes are not paced one a second.
 */
function octokit({ realWaits = false } = {}) {
  const base = realWaits ? {} : { retryAfterBaseValue: 1 };
  return new ProbotOctokit({
    auth: { token: 'test' },
    baseUrl: `${API}/api/v3`,
    log: silent,
    throttle: { ...rateLimitHandlers({ log: silent }), ...base, write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }) },
    retry: { ...base, doNotRetry: [...RETRY_OPTIONS.doNotRetry] },
  });
}

interface Sent {
  method: string;
  body: { selected_usernames: string[] };
}

type Reply = [number, Record<string, unknown>, Record<string, string>?];

/** Intercepts exactly `times` seat requests of `method`, answering each with `answer`, and records them in `sent`. */
function seatRequests(method: 'POST' | 'DELETE', times: number, sent: Sent[], answer: (logins: string[]) => Reply): void {
  nock(API)
    .intercept(PATH, method)
    .times(times)
    .reply(async (request: Request) => {
      const body = (await request.json()) as Sent['body'];
      sent.push({ method, body });
      return answer(body.selected_usernames);
    });
}

const created = (logins: string[]): Reply => [201, { seats_created: logins.length }];
const cancelled = (logins: string[]): Reply => [200, { seats_cancelled: logins.length }];
const notMembers = (bad: string[]) => (logins: string[]): Reply => {
  const outsiders = logins.filter((l) => bad.includes(l));
  if (outsiders.length === 0) return created(logins);
  return [422, { message: `The following users are not members of the acme organization: ${outsiders.join(', ')}.`, documentation_url: 'https://docs.github.com/rest' }];
};

function logins(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
}

function collector() {
  const calls: SeatChangeResult[][] = [];
  return { calls, onResults: async (results: SeatChangeResult[]) => void calls.push(results) };
}

describe('applySeatChanges', () => {
  it('cancels, then adds, in batches of 100, storing each batch before the next is sent', async () => {
    const adds = logins('new', 250);
    const cancels = logins('old', 250);
    const sent: Sent[] = [];
    seatRequests('DELETE', 3, sent, cancelled);
    seatRequests('POST', 3, sent, created);
    const { calls, onResults } = collector();
    const changes: SeatChange[] = [...adds.map((login) => ({ login, op: 'add' as const })), ...cancels.map((login) => ({ login, op: 'cancel' as const }))];

    const outcome = await applySeatChanges({ octokit: octokit(), org: 'acme', changes, onResults, log: silent });

    expect(sent.map((s) => [s.method, s.body.selected_usernames.length])).toEqual([
      ['DELETE', 100],
      ['DELETE', 100],
      ['DELETE', 50],
      ['POST', 100],
      ['POST', 100],
      ['POST', 50],
    ]);
    expect(sent.map((s) => s.body)).toEqual([
      { selected_usernames: cancels.slice(0, 100) },
      { selected_usernames: cancels.slice(100, 200) },
      { selected_usernames: cancels.slice(200) },
      { selected_usernames: adds.slice(0, 100) },
      { selected_usernames: adds.slice(100, 200) },
      { selected_usernames: adds.slice(200) },
    ]);
    expect(outcome.requests).toBe(6);
    expect(outcome.failed).toEqual([]);
    expect(outcome.done).toHaveLength(500);
    expect(calls.map((c) => c.length)).toEqual([100, 100, 50, 100, 100, 50]);
    expect(calls[0]?.[0]).toEqual({ login: 'old000', op: 'cancel', ok: true });
    expect(calls[5]?.[49]).toEqual({ login: 'new249', op: 'add', ok: true });
    expect(nock.isDone()).toBe(true);
  });

  it('sends a login listed twice once, whatever its case', async () => {
    const sent: Sent[] = [];
    seatRequests('POST', 1, sent, created);
    const changes: SeatChange[] = [
      { login: 'Mona', op: 'add' },
      { login: 'mona', op: 'add' },
      { login: 'hubot', op: 'add' },
    ];

    const outcome = await applySeatChanges({ octokit: octokit(), org: 'acme', changes, batchSize: 10, ...collector(), log: silent });

    expect(sent.map((s) => s.body.selected_usernames)).toEqual([['Mona', 'hubot']]);
    expect(outcome.done.map((r) => r.login)).toEqual(['Mona', 'hubot']);
    expect(nock.isDone()).toBe(true);
  });

  it('sends nothing when there is nothing to change', async () => {
    const outcome = await applySeatChanges({ octokit: octokit(), org: 'acme', changes: [], ...collector(), log: silent });

    expect(outcome).toEqual({ done: [], failed: [], requests: 0 });
    expect(nock.isDone()).toBe(true);
  });

  it.each([0, 101, 2.5])('refuses batchSize %s', async (batchSize) => {
    await expect(
      applySeatChanges({ octokit: octokit(), org: 'acme', changes: [{ login: 'a', op: 'add' }], batchSize, ...collector(), log: silent }),
    ).rejects.toThrow(`batchSize must be an integer from 1 to 100, not ${batchSize}`);
  });

  describe('partial failure', () => {
    it('splits a refused batch until the user at fault is isolated, and adds the others', async () => {
      const sent: Sent[] = [];
      seatRequests('POST', 5, sent, notMembers(['carol']));
      const { calls, onResults } = collector();
      const changes: SeatChange[] = ['alice', 'bob', 'carol', 'dave', 'erin'].map((login) => ({ login, op: 'add' }));

      const outcome = await applySeatChanges({ octokit: octokit(), org: 'acme', changes, onResults, log: silent });

      expect(sent.map((s) => s.body.selected_usernames)).toEqual([
        ['alice', 'bob', 'carol', 'dave', 'erin'],
        ['alice', 'bob', 'carol'],
        ['alice', 'bob'],
        ['carol'],
        ['dave', 'erin'],
      ]);
      expect(outcome.requests).toBe(5);
      expect(outcome.done.map((r) => r.login)).toEqual(['alice', 'bob', 'dave', 'erin']);
      expect(outcome.failed).toEqual([
        { login: 'carol', op: 'add', ok: false, error: '422 The following users are not members of the acme organization: carol.' },
      ]);
      // Each settled request is stored at once.
      expect(calls.map((c) => c.map((r) => `${r.login}:${r.ok}`))).toEqual([['alice:true', 'bob:true'], ['carol:false'], ['dave:true', 'erin:true']]);
      expect(nock.isDone()).toBe(true);

      // The next run passes only what is not done: the done ones are never sent again.
      const retry: Sent[] = [];
      seatRequests('POST', 1, retry, created);
      const again = await applySeatChanges({
        octokit: octokit(),
        org: 'acme',
        changes: outcome.failed.map(({ login, op }) => ({ login, op })),
        ...collector(),
        log: silent,
      });
      expect(retry.map((s) => s.body.selected_usernames)).toEqual([['carol']]);
      expect(again).toEqual({ done: [{ login: 'carol', op: 'add', ok: true }], failed: [], requests: 1 });
      expect(nock.isDone()).toBe(true);
    });

    it('needs about 2·log2(n) extra requests to isolate one user among 100', async () => {
      const users = logins('dev', 100);
      const sent: Sent[] = [];
      // 1 + 2 per level down to the single user: levels of 50, 25, 13, 7, 4, 2, 1.
      seatRequests('POST', 15, sent, notMembers(['dev042']));

      const outcome = await applySeatChanges({
        octokit: octokit(),
        org: 'acme',
        changes: users.map((login) => ({ login, op: 'add' })),
        ...collector(),
        log: silent,
      });

      expect(outcome.requests).toBe(15);
      expect(outcome.failed.map((r) => r.login)).toEqual(['dev042']);
      expect(outcome.done).toHaveLength(99);
      // Every other user was accepted exactly once.
      const accepted = sent.filter((s) => !s.body.selected_usernames.includes('dev042')).flatMap((s) => s.body.selected_usernames);
      expect(accepted.sort()).toEqual(users.filter((login) => login !== 'dev042'));
      expect(nock.isDone()).toBe(true);
    });

    it('isolates a team-assigned seat that cannot be cancelled per user', async () => {
      const sent: Sent[] = [];
      seatRequests('DELETE', 3, sent, (logins) =>
        logins.includes('teamie')
          ? [422, { message: 'The seat of teamie cannot be cancelled because it was assigned via a team.' }]
          : cancelled(logins),
      );

      const outcome = await applySeatChanges({
        octokit: octokit(),
        org: 'acme',
        changes: ['gone', 'teamie'].map((login) => ({ login, op: 'cancel' })),
        ...collector(),
        log: silent,
      });

      expect(sent.map((s) => s.body.selected_usernames)).toEqual([['gone', 'teamie'], ['gone'], ['teamie']]);
      expect(outcome.done.map((r) => r.login)).toEqual(['gone']);
      expect(outcome.failed.map((r) => r.login)).toEqual(['teamie']);
      expect(nock.isDone()).toBe(true);
    });

    it('does not split a batch GitHub refuses for the whole organization, and sends nothing more', async () => {
      const sent: Sent[] = [];
      seatRequests('DELETE', 1, sent, () => [422, { message: 'Copilot Business or Enterprise is not enabled for this organization.' }]);
      const changes: SeatChange[] = [
        ...logins('old', 3).map((login) => ({ login, op: 'cancel' as const })),
        ...logins('new', 2).map((login) => ({ login, op: 'add' as const })),
      ];

      const outcome = await applySeatChanges({ octokit: octokit(), org: 'acme', changes, batchSize: 2, ...collector(), log: silent });

      expect(sent.map((s) => s.body.selected_usernames)).toEqual([['old000', 'old001']]);
      expect(outcome.requests).toBe(1);
      expect(outcome.done).toEqual([]);
      expect(outcome.failed.map((r) => [r.login, r.error])).toEqual([
        ['old000', '422 Copilot Business or Enterprise is not enabled for this organization.'],
        ['old001', '422 Copilot Business or Enterprise is not enabled for this organization.'],
        ['old002', 'not sent: an earlier request failed (422 Copilot Business or Enterprise is not enabled for this organization.)'],
        ['new000', 'not sent: an earlier request failed (422 Copilot Business or Enterprise is not enabled for this organization.)'],
        ['new001', 'not sent: an earlier request failed (422 Copilot Business or Enterprise is not enabled for this organization.)'],
      ]);
      expect(nock.isDone()).toBe(true);
    });

    it('stops at a refusal that is not about users (403 without a rate limit)', async () => {
      const sent: Sent[] = [];
      seatRequests('POST', 1, sent, () => [403, { message: 'Resource not accessible by integration' }]);

      const outcome = await applySeatChanges({
        octokit: octokit(),
        org: 'acme',
        changes: logins('new', 3).map((login) => ({ login, op: 'add' })),
        batchSize: 2,
        ...collector(),
        log: silent,
      });

      expect(outcome.requests).toBe(1);
      expect(outcome.failed.map((r) => r.error)).toEqual([
        '403 Resource not accessible by integration',
        '403 Resource not accessible by integration',
        'not sent: an earlier request failed (403 Resource not accessible by integration)',
      ]);
      expect(nock.isDone()).toBe(true);
    });
  });

  describe('rate limits and server errors', () => {
    const SECONDARY = {
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      documentation_url: 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
    };

    it('waits out a secondary rate limit for retry-after seconds, then sends the batch again once', async () => {
      const sent: Sent[] = [];
      let attempts = 0;
      seatRequests('POST', 2, sent, (logins) => (++attempts === 1 ? [403, SECONDARY, { 'retry-after': '1' }] : created(logins)));
      const started = Date.now();

      const outcome = await applySeatChanges({
        octokit: octokit({ realWaits: true }),
        org: 'acme',
        changes: [{ login: 'mona', op: 'add' }],
        ...collector(),
        log: silent,
      });

      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(sent.map((s) => s.body.selected_usernames)).toEqual([['mona'], ['mona']]);
      expect(outcome).toEqual({ done: [{ login: 'mona', op: 'add', ok: true }], failed: [], requests: 1 });
      expect(nock.isDone()).toBe(true);
    });

    it('gives up after two retries of a secondary rate limit and reports the batch failed', async () => {
      const sent: Sent[] = [];
      seatRequests('POST', 3, sent, () => [429, SECONDARY, { 'retry-after': '1' }]);

      const outcome = await applySeatChanges({
        octokit: octokit(),
        org: 'acme',
        changes: ['mona', 'hubot'].map((login) => ({ login, op: 'add' })),
        batchSize: 1,
        ...collector(),
        log: silent,
      });

      // The first attempt and two retries by the throttling plugin; the retry plugin leaves 429s to it.
      expect(sent).toHaveLength(3);
      expect(outcome.requests).toBe(1);
      expect(outcome.failed.map((r) => [r.login, r.error?.slice(0, 42)])).toEqual([
        ['mona', '429 You have exceeded a secondary rate lim'],
        ['hubot', 'not sent: an earlier request failed (429 Y'],
      ]);
      expect(nock.isDone()).toBe(true);
    });

    it('waits for the primary rate limit to reset, then sends the batch again', async () => {
      const sent: Sent[] = [];
      let attempts = 0;
      const reset = String(Math.ceil(Date.now() / 1000) + 30);
      seatRequests('DELETE', 2, sent, (logins) =>
        ++attempts === 1
          ? [403, { message: 'API rate limit exceeded for installation ID 1.' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }]
          : cancelled(logins),
      );

      const outcome = await applySeatChanges({
        octokit: octokit(),
        org: 'acme',
        changes: [{ login: 'mona', op: 'cancel' }],
        ...collector(),
        log: silent,
      });

      expect(sent).toHaveLength(2);
      expect(outcome.done).toEqual([{ login: 'mona', op: 'cancel', ok: true }]);
      expect(nock.isDone()).toBe(true);
    });

    it('retries a 502 and carries on', async () => {
      const sent: Sent[] = [];
      let attempts = 0;
      seatRequests('POST', 2, sent, (logins) => (++attempts === 1 ? [502, { message: 'Server Error' }] : created(logins)));

      const outcome = await applySeatChanges({
        octokit: octokit(),
        org: 'acme',
        changes: [{ login: 'mona', op: 'add' }],
        ...collector(),
        log: silent,
      });

      expect(sent.map((s) => s.body.selected_usernames)).toEqual([['mona'], ['mona']]);
      expect(outcome).toEqual({ done: [{ login: 'mona', op: 'add', ok: true }], failed: [], requests: 1 });
      expect(nock.isDone()).toBe(true);
    });

    it('reports the batch failed when the server keeps failing, and sends nothing more', async () => {
      const sent: Sent[] = [];
      seatRequests('POST', 4, sent, () => [503, { message: 'Service Unavailable' }]);
      const { calls, onResults } = collector();

      const outcome = await applySeatChanges({
        octokit: octokit(),
        org: 'acme',
        changes: ['a', 'b', 'c'].map((login) => ({ login, op: 'add' })),
        batchSize: 2,
        onResults,
        log: silent,
      });

      // One request and the retry plugin's three retries; the second batch is never sent.
      expect(sent).toHaveLength(4);
      expect(outcome.requests).toBe(1);
      expect(outcome.failed.map((r) => [r.login, r.error])).toEqual([
        ['a', '503 Service Unavailable'],
        ['b', '503 Service Unavailable'],
        ['c', 'not sent: an earlier request failed (503 Service Unavailable)'],
      ]);
      expect(calls).toHaveLength(2);
      expect(nock.isDone()).toBe(true);
    });
  });

  it('lets a failure to store results stop the run', async () => {
    const sent: Sent[] = [];
    seatRequests('POST', 1, sent, created);

    await expect(
      applySeatChanges({
        octokit: octokit(),
        org: 'acme',
        changes: ['a', 'b'].map((login) => ({ login, op: 'add' })),
        batchSize: 1,
        onResults: async () => {
          throw new Error('database is down');
        },
        log: silent,
      }),
    ).rejects.toThrow('database is down');
    expect(sent).toHaveLength(1);
    expect(nock.isDone()).toBe(true);
  });
});
