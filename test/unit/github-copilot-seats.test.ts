import { createRequire } from 'node:module';
import nock from 'nock';
import pino from 'pino';
import { ProbotOctokit } from 'probot';
import { describe, expect, it } from 'vitest';
import { fetchCopilotBilling } from '../../src/github/fetch-copilot-billing.js';
import { fetchCopilotSeats } from '../../src/github/fetch-copilot-seats.js';
import { TornSyncError } from '../../src/github/torn-sync-error.js';

const require = createRequire(import.meta.url);
const spec = require('@octokit/openapi/generated/api.github.com.json') as {
  components: { examples: Record<string, { value: Record<string, unknown> }> };
};
const seatsExample = spec.components.examples['copilot-seats-list']!.value as { seats: Record<string, unknown>[] };
const billingExample = spec.components.examples['copilot-organization-details']!.value;
const [teamSeat, pendingSeat] = seatsExample.seats as [Record<string, unknown>, Record<string, unknown>];

const API = 'https://github.test';
const SEATS = '/api/v3/orgs/acme/copilot/billing/seats';

function octokit() {
  return new ProbotOctokit({
    auth: { token: 'test' },
    baseUrl: `${API}/api/v3`,
    log: pino({ level: 'silent' }),
    throttle: { enabled: false },
    retry: { enabled: false },
  });
}

/** A seat shaped like GitHub's example, for `login` with user id `id`. */
function seat(login: string, id: number): Record<string, unknown> {
  const { assigning_team: _team, ...rest } = teamSeat;
  return { ...rest, assignee: { ...(teamSeat.assignee as object), login, id } };
}

function link(page: number, last: number): string {
  const at = (p: number) => `<${API}${SEATS}?per_page=100&page=${p}>`;
  const links = [];
  if (page < last) links.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`);
  if (page > 1) links.push(`${at(page - 1)}; rel="prev"`, `${at(1)}; rel="first"`);
  return links.join(', ');
}

describe('fetchCopilotSeats', () => {
  it('follows the Link header across pages until every seat is read', async () => {
    const all = Array.from({ length: 250 }, (_, i) => seat(`dev${i}`, 1000 + i));
    const scope = nock(API)
      .get(SEATS)
      .query({ per_page: '100' })
      .reply(200, { total_seats: 250, seats: all.slice(0, 100) }, { link: link(1, 3) })
      .get(SEATS)
      .query({ per_page: '100', page: '2' })
      .reply(200, { total_seats: 250, seats: all.slice(100, 200) }, { link: link(2, 3) })
      .get(SEATS)
      .query({ per_page: '100', page: '3' })
      .reply(200, { total_seats: 250, seats: all.slice(200) }, { link: link(3, 3) });

    const result = await fetchCopilotSeats(octokit(), 'acme');

    expect(result.requests).toBe(3);
    expect(result.totalSeats).toBe(250);
    expect(result.seats).toHaveLength(250);
    expect(result.seats.map((s) => s.assigneeLogin)).toEqual(all.map((_, i) => `dev${i}`));
    expect(result.seats[249]?.assigneeId).toBe(1249);
    expect(scope.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('maps GitHub\'s example seats, normalising dates to UTC', async () => {
    nock(API).get(SEATS).query({ per_page: '100' }).reply(200, seatsExample);

    const { seats, skippedNonUserSeats, requests } = await fetchCopilotSeats(octokit(), 'acme');

    expect(requests).toBe(1);
    expect(skippedNonUserSeats).toBe(0);
    expect(seats).toEqual([
      {
        assigneeLogin: 'octocat',
        assigneeId: 1,
        assigningTeamSlug: 'justice-league',
        createdAt: '2021-08-04T00:00:00.000Z',
        lastActivityAt: '2021-10-14T06:53:32.000Z',
        lastActivityEditor: 'vscode/1.77.3/copilot/1.86.82',
        lastAuthenticatedAt: '2021-10-14T06:53:32.000Z',
        pendingCancellationDate: null,
        planType: 'business',
      },
      {
        assigneeLogin: 'octokitten',
        assigneeId: 1,
        assigningTeamSlug: null,
        createdAt: '2021-09-24T00:00:00.000Z',
        lastActivityAt: '2021-10-13T06:53:32.000Z',
        lastActivityEditor: 'vscode/1.77.3/copilot/1.86.82',
        lastAuthenticatedAt: '2021-10-14T06:53:32.000Z',
        pendingCancellationDate: '2021-11-01',
        planType: 'unknown',
      },
    ]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('leaves out seats whose assignee is not a user, and counts them', async () => {
    const orgAssignee = { ...pendingSeat, assignee: { ...(pendingSeat.assignee as object), login: 'acme', id: 9, type: 'Organization' } };
    const noAssignee = { ...pendingSeat, assignee: null };
    const never = { ...seat('newbie', 7), last_activity_at: null, last_activity_editor: null, last_authenticated_at: null };
    nock(API)
      .get(SEATS)
      .query({ per_page: '100' })
      .reply(200, { total_seats: 3, seats: [orgAssignee, never, noAssignee] });

    const { seats, skippedNonUserSeats, totalSeats } = await fetchCopilotSeats(octokit(), 'acme');

    expect(skippedNonUserSeats).toBe(2);
    expect(totalSeats).toBe(3);
    expect(seats).toHaveLength(1);
    expect(seats[0]).toMatchObject({ assigneeLogin: 'newbie', lastActivityAt: null, lastActivityEditor: null, lastAuthenticatedAt: null });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it.each([
    { name: 'one page short of total_seats', pages: [100, 100, 49], total: 250, listed: 249 },
    { name: 'total_seats growing on a later page', pages: [100, 100, 50], total: 260, listed: 250, lastTotal: 260 },
  ])('fails with a TornSyncError when the list is $name', async ({ pages, total, listed, lastTotal }) => {
    let n = 0;
    const all = pages.map((size) => Array.from({ length: size }, () => seat(`dev${n}`, 1000 + n++)));
    const scope = nock(API);
    all.forEach((page, i) => {
      const query = i === 0 ? { per_page: '100' } : { per_page: '100', page: String(i + 1) };
      const reported = i === all.length - 1 && lastTotal !== undefined ? lastTotal : lastTotal !== undefined ? 250 : total;
      scope.get(SEATS).query(query).reply(200, { total_seats: reported, seats: page }, { link: link(i + 1, all.length) });
    });

    const error = await fetchCopilotSeats(octokit(), 'acme').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TornSyncError);
    expect(error).toMatchObject({ org: 'acme', listing: 'seats', expected: total, received: listed });
    expect((error as Error).message).toContain(`GitHub counted ${total} Copilot seats but listed ${listed} usable ones`);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('counts seats of non-users toward total_seats: a list with them is whole', async () => {
    const orgAssignee = { ...pendingSeat, assignee: { ...(pendingSeat.assignee as object), login: 'acme', id: 9, type: 'Organization' } };
    nock(API).get(SEATS).query({ per_page: '100' }).reply(200, { total_seats: 2, seats: [orgAssignee, seat('a', 1)] });

    await expect(fetchCopilotSeats(octokit(), 'acme')).resolves.toMatchObject({ totalSeats: 2, skippedNonUserSeats: 1 });
  });

  it('fails when a page fails, never returning the pages read before it', async () => {
    const all = Array.from({ length: 150 }, (_, i) => seat(`dev${i}`, 1000 + i));
    nock(API)
      .get(SEATS)
      .query({ per_page: '100' })
      .reply(200, { total_seats: 150, seats: all.slice(0, 100) }, { link: link(1, 2) })
      .get(SEATS)
      .query({ per_page: '100', page: '2' })
      .reply(502, { message: 'Server Error' });

    await expect(fetchCopilotSeats(octokit(), 'acme')).rejects.toMatchObject({ status: 502 });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('fails rather than guess when GitHub sends a date it cannot read', async () => {
    nock(API).get(SEATS).query({ per_page: '100' }).reply(200, { total_seats: 1, seats: [{ ...seat('a', 1), created_at: 'yesterday' }] });

    await expect(fetchCopilotSeats(octokit(), 'acme')).rejects.toThrow(/created_at is not a date: "yesterday"/);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('fetchCopilotBilling', () => {
  it('maps GitHub\'s example organization details', async () => {
    nock(API).get('/api/v3/orgs/acme/copilot/billing').reply(200, billingExample);

    const billing = await fetchCopilotBilling(octokit(), 'acme');

    expect(billing).toEqual({
      seatManagementSetting: 'assign_selected',
      planType: 'business',
      seatBreakdown: {
        total: 12,
        added_this_cycle: 9,
        pending_invitation: 0,
        pending_cancellation: 0,
        active_this_cycle: 12,
        inactive_this_cycle: 11,
      },
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it.each([
    ['assign_all', undefined, null],
    ['disabled', 'enterprise', 'enterprise'],
    ['unconfigured', 'business', 'business'],
  ] as const)('reads seat management %s and plan %s', async (setting, plan, expected) => {
    nock(API)
      .get('/api/v3/orgs/acme/copilot/billing')
      .reply(200, { ...billingExample, seat_management_setting: setting, plan_type: plan });

    const billing = await fetchCopilotBilling(octokit(), 'acme');

    expect(billing.seatManagementSetting).toBe(setting);
    expect(billing.planType).toBe(expected);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('refuses a seat management setting it does not know', async () => {
    nock(API).get('/api/v3/orgs/acme/copilot/billing').reply(200, { ...billingExample, seat_management_setting: 'assign_magic' });

    await expect(fetchCopilotBilling(octokit(), 'acme')).rejects.toThrow(/unknown Copilot seat management setting for acme: "assign_magic"/);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('lets a 404 through to the caller', async () => {
    nock(API).get('/api/v3/orgs/acme/copilot/billing').reply(404, { message: 'Not Found' });

    await expect(fetchCopilotBilling(octokit(), 'acme')).rejects.toMatchObject({ status: 404 });
    expect(nock.pendingMocks()).toEqual([]);
  });
});
