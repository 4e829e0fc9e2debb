import { describe, expect, it } from 'vitest';
import type { CopilotSeat } from '../../src/domain/plan-types.js';
import { settlePlanChanges } from '../../src/domain/settlement/settle-plan-changes.js';
import { isPlanAbandoned } from '../../src/jobs/settle-plans.js';

function seat(login: string, id: number, pendingCancellationDate: string | null = null): CopilotSeat {
  return {
    assigneeLogin: login,
    assigneeId: id,
    assigningTeamSlug: null,
    createdAt: '2026-11-01T00:00:00Z',
    lastActivityAt: null,
    lastActivityEditor: null,
    lastAuthenticatedAt: null,
    pendingCancellationDate,
    planType: 'business',
  };
}

describe('settling changes from the seat list', () => {
  const seats = [seat('alice', 1), seat('bob', 2, '2027-01-01'), seat('Renamed', 3)];
  it.each([
    ['an add whose seat is listed held', { login: 'alice', op: 'add', userId: 1 }, true, 'GitHub lists their seat'],
    ['an add whose seat is not listed did not happen', { login: 'carol', op: 'add', userId: 4 }, false, 'GitHub lists no seat for them'],
    ['an add on a seat still pending cancellation did not happen', { login: 'bob', op: 'add', userId: 2 }, false, 'their seat is still pending cancellation on 2027-01-01'],
    ['an add is matched by user id across a rename', { login: 'old-name', op: 'add', userId: 3 }, true, 'GitHub lists their seat'],
    ['a cancel on a seat pending cancellation held', { login: 'bob', op: 'cancel', userId: 2 }, true, 'their seat is pending cancellation on 2027-01-01'],
    ['a cancel whose seat is gone holds', { login: 'dave', op: 'cancel', userId: null }, true, 'GitHub no longer lists a seat for them'],
    ['a cancel on an active seat did not happen', { login: 'ALICE', op: 'cancel', userId: null }, false, 'their seat is still active'],
  ] as const)('%s', (_name, change, applied, observed) => {
    expect(settlePlanChanges([change], seats)).toEqual([{ ...change, applied, observed }]);
  });
});

describe('when a plan left applying is abandoned', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const plan = { created_at: new Date('2026-12-01T11:50:00Z'), job_id: 'job-1' };
  const active = { state: 'active' as const, startedOn: new Date('2026-12-01T11:49:00Z'), heartbeatOn: new Date('2026-12-01T11:59:40Z'), heartbeatSeconds: 30, expireInSeconds: 3600 };
  it.each([
    ['its job is active and beating: a live run, never touched', active, false],
    ['its job stopped beating for more than twice the interval', { ...active, heartbeatOn: new Date('2026-12-01T11:58:59Z') }, true],
    ['its job failed and waits for a retry', { ...active, state: 'retry' as const }, true],
    ['its job failed for good', { ...active, state: 'failed' as const }, true],
    ['its job is gone', null, true],
    ['its job has no heartbeat and is within its expiry', { ...active, heartbeatOn: null, heartbeatSeconds: null }, false],
    ['its job has no heartbeat and ran past its expiry', { ...active, heartbeatOn: null, heartbeatSeconds: null, startedOn: new Date('2026-12-01T10:59:00Z') }, true],
  ])('%s', (_name, job, abandoned) => {
    expect(isPlanAbandoned(plan, job, now, 3600)).toBe(abandoned);
  });
  it('a plan stored without a job id counts as abandoned only once older than the expiry', () => {
    expect(isPlanAbandoned({ ...plan, job_id: null }, null, now, 3600)).toBe(false);
    expect(isPlanAbandoned({ created_at: new Date('2026-12-01T10:00:00Z'), job_id: null }, null, now, 3600)).toBe(true);
  });
});
