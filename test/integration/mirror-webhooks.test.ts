import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { upsertInstallation } from '../../src/db/installations.js';
import type { InstallationStatus } from '../../src/db/mirror-schema.js';
import { RECONCILE_QUEUE } from '../../src/jobs/reconcile-queue.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';
import { waitForDeliveryStatus } from '../helpers/deliveries.js';
import { installationEvent, memberEvent, type TestOrg, teamEvent, teamMembershipEvent } from '../helpers/payloads.js';
import { sendWebhook } from '../helpers/webhooks.js';

let ceos: TestCeos | undefined;
let fake: FakeGitHub | undefined;
afterEach(async () => {
  await ceos?.stop();
  await fake?.close();
  ceos = undefined;
  fake = undefined;
});

const ACME: TestOrg = { login: 'Acme', installationId: 77 };

/** An instance against a fake GitHub, with Acme's installation recorded in the given status. */
async function withInstallation(status: InstallationStatus = 'active', env: Record<string, string> = {}) {
  fake = await startFakeGitHub();
  fake.addOrg({ login: 'Acme', members: [{ login: 'alice', role: 'admin' }], teams: [], seats: [] });
  fake.addInstallation({ id: 77, account: 'Acme' });
  ceos = await startTestCeos({ GHE_HOST: fake.host, GHE_PROTOCOL: 'http', APP_ID: '4242', ...env });
  await upsertInstallation(
    ceos.database.db,
    {
      id: 77,
      accountLogin: 'Acme',
      accountId: 9001,
      accountType: 'Organization',
      repositorySelection: 'all',
      permissions: {},
      events: [],
    },
    status,
  );
  return ceos;
}

/** Sends deliveries one after another, each processed before the next is sent. */
async function deliver(instance: TestCeos, ...deliveries: { event: string; payload: unknown }[]) {
  const ids: string[] = [];
  for (const delivery of deliveries) {
    const sent = await sendWebhook(instance.url, delivery);
    expect(sent.status).toBe(202);
    await waitForDeliveryStatus(instance.database.db, sent.id, 'processed');
    ids.push(sent.id);
  }
  return ids;
}

async function members(instance: TestCeos) {
  return instance.database.db
    .selectFrom('org_members')
    .select(['login', 'user_id', 'role', 'present'])
    .where('org', '=', 'acme')
    .orderBy('login_key')
    .execute();
}

async function teams(instance: TestCeos) {
  return instance.database.db
    .selectFrom('org_teams')
    .select(['slug', 'team_id', 'name', 'parent_slug', 'present'])
    .where('org', '=', 'acme')
    .orderBy('slug')
    .execute();
}

async function teamMembers(instance: TestCeos) {
  return instance.database.db
    .selectFrom('org_team_members')
    .select(['team_slug', 'login', 'present'])
    .where('org', '=', 'acme')
    .orderBy('team_slug')
    .orderBy('login_key')
    .execute();
}

async function reconcileJobs(instance: TestCeos) {
  const jobs = await instance.boss.findJobs<{ org: string; trigger: string }>(RECONCILE_QUEUE);
  return jobs.filter((j) => j.data.org === 'acme');
}

/**
 * Stores deliveries as intake would, with the receipt times given, and due in the order given,
 * in one statement, so a single-delivery worker processes them in exactly that order.
 */
async function storeOutOfOrder(
  instance: TestCeos,
  deliveries: { event: string; payload: Record<string, unknown>; receivedSecondsAgo: number }[],
): Promise<string[]> {
  const ids = deliveries.map(() => randomUUID());
  const rows = deliveries.map(
    (d, i) =>
      sql`(${ids[i]!}, ${d.event}, ${String(d.payload.action)}, 77, 'Acme', ${JSON.stringify(d.payload)},
           now() - make_interval(secs => ${d.receivedSecondsAgo}), now() - make_interval(secs => ${600 - i}))`,
  );
  await sql`insert into deliveries (id, event, action, installation_id, org, payload, received_at, next_attempt_at)
            values ${sql.join(rows)}`.execute(instance.database.db);
  instance.worker!.wake();
  return ids;
}

describe(`mirror upkeep from webhooks (${backend})`, () => {
  it('organization.member_added and member_removed add and remove members, with their role', async () => {
    const instance = await withInstallation();
    await deliver(
      instance,
      { event: 'organization', payload: memberEvent('member_added', ACME, { login: 'Bob', id: 2 }) },
      { event: 'organization', payload: memberEvent('member_added', ACME, { login: 'carol', id: 3, role: 'admin' }) },
    );
    expect(await members(instance)).toEqual([
      { login: 'Bob', user_id: '2', role: 'member', present: true },
      { login: 'carol', user_id: '3', role: 'admin', present: true },
    ]);

    await deliver(
      instance,
      { event: 'membership', payload: teamMembershipEvent('added', ACME, { slug: 'eng', id: 10 }, { login: 'Bob', id: 2 }) },
      { event: 'organization', payload: memberEvent('member_removed', ACME, { login: 'bob', id: 2 }) },
    );
    expect(await members(instance)).toEqual([
      { login: 'bob', user_id: '2', role: 'member', present: false },
      { login: 'carol', user_id: '3', role: 'admin', present: true },
    ]);
    // Leaving the organization ends the person's team memberships too.
    expect(await teamMembers(instance)).toEqual([{ team_slug: 'eng', login: 'Bob', present: false }]);
  });

  it('membership.added and removed (team scope) keep direct team memberships; other scopes are ignored', async () => {
    const instance = await withInstallation();
    const eng = { slug: 'eng', id: 10 };
    await deliver(
      instance,
      { event: 'team', payload: teamEvent('created', ACME, eng) },
      { event: 'membership', payload: teamMembershipEvent('added', ACME, eng, { login: 'Bob', id: 2 }) },
      { event: 'membership', payload: teamMembershipEvent('added', ACME, eng, { login: 'carol', id: 3 }) },
      { event: 'membership', payload: teamMembershipEvent('removed', ACME, eng, { login: 'carol', id: 3 }) },
      { event: 'membership', payload: teamMembershipEvent('added', ACME, eng, { login: 'dave', id: 4 }, 'organization') },
    );
    expect(await teamMembers(instance)).toEqual([
      { team_slug: 'eng', login: 'Bob', present: true },
      { team_slug: 'eng', login: 'carol', present: false },
    ]);
  });

  it('team.created, edited (new parent, rename) and deleted keep the team tree', async () => {
    const instance = await withInstallation();
    const eng = { slug: 'eng', id: 10, name: 'Engineering' };
    const platform = { slug: 'platform', id: 20, name: 'Platform' };
    await deliver(
      instance,
      { event: 'team', payload: teamEvent('created', ACME, eng) },
      { event: 'team', payload: teamEvent('created', ACME, platform) },
      { event: 'membership', payload: teamMembershipEvent('added', ACME, platform, { login: 'Bob', id: 2 }) },
    );
    expect(await teams(instance)).toEqual([
      { slug: 'eng', team_id: '10', name: 'Engineering', parent_slug: null, present: true },
      { slug: 'platform', team_id: '20', name: 'Platform', parent_slug: null, present: true },
    ]);

    // Moved under eng.
    await deliver(instance, {
      event: 'team',
      payload: teamEvent('edited', ACME, { ...platform, parent: { slug: 'eng', id: 10 } }, { parent: { from: null } }),
    });
    expect((await teams(instance)).find((t) => t.slug === 'platform')).toMatchObject({ parent_slug: 'eng', present: true });

    // Renamed: the slug changes with the name; the old slug is gone and its members move.
    await deliver(instance, {
      event: 'team',
      payload: teamEvent('edited', ACME, { slug: 'platform-eng', id: 20, name: 'Platform Eng', parent: { slug: 'eng', id: 10 } }, { name: { from: 'Platform' } }),
    });
    expect(await teams(instance)).toEqual([
      { slug: 'eng', team_id: '10', name: 'Engineering', parent_slug: null, present: true },
      { slug: 'platform', team_id: '20', name: 'Platform Eng', parent_slug: null, present: false },
      { slug: 'platform-eng', team_id: '20', name: 'Platform Eng', parent_slug: 'eng', present: true },
    ]);
    expect(await teamMembers(instance)).toEqual([{ team_slug: 'platform-eng', login: 'Bob', present: true }]);

    // Membership events name the team by its new slug from now on.
    await deliver(instance, {
      event: 'membership',
      payload: teamMembershipEvent('added', ACME, { slug: 'platform-eng', id: 20 }, { login: 'carol', id: 3 }),
    });

    await deliver(instance, { event: 'team', payload: teamEvent('deleted', ACME, { slug: 'platform-eng', id: 20, name: 'Platform Eng' }) });
    expect((await teams(instance)).find((t) => t.slug === 'platform-eng')).toMatchObject({ present: false });
    expect(await teamMembers(instance)).toEqual([
      { team_slug: 'platform-eng', login: 'Bob', present: false },
      { team_slug: 'platform-eng', login: 'carol', present: false },
    ]);
  });

  it('a removal received later but processed first is not undone by the earlier addition', async () => {
    const instance = await withInstallation('active', { CEOS_WORKER_CONCURRENCY: '1' });
    const eng = { slug: 'eng', id: 10 };
    await deliver(instance, { event: 'team', payload: teamEvent('created', ACME, eng) });

    const [removed, added, teamRemoved, teamAdded] = await storeOutOfOrder(instance, [
      { event: 'organization', payload: memberEvent('member_removed', ACME, { login: 'Bob', id: 2 }), receivedSecondsAgo: 10 },
      { event: 'organization', payload: memberEvent('member_added', ACME, { login: 'Bob', id: 2 }), receivedSecondsAgo: 20 },
      { event: 'membership', payload: teamMembershipEvent('removed', ACME, eng, { login: 'carol', id: 3 }), receivedSecondsAgo: 10 },
      { event: 'membership', payload: teamMembershipEvent('added', ACME, eng, { login: 'carol', id: 3 }), receivedSecondsAgo: 20 },
    ]);
    const rows = [];
    for (const id of [removed!, added!, teamRemoved!, teamAdded!]) rows.push(await waitForDeliveryStatus(instance.database.db, id, 'processed'));
    // Processed in the order stored, newest knowledge first.
    expect(rows[0]!.processed_at!.getTime()).toBeLessThanOrEqual(rows[1]!.processed_at!.getTime());
    expect(rows[2]!.processed_at!.getTime()).toBeLessThanOrEqual(rows[3]!.processed_at!.getTime());

    expect(await members(instance)).toEqual([{ login: 'Bob', user_id: '2', role: 'member', present: false }]);
    expect(await teamMembers(instance)).toEqual([{ team_slug: 'eng', login: 'carol', present: false }]);

    // A newer addition does count.
    await deliver(instance, { event: 'organization', payload: memberEvent('member_added', ACME, { login: 'Bob', id: 2 }) });
    expect(await members(instance)).toEqual([{ login: 'Bob', user_id: '2', role: 'member', present: true }]);
  });

  it('a team deletion processed first is not undone by an earlier edit', async () => {
    const instance = await withInstallation('active', { CEOS_WORKER_CONCURRENCY: '1' });
    const eng = { slug: 'eng', id: 10, name: 'Engineering' };
    const ids = await storeOutOfOrder(instance, [
      { event: 'team', payload: teamEvent('created', ACME, eng), receivedSecondsAgo: 60 },
      { event: 'team', payload: teamEvent('deleted', ACME, eng), receivedSecondsAgo: 5 },
      { event: 'team', payload: teamEvent('edited', ACME, { ...eng, name: 'Eng' }, { name: { from: 'Engineering' } }), receivedSecondsAgo: 15 },
    ]);
    for (const id of ids) await waitForDeliveryStatus(instance.database.db, id, 'processed');
    expect(await teams(instance)).toEqual([{ slug: 'eng', team_id: '10', name: 'Engineering', parent_slug: null, present: false }]);
  });

  it.each(['suspended', 'deleted'] as const)('changes nothing for an organization whose installation is %s', async (status) => {
    const instance = await withInstallation(status);
    await deliver(
      instance,
      { event: 'organization', payload: memberEvent('member_added', ACME, { login: 'Bob', id: 2 }) },
      { event: 'team', payload: teamEvent('created', ACME, { slug: 'eng', id: 10 }) },
      { event: 'membership', payload: teamMembershipEvent('added', ACME, { slug: 'eng', id: 10 }, { login: 'Bob', id: 2 }) },
    );
    expect(await members(instance)).toEqual([]);
    expect(await teams(instance)).toEqual([]);
    expect(await teamMembers(instance)).toEqual([]);
    expect(await reconcileJobs(instance)).toEqual([]);
  });

  it('changes nothing for an organization CEOS is not installed on, or an installation of another org', async () => {
    const instance = await withInstallation();
    await deliver(
      instance,
      { event: 'organization', payload: memberEvent('member_added', { login: 'Globex', installationId: 99, accountId: 9002 }, { login: 'Bob', id: 2 }) },
      // Installation 77 is Acme's: an event naming it for another organization is not Acme's either.
      { event: 'organization', payload: memberEvent('member_added', { login: 'Globex', installationId: 77, accountId: 9002 }, { login: 'Bob', id: 2 }) },
    );
    const rows = await instance.database.db.selectFrom('org_members').selectAll().execute();
    expect(rows).toEqual([]);
    expect(await instance.boss.findJobs(RECONCILE_QUEUE)).toEqual([]);
  });

  it('a burst of membership webhooks queues one debounced reconciliation', async () => {
    const instance = await withInstallation();
    const eng = { slug: 'eng', id: 10 };
    const burst = [
      { event: 'team', payload: teamEvent('created', ACME, eng) },
      ...Array.from({ length: 6 }, (_, i) => ({ event: 'organization', payload: memberEvent('member_added', ACME, { login: `user${i}`, id: 100 + i }) })),
      ...Array.from({ length: 6 }, (_, i) => ({ event: 'membership', payload: teamMembershipEvent('added', ACME, eng, { login: `user${i}`, id: 100 + i }) })),
    ];
    const sent = await Promise.all(burst.map((delivery) => sendWebhook(instance.url, delivery)));
    for (const s of sent) await waitForDeliveryStatus(instance.database.db, s.id, 'processed');
    expect((await members(instance)).filter((m) => m.present)).toHaveLength(6);

    const jobs = await reconcileJobs(instance);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ state: 'created', singletonKey: 'debounce:acme', data: { org: 'acme', installationId: 77, trigger: 'webhook' } });
    // It waits for the burst to end before it runs.
    expect(jobs[0]!.startAfter.getTime()).toBeGreaterThan(Date.now() + 5_000);

    // A later change while it waits folds into it too.
    await deliver(instance, { event: 'organization', payload: memberEvent('member_removed', ACME, { login: 'user0', id: 100 }) });
    expect((await reconcileJobs(instance)).map((j) => j.id)).toEqual([jobs[0]!.id]);
  });

  it('after installation.created syncs the organization, webhooks keep the synced mirror current', async () => {
    fake = await startFakeGitHub();
    fake.addOrg({
      login: 'Acme',
      members: [{ login: 'alice', role: 'admin' }, { login: 'Bob' }],
      teams: [{ slug: 'eng', members: ['Bob'] }],
      seats: [],
      billing: { seatManagementSetting: 'assign_selected' },
    });
    fake.addInstallation({ id: 77, account: 'Acme' });
    ceos = await startTestCeos({ GHE_HOST: fake.host, GHE_PROTOCOL: 'http', APP_ID: '4242' });
    const instance = ceos;
    await deliver(instance, { event: 'installation', payload: installationEvent('created', ACME) });
    await vi.waitFor(async () => expect((await members(instance)).map((m) => m.login)).toEqual(['alice', 'Bob']), { timeout: 20_000, interval: 50 });
    expect(await teamMembers(instance)).toEqual([{ team_slug: 'eng', login: 'Bob', present: true }]);

    await deliver(
      instance,
      { event: 'organization', payload: memberEvent('member_added', ACME, { login: 'carol', id: 3 }) },
      { event: 'membership', payload: teamMembershipEvent('added', ACME, { slug: 'eng', id: 1 }, { login: 'carol', id: 3 }) },
      // People are known by their GitHub user id: the one the sync read.
      { event: 'organization', payload: memberEvent('member_removed', ACME, { login: 'Bob', id: fake.org('Acme').member('Bob')!.user.id }) },
    );
    expect((await members(instance)).filter((m) => m.present).map((m) => m.login)).toEqual(['alice', 'carol']);
    expect(await teamMembers(instance)).toEqual([
      { team_slug: 'eng', login: 'Bob', present: false },
      { team_slug: 'eng', login: 'carol', present: true },
    ]);
    expect(fake.violations).toEqual([]);
  });
});
