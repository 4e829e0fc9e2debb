import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnapshot } from '../../src/db/mirror.js';
import { savePolicy } from '../../src/db/policies.js';
import { insertSeatWarnings, markSeatWarningsNotified } from '../../src/db/seat-warnings.js';
import { upsertPendingRequest } from '../../src/db/seat-requests.js';
import { parsePolicy } from '../../src/domain/policy/parse-policy.js';
import { createKey, seedOrg } from '../helpers/api.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';

let ceos: TestCeos;
beforeAll(async () => {
  ceos = await startTestCeos({ CEOS_WORKERS: 'false' }, { listen: false });
  await seedOrg(ceos.database.db, 'Acme', 1);
});
afterAll(() => ceos?.stop());

async function inject(method: 'GET' | 'POST', url: string, auth: Record<string, string>, payload?: unknown) {
  const res = await ceos.server.inject({ method, url, headers: { ...auth, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

describe(`seat requests and warnings through the API (${backend})`, () => {
  it("a person's seat shows their inactivity warning and its due date", async () => {
    const { db } = ceos.database;
    const viewer = (await createKey(db, 'viewer')).auth;
    const now = new Date();
    // bob has not used his seat for 60 days: inside the 40-day window before a 90-day limit.
    const text = 'version: 1\nmode: enforce\nseats:\n  grant:\n    teams: [eng]\ninactivity:\n  revoke_after_days: 90\n  warn_before_days: 40\n';
    const parsed = parsePolicy(text);
    if (!parsed.ok) throw new Error('policy');
    await savePolicy(db, 'acme', { sha: 'warn1', ref: null, text, policy: parsed.policy, errors: null }, now);
    const bob = (await loadSnapshot(db, 'acme', 'Acme')).seats.find((s) => s.assigneeLogin === 'bob')!;
    const warnedAt = new Date(now.getTime() - 5 * 86_400_000).toISOString();
    await insertSeatWarnings(db, 'acme', [{ login: 'bob', userId: 2, inactiveDays: 55, inactiveSince: bob.lastActivityAt!, warnedAt, dueOn: 'x' }], '00000000-0000-0000-0000-000000000000');
    // Told when warned: the warning period counts from the comment that mentioned him.
    await markSeatWarningsNotified(db, 'acme', [2], 1, new Date(warnedAt));
    const res = await inject('GET', '/api/v1/orgs/acme/seats/bob', viewer);
    expect(res.status).toBe(200);
    // Due when 40 days warned (in 35 days), later than 91 days unused (in 31 days).
    expect(res.body.inactivity_warning).toEqual({ warned_at: warnedAt, due_on: new Date(Date.parse(warnedAt) + 40 * 86_400_000).toISOString().slice(0, 10) });
    expect((await inject('GET', '/api/v1/orgs/acme/seats/alice', viewer)).body.inactivity_warning).toBeNull();
  });

  it('operators decide, viewers only read, a decided request is gone, and the cap refuses with the numbers', async () => {
    const { db } = ceos.database;
    const operator = (await createKey(db, 'operator')).auth;
    const viewer = (await createKey(db, 'viewer')).auth;
    const now = new Date();
    const { row } = await upsertPendingRequest(db, { org: 'acme', login: 'carol', userId: 3, reason: null, repository: null, issueNumber: null, commentId: null }, now);

    expect((await inject('GET', '/api/v1/orgs/acme/requests', viewer)).body.items.map((r: { login: string }) => r.login)).toEqual(['carol']);
    expect((await inject('POST', `/api/v1/orgs/acme/requests/${row.id}/approve`, viewer, {})).status).toBe(403);

    // A cap of the seats already held: approving one more would go over it.
    const text = 'version: 1\nmode: enforce\nseats:\n  grant:\n    users: [alice]\n  max: 1\n';
    const parsed = parsePolicy(text);
    if (!parsed.ok) throw new Error('policy');
    await savePolicy(db, 'acme', { sha: 'cap1', ref: null, text, policy: parsed.policy, errors: null }, now);
    const refused = await inject('POST', `/api/v1/orgs/acme/requests/${row.id}/approve`, operator, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('over_cap');
    expect(refused.body.error.message).toContain('the seat cap is 1');

    const declined = await inject('POST', `/api/v1/orgs/acme/requests/${row.id}/decline`, operator, { reason: 'cap reached' });
    expect(declined.body).toMatchObject({ login: 'carol', state: 'declined', decided_by: expect.stringMatching(/^api-key:/), decision_reason: 'cap reached' });
    expect((await inject('POST', `/api/v1/orgs/acme/requests/${row.id}/decline`, operator, {})).status).toBe(404);
    expect((await inject('GET', '/api/v1/orgs/acme/requests?state=declined', viewer)).body.items).toHaveLength(1);
    const audited = await db.selectFrom('audit_log').select(['action', 'actor']).where('action', '=', 'request.declined').execute();
    expect(audited).toEqual([{ action: 'request.declined', actor: declined.body.decided_by }]);
  });
});
