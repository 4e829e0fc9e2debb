import { afterEach, describe, expect, it } from 'vitest';
import { replaceOrgGraph, replaceSeats } from '../../src/db/mirror.js';
import { readTeamSeats } from '../../src/db/usage-queries.js';
import type { CopilotSeat } from '../../src/domain/plan-types.js';
import { backend, testDatabases } from '../helpers/database.js';

const databases = testDatabases();
afterEach(() => databases.closeAll());

const NOW = new Date('2026-12-02T12:00:00.000Z');
const DAY = 86_400_000;

function seat(login: string, id: number, idleDays: number, planType: CopilotSeat['planType'] = 'business'): CopilotSeat {
  const at = new Date(NOW.getTime() - idleDays * DAY).toISOString();
  return { assigneeLogin: login, assigneeId: id, assigningTeamSlug: null, createdAt: '2026-01-01T00:00:00.000Z', lastActivityAt: at, lastActivityEditor: 'vscode', lastAuthenticatedAt: at, pendingCancellationDate: null, planType };
}

describe(`usage reads of the mirror (${backend})`, () => {
  it('counts each seat once per team, child teams at any depth included (DECISIONS 1)', async () => {
    const { db } = await databases.open();
    const members = ['ann', 'ben', 'cat', 'dan', 'eve'].map((login, i) => ({ login, id: i + 1, role: 'member' as const }));
    await replaceOrgGraph(
      db,
      'acme',
      {
        members,
        teams: [
          { slug: 'eng', id: 10, parentSlug: null },
          { slug: 'Eng-Web', id: 11, parentSlug: 'ENG' },
          { slug: 'eng-web-ui', id: 12, parentSlug: 'eng-web' },
          { slug: 'ops', id: 13, parentSlug: null },
          { slug: 'empty', id: 14, parentSlug: null },
        ],
        teamMemberships: {
          // Ann is in eng and in its grandchild: one seat for eng, not two.
          eng: [{ login: 'ann', id: 1 }],
          'Eng-Web': [{ login: 'ben', id: 2 }, { login: 'cat', id: 3 }],
          'eng-web-ui': [{ login: 'ann', id: 1 }, { login: 'dan', id: 4 }],
          ops: [{ login: 'dan', id: 4 }, { login: 'eve', id: 5 }],
        },
      },
      NOW,
    );
    // Eve holds no seat; cat is inactive (45 days), dan is on Enterprise.
    await replaceSeats(db, 'acme', [seat('ann', 1, 1), seat('ben', 2, 3), seat('cat', 3, 45), seat('dan', 4, 0, 'enterprise')], NOW);
    const cutoff = new Date(NOW.getTime() - 31 * DAY);
    const teams = Object.fromEntries((await readTeamSeats(db, 'acme', cutoff)).map((t) => [t.slug, t]));
    expect(Object.keys(teams).sort()).toEqual(['Eng-Web', 'eng', 'eng-web-ui', 'ops']);
    expect(teams.eng).toEqual({ slug: 'eng', heldByPlan: { business: 3, enterprise: 1 }, inactiveByPlan: { business: 1 } });
    expect(teams['Eng-Web']).toEqual({ slug: 'Eng-Web', heldByPlan: { business: 3, enterprise: 1 }, inactiveByPlan: { business: 1 } });
    expect(teams['eng-web-ui']).toEqual({ slug: 'eng-web-ui', heldByPlan: { business: 1, enterprise: 1 }, inactiveByPlan: {} });
    expect(teams.ops).toEqual({ slug: 'ops', heldByPlan: { enterprise: 1 }, inactiveByPlan: {} });
  });
});
