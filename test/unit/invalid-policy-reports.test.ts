import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/domain/plan-types.js';
import type { PolicyError } from '../../src/domain/policy/parse-policy.js';
import { renderCommandReply } from '../../src/domain/reports/render-command-reply.js';
import { renderComplianceCheck } from '../../src/domain/reports/render-compliance-check.js';

/** The plan an invalid policy leads to: made as if there were no policy, so it changes nothing. */
const noPolicyPlan: Plan = {
  formatVersion: 1,
  org: 'acme',
  computedAt: '2026-06-01T12:00:00.000Z',
  mode: 'report',
  status: 'no_policy',
  blocked: null,
  toAdd: [],
  toCancel: [],
  leftAlone: [],
  notAdded: [],
  seats: { before: { total: 3, perUser: 3, viaTeam: 0, pendingCancellation: 0 }, after: { total: 3, perUser: 3, viaTeam: 0, pendingCancellation: 0 } },
  cost: { beforeUsd: 57, afterUsd: 57 },
  cap: { max: null, seatsAfter: 3, status: 'none', notAddedCount: 0 },
  budget: { monthlyLimitUsd: null, costBeforeUsd: 57, costAfterUsd: 57, status: 'none', overByUsd: 0 },
  violations: [],
  warnings: [],
  overridesToRecord: [],
};
const errors: PolicyError[] = [
  { line: 7, column: 5, endLine: 7, endColumn: 10, path: 'seats.grant.teamz', message: 'unknown key "teamz": did you mean "teams"?' },
  { line: 2, column: 7, path: 'mode', message: 'mode must be "enforce" or "report"' },
];
const invalidPolicy = { errors, path: '.github/copilot-policy.yml', commitSha: 'c0ffee0000000000000000000000000000000001' };

describe('an invalid policy in reports', () => {
  it('fails ceos/compliance, naming each problem with its line and the commit, and annotates the file', () => {
    const report = renderComplianceCheck({ plan: noPolicyPlan, planId: 'p1', invalidPolicy });
    expect(report.conclusion).toBe('failure');
    expect(report.title).toBe('Policy invalid: 2 problems; nothing is enforced');
    expect(report.summary).toContain('❌ **Invalid policy**: `.github/copilot-policy.yml` at commit `c0ffee0` on the default branch is not a valid policy (2 problems).');
    expect(report.summary).toMatch(/\| 7 \| `seats\.grant\.teamz` \| unknown key/);
    expect(report.summary).toMatch(/\| 2 \| `mode` \|/);
    expect(report.summary).not.toMatch(/no policy/i);
    expect(report.annotations.map((a) => [a.start_line, a.annotation_level])).toEqual([
      [7, 'failure'],
      [2, 'failure'],
    ]);
  });

  it('says "no policy" only when there is no file', () => {
    const report = renderComplianceCheck({ plan: noPolicyPlan, planId: 'p1', invalidPolicy: null });
    expect(report.summary).toContain('**No policy**');
    expect(report.summary).not.toContain('Invalid policy');
  });

  it.each([
    ['status', { verb: 'status', scope: 'org', plan: noPolicyPlan, planId: null, lastReconciledAt: null, invalidPolicy }],
    ['report', { verb: 'report', plan: noPolicyPlan, planId: null, invalidPolicy }],
    ['plan', { verb: 'plan', plan: noPolicyPlan, planId: 'p1', invalidPolicy }],
    ['apply', { verb: 'apply', plan: noPolicyPlan, planId: 'p1', outcome: null, invalidPolicy }],
  ] as const)('the /copilot %s reply says the policy is invalid, with its problems', (_verb, input) => {
    const reply = renderCommandReply(input);
    expect(reply).toContain('❌ **Invalid policy**');
    expect(reply).toMatch(/\| 7 \| `seats\.grant\.teamz` \|/);
    expect(reply).not.toContain('**No policy**');
  });
});
