import { describe, expect, it } from 'vitest';
import { generateSyntheticOrg } from '../../bench/synthetic-org.js';
import { planReconciliation } from '../../src/domain/planner/plan-reconciliation.js';
import { parsePolicy } from '../../src/domain/policy/parse-policy.js';

describe('synthetic organization for benchmarks', () => {
  const options = { members: 5_000, teams: 60, seats: 3_000, changes: 400, seed: 7 };

  it('is the same for the same seed', () => {
    expect(JSON.stringify(generateSyntheticOrg(options))).toBe(JSON.stringify(generateSyntheticOrg(options)));
    expect(JSON.stringify(generateSyntheticOrg({ ...options, seed: 8 }))).not.toBe(JSON.stringify(generateSyntheticOrg(options)));
  });

  it('has the requested sizes and a policy file that parses to the same policy', () => {
    const org = generateSyntheticOrg(options);
    expect(org.snapshot.members).toHaveLength(5_000);
    expect(org.snapshot.teams.length).toBe(62);
    expect(org.snapshot.seats).toHaveLength(3_000);
    expect(org.snapshot.teams.some((t) => t.parentSlug !== null)).toBe(true);
    expect(parsePolicy(org.policyText)).toEqual({ ok: true, policy: org.policy });
  });

  it('needs about the requested number of changes, of every kind', () => {
    const plan = planReconciliation(generateSyntheticOrg(options));
    const changes = plan.toAdd.length + plan.toCancel.length;
    expect(changes).toBeGreaterThan(300);
    expect(changes).toBeLessThan(500);
    const codes = new Set([...plan.toAdd, ...plan.toCancel, ...plan.leftAlone].map((e) => e.reason.code));
    for (const code of ['granted_by_team', 'readded_pending_cancellation', 'inactive', 'denied_by_team', 'not_granted', 'assigned_via_team', 'pending_cancellation']) {
      expect(codes).toContain(code);
    }
  });
});
