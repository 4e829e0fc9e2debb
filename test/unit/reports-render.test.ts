import { describe, expect, it } from 'vitest';
import type { Plan, PlanEntry, Violation } from '../../src/domain/plan-types.js';
import type { PolicyError } from '../../src/domain/policy/parse-policy.js';
import { batchAnnotations } from '../../src/domain/reports/batch-annotations.js';
import { utf8Length } from '../../src/domain/reports/markdown-size.js';
import { renderCommandReply } from '../../src/domain/reports/render-command-reply.js';
import { renderComplianceCheck } from '../../src/domain/reports/render-compliance-check.js';
import { policyErrorAnnotation, renderPolicyCheck } from '../../src/domain/reports/render-policy-check.js';
import { renderReconcileCheck } from '../../src/domain/reports/render-reconcile-check.js';
import { renderRefusal } from '../../src/domain/reports/render-refusal.js';
import { renderUsage } from '../../src/domain/reports/render-usage.js';

function added(login: string, team = 'platform'): PlanEntry {
  return { login, userId: 1, reason: { code: 'granted_by_team', team, text: `member of ${team}` } };
}

function cancelled(login: string, days = 75): PlanEntry {
  return {
    login,
    userId: 2,
    reason: { code: 'inactive', days, revokeAfterDays: 60, neverUsed: false, text: `inactive ${days} days` },
  };
}

function makePlan(overrides: Partial<Plan> = {}): Plan {
  return {
    formatVersion: 1,
    org: 'acme',
    computedAt: '2026-06-01T12:00:00.000Z',
    mode: 'enforce',
    status: 'ok',
    blocked: null,
    toAdd: [added('alice'), added('Bob')],
    toCancel: [cancelled('carol')],
    leftAlone: [],
    notAdded: [],
    seats: {
      before: { total: 10, perUser: 8, viaTeam: 2, pendingCancellation: 0 },
      after: { total: 11, perUser: 9, viaTeam: 2, pendingCancellation: 0 },
    },
    cost: { beforeUsd: 190, afterUsd: 209 },
    cap: { max: 20, seatsAfter: 11, status: 'within', notAddedCount: 0 },
    budget: { monthlyLimitUsd: 500, costBeforeUsd: 190, costAfterUsd: 209, status: 'within', overByUsd: 0 },
    violations: [],
    warnings: [],
    overridesToRecord: [],
    ...overrides,
  };
}

const overCap = { cap: { max: 10, seatsAfter: 11, status: 'over', notAddedCount: 0 } } as const;
const overBudget = {
  budget: { monthlyLimitUsd: 200, costBeforeUsd: 190, costAfterUsd: 209, status: 'over', overByUsd: 9 },
} as const;

describe('renderPolicyCheck', () => {
  const errors: PolicyError[] = [
    { line: 3, column: 5, endLine: 3, endColumn: 12, path: 'seats.grant.teams[0]', message: 'write the team slug without the organization' },
    { line: 7, column: 1, endLine: 9, endColumn: 4, path: 'budget', message: 'budget must be a mapping' },
    { line: 1, column: 1, path: '', message: 'version is required: start the file with "version: 1"' },
  ];

  it('fails an invalid policy with one annotation per error', () => {
    const report = renderPolicyCheck({ state: 'invalid', errors });
    expect(report.conclusion).toBe('failure');
    expect(report.title).toBe('Policy invalid: 3 problems');
    expect(report.annotations).toHaveLength(3);
    expect(report.summary).toContain('`seats.grant.teams[0]`');
    expect(report.summary).toContain('version is required');
    expect(report.annotations[0]).toEqual({
      path: '.github/copilot-policy.yml',
      start_line: 3,
      end_line: 3,
      start_column: 5,
      end_column: 11,
      annotation_level: 'failure',
      message: 'write the team slug without the organization',
      title: 'Invalid policy: seats.grant.teams[0]',
    });
  });

  it('leaves columns out of annotations that span several lines, as the Checks API requires', () => {
    const annotation = policyErrorAnnotation(errors[1]!, 'copilot-policy.yml');
    expect(annotation).toMatchObject({ path: 'copilot-policy.yml', start_line: 7, end_line: 9 });
    expect(annotation).not.toHaveProperty('start_column');
    expect(annotation).not.toHaveProperty('end_column');
    expect(policyErrorAnnotation(errors[2]!, 'p.yml')).toMatchObject({ start_column: 1, end_column: 1, title: 'Invalid policy' });
  });

  it('is neutral when the policy is unchanged', () => {
    const report = renderPolicyCheck({ state: 'unchanged' });
    expect(report).toMatchObject({ conclusion: 'neutral', title: 'Policy unchanged', annotations: [] });
  });

  it('shows the plan of a valid policy: tables, totals, verdicts', () => {
    const report = renderPolicyCheck({ state: 'valid', plan: makePlan(), planId: 'p-1' });
    expect(report.conclusion).toBe('success');
    expect(report.title).toBe('Policy valid: adds 2 seats and cancels 1 seat');
    expect(report.summary).toContain('### Seats to add (2)');
    expect(report.summary).toContain('| `@alice` | member of platform |');
    expect(report.summary).toContain('| `@Bob` | member of platform |');
    expect(report.summary).toContain('### Seats to cancel (1)');
    expect(report.summary).toContain('| `@carol` | inactive 75 days |');
    expect(report.summary).toContain('| Seats | 10 | 11 |');
    expect(report.summary).toContain('| Monthly cost | $190.00 | $209.00 |');
    expect(report.summary).toContain('11 of 20 seats after the plan, within the cap');
    expect(report.summary).toContain('$209.00 of $500.00 a month after the plan, within the budget');
    expect(report.summary).toContain('`p-1`');
  });

  it.each([
    ['the seat cap', overCap, 'Plan goes over the seat cap'],
    ['the budget', overBudget, 'Plan goes over the budget'],
    ['both', { ...overCap, ...overBudget }, 'Plan goes over the seat cap and the budget'],
  ])('fails a plan that breaks %s', (_name, overrides, title) => {
    const report = renderPolicyCheck({ state: 'valid', plan: makePlan(overrides) });
    expect(report.conclusion).toBe('failure');
    expect(report.title).toBe(title);
    expect(report.summary).toContain('❌');
  });

  it('says that report mode changes nothing', () => {
    const report = renderPolicyCheck({ state: 'valid', plan: makePlan({ mode: 'report' }) });
    expect(report.conclusion).toBe('success');
    expect(report.summary).toContain('**report mode**: once merged, CEOS changes no seats');
  });

  it('shows warnings about the policy', () => {
    const plan = makePlan({
      warnings: [{ code: 'unknown_team', path: 'seats.grant.teams', name: 'ghosts', text: 'team "ghosts" does not exist' }],
    });
    expect(renderPolicyCheck({ state: 'valid', plan }).summary).toContain('### Warnings');
  });

  it('keeps a 20,000-row plan within the summary limit and says how many rows are left out', () => {
    const toAdd = Array.from({ length: 20_000 }, (_, i) => added(`user-${String(i).padStart(5, '0')}`, 'engineering-all'));
    const report = renderPolicyCheck({
      state: 'valid',
      plan: makePlan({ toAdd }),
      planId: 'plan-20k',
      fullReportUrl: 'https://ceos.example/api/v1/orgs/acme/plans/plan-20k',
    });
    expect(report.summary.length).toBeLessThanOrEqual(65_535);
    expect(utf8Length(report.summary)).toBeLessThanOrEqual(65_535);
    const shown = report.summary.split('\n').filter((l) => l.startsWith('| `@user-')).length;
    const omitted = 20_000 - shown;
    expect(shown).toBeGreaterThan(100);
    expect(report.summary).toContain(`… and ${omitted.toLocaleString('en-US')} more rows not shown.`);
    expect(report.summary).toContain('https://ceos.example/api/v1/orgs/acme/plans/plan-20k');
    // What comes after the long table is still there.
    expect(report.summary).toContain('| `@carol` | inactive 75 days |');
    expect(report.summary).toContain('within the cap');
  });

  it('escapes reasons so they cannot break tables or ping people', () => {
    const toAdd: PlanEntry[] = [
      {
        login: 'mallory',
        userId: 9,
        reason: {
          code: 'granted_by_override',
          overrideId: 'o1',
          actor: 'admin',
          expiresAt: null,
          text: 'override: ask @acme/owners | </details> **now**',
        },
      },
    ];
    const summary = renderPolicyCheck({ state: 'valid', plan: makePlan({ toAdd }) }).summary;
    expect(summary).toContain('| `@mallory` | override: ask `@acme/owners` \\| &lt;/details&gt; \\*\\*now\\*\\* |');
  });
});

describe('renderReconcileCheck', () => {
  it('reports what changed', () => {
    const report = renderReconcileCheck({
      plan: makePlan(),
      planId: 'p-2',
      outcome: { added: ['alice', 'Bob'], cancelled: ['carol'], failed: [] },
    });
    expect(report.conclusion).toBe('success');
    expect(report.title).toBe('Seats reconciled: added 2 seats and cancelled 1 seat');
    expect(report.summary).toContain('### Seats added (2)');
    expect(report.summary).toContain('| `@Bob` | member of platform |');
    expect(report.summary).toContain('| `@carol` | inactive 75 days |');
    expect(report.summary).toContain('`p-2`');
  });

  it('fails with a row per failed user', () => {
    const report = renderReconcileCheck({
      plan: makePlan(),
      planId: 'p-3',
      outcome: { added: ['alice'], cancelled: ['carol'], failed: [{ login: 'Bob', action: 'add', message: 'User is not a member | 422' }] },
    });
    expect(report.conclusion).toBe('failure');
    expect(report.title).toBe('1 change failed; added 1 seat and cancelled 1 seat');
    expect(report.summary).toContain('### Failed (1)');
    expect(report.summary).toContain('| `@Bob` | add seat | User is not a member \\| 422 |');
  });

  it('says that report mode changed nothing', () => {
    const report = renderReconcileCheck({ plan: makePlan({ mode: 'report' }), planId: 'p-4', outcome: null });
    expect(report.conclusion).toBe('neutral');
    expect(report.summary).toContain('Nothing was changed because the policy is in report mode.');
    expect(report.summary).toContain('### Seats to add (2)');
  });

  it('fails when CEOS cannot manage seats', () => {
    const plan = makePlan({
      status: 'blocked',
      blocked: { code: 'seat_management_not_selected', seatManagementSetting: 'assign_all', reason: 'seats are assigned to everyone' },
    });
    const report = renderReconcileCheck({ plan, planId: 'p-5', outcome: null });
    expect(report.conclusion).toBe('failure');
    expect(report.summary).toContain('seats are assigned to everyone');
  });
});

describe('renderComplianceCheck', () => {
  const violations: Violation[] = [
    { code: 'held_outside_policy', login: 'dave', team: null, reason: null, text: 'holds a seat no rule grants' },
    { code: 'inactive_not_cancelled', login: 'erin', team: null, reason: null, text: 'inactive 90 days' },
    { code: 'team_assigned_outside_policy', login: 'frank', team: 'contractors', reason: null, text: 'assigned via team contractors' },
    { code: 'denied_team_assigned', login: 'grace', team: 'eng', reason: null, text: 'denied, but assigned via team eng' },
    { code: 'over_cap', login: null, team: null, reason: null, text: '12 seats held, cap is 10' },
    { code: 'over_budget', login: null, team: null, reason: null, text: '$228.00 a month, budget is $200.00' },
  ];

  it('fails while violations remain, with counts and tables', () => {
    const report = renderComplianceCheck({ plan: makePlan({ violations }), planId: 'p-6' });
    expect(report.conclusion).toBe('failure');
    expect(report.title).toBe('6 violations');
    for (const row of [
      '| Seats held outside the policy | 1 |',
      '| Inactive seats | 1 |',
      '| Seats over the cap | 1 |',
      '| Budget overrun | 1 |',
      '| Team-assigned seats outside the policy | 1 |',
      '| `@dave` |  | holds a seat no rule grants |',
      '| `@frank` | `contractors` | assigned via team contractors |',
      '- ❌ 12 seats held, cap is 10',
      '- ❌ $228.00 a month, budget is $200.00',
    ]) {
      expect(report.summary).toContain(row);
    }
  });

  it('succeeds when there is none', () => {
    const report = renderComplianceCheck({ plan: makePlan() });
    expect(report).toMatchObject({ conclusion: 'success', title: 'No violations' });
    expect(report.summary).toContain('follows its Copilot policy');
  });
});

describe('renderCommandReply', () => {
  it('answers help with the usage text', () => {
    expect(renderCommandReply({ verb: 'help' })).toContain('/copilot grant @user…');
  });

  it('quotes the command without re-triggering or pinging', () => {
    const reply = renderCommandReply({ verb: 'plan', plan: makePlan(), planId: 'p', source: '/copilot plan @x' });
    expect(reply.startsWith('> `/copilot plan @x`')).toBe(true);
  });

  it('shows the plan as a dry run', () => {
    const reply = renderCommandReply({ verb: 'plan', plan: makePlan(), planId: 'p-7' });
    expect(reply).toContain('**Dry run**: nothing is changed');
    expect(reply).toContain('| `@alice` | member of platform |');
  });

  it('shows the organization status', () => {
    const reply = renderCommandReply({
      verb: 'status',
      scope: 'org',
      plan: makePlan({ mode: 'report' }),
      planId: null,
      lastReconciledAt: '2026-06-01T06:00:00.000Z',
    });
    expect(reply).toContain('10 seats (8 per user, 2 through teams, 0 pending cancellation), $190.00 a month');
    expect(reply).toContain('`report`: CEOS only plans and reports');
  });

  it("shows one user's seat, activity, rules and what the plan does for them", () => {
    const reply = renderCommandReply({
      verb: 'status',
      scope: 'user',
      plan: makePlan(),
      user: {
        login: 'carol',
        orgMember: true,
        seat: {
          assigneeLogin: 'carol',
          assigneeId: 3,
          assigningTeamSlug: null,
          createdAt: '2026-01-01T00:00:00Z',
          lastActivityAt: '2026-03-18T10:00:00Z',
          lastActivityEditor: 'vscode/1.99',
          lastAuthenticatedAt: null,
          pendingCancellationDate: null,
          planType: 'business',
        },
        inactiveDays: 75,
        rules: ['granted: member of platform'],
        overrides: [],
        warning: null,
      },
    });
    expect(reply).not.toContain('Inactivity warning');
    expect(reply).toContain('held since 2026-01-01, assigned to them');
    expect(reply).toContain('2026-03-18 in `vscode/1.99` (75 days ago)');
    expect(reply).toContain('granted: member of platform');
    expect(reply).toContain('**Reconciling now**: cancels the seat: inactive 75 days');
  });

  it("shows a user's inactivity warning and the day their seat is due for cancellation", () => {
    const seat = { assigneeLogin: 'carol', assigneeId: 3, assigningTeamSlug: null, createdAt: '2026-01-01T00:00:00Z', lastActivityAt: '2026-03-18T10:00:00Z', lastActivityEditor: null, lastAuthenticatedAt: null, pendingCancellationDate: null, planType: 'business' as const };
    const warning = { login: 'carol', userId: 3, inactiveDays: 50, inactiveSince: '2026-03-18T10:00:00Z', warnedAt: '2026-05-01T06:00:00.000Z', dueOn: '2026-05-15' };
    const reply = renderCommandReply({ verb: 'status', scope: 'user', plan: makePlan(), user: { login: 'carol', orgMember: true, seat, inactiveDays: 50, rules: [], overrides: [], warning } });
    expect(reply).toContain('**Inactivity warning**: warned on 2026-05-01; the seat is cancelled on 2026-05-15 unless it is used before.');
  });

  it('answers grant in report mode with the plan and says nothing was changed', () => {
    const reply = renderCommandReply({
      verb: 'grant',
      command: { logins: ['alice', 'Bob'], duration: { text: '30d', hours: 720 }, reason: 'pilot, ask @lead' },
      expiresAt: '2026-07-01T12:00:00.000Z',
      plan: makePlan({ mode: 'report' }),
      planId: 'p-8',
      outcome: null,
    });
    expect(reply).toContain('Recorded a **grant** override for `@alice`, `@Bob` until 2026-07-01 (30d). Reason: pilot, ask `@lead`');
    expect(reply).toContain('Nothing was changed because the policy is in report mode.');
    expect(reply).toContain('| `@alice` | adds a seat: member of platform |');
  });

  it('answers revoke in enforce mode with what was applied', () => {
    const reply = renderCommandReply({
      verb: 'revoke',
      command: { logins: ['carol'], duration: null, reason: null },
      expiresAt: null,
      plan: makePlan(),
      planId: 'p-9',
      outcome: { added: ['alice', 'Bob'], cancelled: ['carol'], failed: [] },
    });
    expect(reply).toContain('Recorded a **revoke** override for `@carol` until it is removed.');
    expect(reply).toContain('CEOS added 2 seats and cancelled 1 seat');
    expect(reply).not.toContain('report mode');
  });

  it('answers apply in report mode without changing anything', () => {
    const reply = renderCommandReply({ verb: 'apply', plan: makePlan({ mode: 'report' }), planId: 'p', outcome: null });
    expect(reply).toContain('Nothing was changed because the policy is in report mode.');
  });

  it('answers report with the compliance report', () => {
    const reply = renderCommandReply({
      verb: 'report',
      plan: makePlan({ violations: [{ code: 'over_cap', login: null, team: null, reason: null, text: 'over' }] }),
      planId: 'p',
    });
    expect(reply).toContain('breaks its Copilot policy in 1 way');
  });

  it('stays within the issue comment limit', () => {
    const toAdd = Array.from({ length: 20_000 }, (_, i) => added(`user-${i}`));
    const reply = renderCommandReply({ verb: 'plan', plan: makePlan({ toAdd }), planId: 'big' });
    expect(utf8Length(reply)).toBeLessThanOrEqual(65_536);
    expect(reply).toMatch(/… and [\d,]+ more rows not shown\. The full plan is stored as plan `big`\./);
  });
});

describe('renderUsage and renderRefusal', () => {
  it('puts the problem before the usage text', () => {
    const reply = renderUsage('`frob` is not a `/copilot` command.', '/copilot frob');
    expect(reply.indexOf('`frob` is not')).toBeLessThan(reply.indexOf('**`/copilot` commands**'));
    expect(reply).toContain('> `/copilot frob`');
  });

  it('refuses politely and names who may run commands, without pinging teams', () => {
    expect(renderRefusal({ login: 'eve', commandTeams: ['platform', 'sre'] })).toBe(
      'Sorry `@eve`, only organization owners and members of the teams `platform` and `sre` (child teams included) can use `/copilot` commands here, so this comment was not acted on. Ask one of them to run it for you.',
    );
    expect(renderRefusal({ login: 'eve', commandTeams: [] })).toContain('only organization owners can use');
  });
});

describe('annotations of a large invalid policy', () => {
  it('go out in requests of 50', () => {
    const errors: PolicyError[] = Array.from({ length: 120 }, (_, i) => ({ line: i + 1, column: 1, path: `x[${i}]`, message: 'bad' }));
    const report = renderPolicyCheck({ state: 'invalid', errors });
    expect(batchAnnotations(report.annotations).map((b) => b.length)).toEqual([50, 50, 20]);
  });
});
