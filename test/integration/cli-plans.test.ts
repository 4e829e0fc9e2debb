import { afterEach, describe, expect, it, vi } from 'vitest';
import { upsertInstallation } from '../../src/db/installations.js';
import { recordChangeResults, storePlan } from '../../src/db/plans.js';
import type { Plan } from '../../src/domain/plan-types.js';
import { planReconciliation } from '../../src/domain/planner/plan-reconciliation.js';
import { parsePolicy } from '../../src/domain/policy/parse-policy.js';
import { runCli } from '../helpers/cli.js';
import { backend, cliDatabase } from '../helpers/database.js';

const STACK_FRAME = /^\s+at /m;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function freshDatabase() {
  return cliDatabase((cleanup) => cleanups.push(cleanup));
}

function samplePlan(): Plan {
  const parsed = parsePolicy('version: 1\nmode: enforce\nseats:\n  grant:\n    users: [alice, carol]\n');
  if (!parsed.ok) throw new Error('sample policy is invalid');
  return planReconciliation({
    policy: parsed.policy,
    snapshot: {
      org: 'Acme',
      members: [
        { login: 'alice', id: 1, role: 'admin' },
        { login: 'bob', id: 2, role: 'member' },
        { login: 'carol', id: 3, role: 'member' },
      ],
      teams: [],
      teamMemberships: {},
      seats: [
        { assigneeLogin: 'bob', assigneeId: 2, assigningTeamSlug: null, createdAt: '2026-01-01T00:00:00.000Z', lastActivityAt: '2026-11-20T00:00:00.000Z', lastActivityEditor: null, lastAuthenticatedAt: null, pendingCancellationDate: null, planType: 'business' },
      ],
      billing: { seatManagementSetting: 'assign_selected' },
    },
    overrides: [],
    now: '2026-11-29T00:00:00.000Z',
    membership: { complete: true, asOf: '2026-11-29T00:00:00.000Z' },
  });
}

describe(`ceos plans and ceos reconcile (${backend})`, () => {
  it('lists plans, shows one in full with each change and its outcome, and queues a reconciliation', async () => {
    const { env, open } = freshDatabase();
    const database = await open();
    const plan = samplePlan();
    expect(plan.toAdd.map((e) => e.login)).toEqual(['alice', 'carol']);
    const planId = await storePlan(database.db, { org: 'acme', trigger: 'schedule', actor: 'schedule', plan, policySha: 'abc', status: 'applying' });
    await recordChangeResults(database.db, planId, [
      { login: 'alice', ok: true },
      { login: 'carol', ok: false, error: 'Validation Failed (HTTP 422)' },
    ]);
    await upsertInstallation(
      database.db,
      { id: 77, accountLogin: 'Acme', accountId: 9, accountType: 'Organization', repositorySelection: 'all', permissions: {}, events: [] },
      'active',
    );
    await database.close();

    const list = await runCli(['plans', 'list', 'Acme'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(planId);
    expect(list.stdout).toMatch(/schedule\s+schedule\s+enforce\s+applying\s+2\s+1/);

    const show = await runCli(['plans', 'show', planId], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/alice\s+granted by user list\s+done/);
    expect(show.stdout).toMatch(/carol\s+.*failed: Validation Failed \(HTTP 422\)/);
    expect(show.stdout).toMatch(/to cancel \(1\):[\s\S]*bob\s+not granted by policy\s+pending/i);

    const json = await runCli(['plans', 'show', planId, '--json'], env);
    const parsed = JSON.parse(json.stdout) as { id: string; changes: { login: string; status: string }[] };
    expect(parsed.id).toBe(planId);
    expect(parsed.changes.map((c) => `${c.login}:${c.status}`)).toEqual(['alice:done', 'bob:pending', 'carol:failed']);

    const missing = await runCli(['plans', 'show', '00000000-0000-0000-0000-000000000000'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no plan 00000000-0000-0000-0000-000000000000');
    expect(missing.stderr).not.toMatch(STACK_FRAME);

    const queued = await runCli(['reconcile', 'acme', '--plan-only', '--full-sync'], env);
    expect(queued.stderr).toBe('');
    expect(queued.code).toBe(0);
    expect(queued.stdout).toMatch(/reconciliation of Acme queued/);
    const notInstalled = await runCli(['reconcile', 'globex'], env);
    expect(notInstalled.code).toBe(1);
    expect(notInstalled.stderr).toContain('CEOS is not installed on globex');

    const check = await open();
    cleanups.push(() => check.close());
    await vi.waitFor(async () => {
      const { rows } = await check.db.executeQuery<{ data: { trigger: string; apply: boolean; refreshGraph: boolean; org: string } }>({
        sql: `select data from "${check.schema}_jobs".job where name = 'reconcile-org'`,
        parameters: [],
        query: { kind: 'RawNode' } as never,
        queryId: { queryId: 'test' },
      });
      expect(rows.map((r) => r.data)).toEqual([expect.objectContaining({ org: 'acme', trigger: 'cli', apply: false, refreshGraph: true })]);
    });
  });
});
