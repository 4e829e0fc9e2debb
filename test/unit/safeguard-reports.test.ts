import { describe, expect, it } from 'vitest';
import type { CopilotSeat, OrgSnapshot } from '../../src/domain/plan-types.js';
import { planWithSafeguard } from '../../src/domain/planner/safeguard.js';
import { policySchema } from '../../src/domain/policy/policy-schema.js';
import { renderCommandReply } from '../../src/domain/reports/render-command-reply.js';
import { renderComplianceCheck } from '../../src/domain/reports/render-compliance-check.js';
import { renderPolicyCheck } from '../../src/domain/reports/render-policy-check.js';
import { renderReconcileCheck } from '../../src/domain/reports/render-reconcile-check.js';

const NOW = '2025-06-30T12:00:00.000Z';
const PLAN_ID = '3f2b8c1e-5d4a-4e2b-9c1f-7a6b5c4d3e2f';

/** 30 seats, 10 granted, one newcomer: 20 cancellations, over the default limit of 10. */
function heldPlan() {
  const members = [...Array.from({ length: 30 }, (_, i) => ({ login: `u${i + 1}`, id: i + 1, role: 'member' as const })), { login: 'new', id: 99, role: 'member' as const }];
  const seat = (m: { login: string; id: number }): CopilotSeat => ({
    assigneeLogin: m.login,
    assigneeId: m.id,
    assigningTeamSlug: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    lastActivityAt: '2025-06-29T00:00:00.000Z',
    lastActivityEditor: null,
    lastAuthenticatedAt: null,
    pendingCancellationDate: null,
    planType: 'business',
  });
  const snapshot: OrgSnapshot = { org: 'Acme', members, teams: [], teamMemberships: {}, seats: members.slice(0, 30).map(seat), billing: { seatManagementSetting: 'assign_selected' } };
  const policy = policySchema.parse({ version: 1, mode: 'enforce', seats: { grant: { users: [...members.slice(0, 10).map((m) => m.login), 'new'] } } });
  return planWithSafeguard({ policy, snapshot, overrides: [], now: NOW, membership: { complete: true, asOf: NOW } });
}

describe('reports of a plan held by the safeguard', () => {
  const plan = heldPlan();

  it('ceos/compliance fails and lists the held cancellations', () => {
    const report = renderComplianceCheck({ plan, planId: PLAN_ID });
    expect(report.conclusion).toBe('failure');
    expect(report.title).toBe('No violations; 20 cancellations held for confirmation');
    expect(report.summary).toContain(`\`/copilot confirm ${PLAN_ID}\``);
    expect(report.summary).toContain('### Cancellations held for confirmation (20)');
  });

  it('ceos/reconcile is neutral: the adds were applied, the cancellations wait', () => {
    const report = renderReconcileCheck({ plan, planId: PLAN_ID, outcome: { added: ['new'], cancelled: [], failed: [] } });
    expect(report.conclusion).toBe('neutral');
    expect(report.title).toBe('20 cancellations held for confirmation; added 1 seat');
    expect(report.summary).toContain('the safeguard allows 10 (`safeguards.max_cancellations`: 10% of 30 seats held, never fewer than 10)');
  });

  it('/copilot plan says a plan made now would be held', () => {
    const reply = renderCommandReply({ verb: 'plan', source: '/copilot plan', plan, planId: PLAN_ID });
    expect(reply).toContain('Applying this plan would cancel 20 seats');
    expect(reply).toContain('### Cancellations that would be held for confirmation (20)');
  });

  it('/copilot status names the held plan to confirm', () => {
    const reply = renderCommandReply({
      verb: 'status',
      scope: 'org',
      source: '/copilot status',
      plan,
      planId: null,
      lastReconciledAt: NOW,
      heldPlan: { id: PLAN_ID, createdAt: NOW, held: plan.safeguard!.held, limit: 10 },
    });
    expect(reply).toContain(`**Awaiting confirmation**: plan \`${PLAN_ID}\``);
    expect(reply).toContain('### Held cancellations (20)');
  });

  it('ceos/policy says merging would hold the cancellations', () => {
    const report = renderPolicyCheck({ state: 'valid', plan });
    expect(report.title).toBe('Policy valid: adds 1 seat; 20 cancellations would be held for confirmation');
    expect(report.summary).toContain('so **every cancellation would be held**');
  });
});
