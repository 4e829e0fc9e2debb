import type { Kysely } from 'kysely';
import { upsertInstallation } from '../../src/db/installations.js';
import { replaceOrgGraph, replaceSeats } from '../../src/db/mirror.js';
import { savePolicy } from '../../src/db/policies.js';
import type { Database } from '../../src/db/schema.js';
import type { CopilotSeat } from '../../src/domain/plan-types.js';
import { parsePolicy } from '../../src/domain/policy/parse-policy.js';

const DAY = 86_400_000;

/** The policy of the seeded organization: enforce, 30 days of inactivity, command team `platform`. */
export const DASHBOARD_POLICY = 'version: 1\nmode: enforce\nseats:\n  grant:\n    teams: [eng]\ninactivity:\n  revoke_after_days: 30\ncommands:\n  teams: [platform]\n';

/** The day (index from the oldest) GitHub had no usage report for: recorded as no data, not zeros. */
export const NO_DATA_DAY = 30;

/** Days of seat snapshots seeded, ending yesterday. */
export const SNAPSHOT_DAYS = 61;

/** What the seeded history holds on day `i` (0 = the oldest): numbers a test can recompute. */
export function snapshotOn(i: number) {
  const total = 100 + i;
  return { total, active30: 60 + Math.floor(i / 2), active7: 40 + (i % 5), active1: 20 + (i % 7) };
}

/** The mirror's seats now: 160, of which 90 used within 30 days and 70 idle for 31 to 100 days. */
export const SEATS_HELD = 160;
export const SEATS_ACTIVE = 90;

function day(now: Date, back: number): string {
  return new Date(now.getTime() - back * DAY).toISOString().slice(0, 10);
}

/**
 * An organization for the dashboard's tests: installed (installation `installationId`), its
 * mirror (members u001…u160 and owner1, teams eng ⊃ eng-web, platform ⊃ platform-sre, data), 160 seats, a valid policy,
 * 61 days of seat snapshots and organization usage (one day without data), a plan awaiting confirmation of 2
 * cancellations and, for delivery health, one dead and one failed delivery.
 */
export async function seedDashboardOrg(db: Kysely<Database>, login: string, installationId: number, now: Date) {
  const org = login.toLowerCase();
  await upsertInstallation(db, { id: installationId, accountLogin: login, accountId: installationId * 10, accountType: 'Organization', repositorySelection: 'all', permissions: {}, events: [] }, 'active');
  const logins = Array.from({ length: SEATS_HELD }, (_, i) => `u${String(i + 1).padStart(3, '0')}`);
  const id = (i: number) => installationId * 1000 + i + 1;
  await replaceOrgGraph(
    db,
    org,
    {
      members: [...logins.map((l, i) => ({ login: l, id: id(i), role: 'member' as const })), { login: 'owner1', id: installationId * 1000 + 999, role: 'admin' as const }],
      teams: [
        { slug: 'eng', id: installationId * 100 + 1, parentSlug: null },
        { slug: 'eng-web', id: installationId * 100 + 2, parentSlug: 'eng' },
        { slug: 'platform', id: installationId * 100 + 3, parentSlug: null },
        { slug: 'data', id: installationId * 100 + 4, parentSlug: null },
        { slug: 'platform-sre', id: installationId * 100 + 5, parentSlug: 'platform' },
      ],
      teamMemberships: {
        eng: logins.slice(0, 40).map((l, i) => ({ login: l, id: id(i) })),
        'eng-web': logins.slice(40, 70).map((l, i) => ({ login: l, id: id(i + 40) })),
        platform: logins.slice(70, 90).map((l, i) => ({ login: l, id: id(i + 70) })),
        data: logins.slice(120, 160).map((l, i) => ({ login: l, id: id(i + 120) })),
        'platform-sre': logins.slice(90, 95).map((l, i) => ({ login: l, id: id(i + 90) })),
      },
    },
    now,
  );
  const seats: CopilotSeat[] = logins.map((l, i) => {
    // The first 90 used within the last 30 days, the rest idle for 31 to 100 days.
    const idle = i < SEATS_ACTIVE ? i % 30 : 31 + ((i - SEATS_ACTIVE) % 70);
    const at = new Date(now.getTime() - idle * DAY - 3_600_000).toISOString();
    return {
      assigneeLogin: l,
      assigneeId: id(i),
      assigningTeamSlug: null,
      createdAt: new Date(now.getTime() - 200 * DAY).toISOString(),
      lastActivityAt: at,
      lastActivityEditor: 'vscode/1.98.0',
      lastAuthenticatedAt: at,
      pendingCancellationDate: null,
      planType: 'business',
    };
  });
  await replaceSeats(db, org, seats, now);
  const parsed = parsePolicy(DASHBOARD_POLICY);
  if (!parsed.ok) throw new Error('the dashboard test policy is invalid');
  await savePolicy(db, org, { sha: 'c0ffee1234567', ref: 'refs/heads/main', text: DASHBOARD_POLICY, policy: parsed.policy, errors: null }, now);

  const snapshots = Array.from({ length: SNAPSHOT_DAYS }, (_, i) => {
    const s = snapshotOn(i);
    return {
      org,
      day: day(now, SNAPSHOT_DAYS - i),
      total: s.total,
      active_1d: s.active1,
      active_7d: s.active7,
      active_30d: s.active30,
      never_used: 0,
      pending_cancellation: 0,
      by_editor: JSON.stringify({ vscode: s.total }),
      by_plan: JSON.stringify({ business: s.total }),
      taken_at: new Date(now.getTime() - (SNAPSHOT_DAYS - i) * DAY),
    };
  });
  await db.insertInto('seat_snapshots').values(snapshots).execute();
  await db
    .insertInto('usage_org_days')
    .values(
      snapshots.flatMap((s, i) => (i === NO_DATA_DAY ? [] : [{
        org,
        day: s.day,
        daily_active_users: s.active_1d,
        weekly_active_users: s.active_7d,
        monthly_active_users: s.active_30d,
        interactions: 500 + i,
        code_generations: 1000 + i,
        code_acceptances: 300 + i,
        loc_suggested: 4000,
        loc_added: 1200,
        by_ide: null,
        by_feature: null,
      }])),
    )
    .execute();
  await db
    .insertInto('usage_report_days')
    .values(snapshots.map((s, i) => ({ org, report: 'organization' as const, day: s.day, status: i === NO_DATA_DAY ? ('no_data' as const) : ('data' as const), links: i === NO_DATA_DAY ? 0 : 1, records: i === NO_DATA_DAY ? 0 : 1 })))
    .execute();

  const plan = { mode: 'enforce', toAdd: [], toCancel: [], violations: [], safeguard: { held: [{ login: 'u091' }, { login: 'u092' }] } };
  const held = await db
    .insertInto('plans')
    .values({ org, trigger: 'schedule', actor: 'schedule', mode: 'enforce', status: 'awaiting_confirmation', policy_sha: 'c0ffee1234567', plan: JSON.stringify(plan), adds: 0, cancels: 2, violations: 0, held: 2, created_at: new Date(now.getTime() - 3_600_000) })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('deliveries')
    .values([
      { id: `dead-${installationId}`, event: 'member', action: 'added', installation_id: installationId, org, repository: null, sender: 'owner1', payload: '{}' },
      { id: `failed-${installationId}`, event: 'team', action: 'edited', installation_id: installationId, org, repository: null, sender: 'owner1', payload: '{}' },
    ])
    .execute();
  await db.updateTable('deliveries').set({ status: 'dead', attempts: 8, last_error: 'GitHub answered 502' }).where('id', '=', `dead-${installationId}`).execute();
  await db.updateTable('deliveries').set({ status: 'failed', attempts: 2, last_error: 'GitHub answered 503' }).where('id', '=', `failed-${installationId}`).execute();
  return { org, heldPlanId: held.id, lastSnapshotDay: snapshots.at(-1)!.day, firstSnapshotDay: snapshots[0]!.day };
}
