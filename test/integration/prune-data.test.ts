import { type Kysely, sql } from 'kysely';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { RetentionConfig } from '../../src/app/config.js';
import { appendAudit, verifyAuditChain } from '../../src/db/audit-log.js';
import { insertDeliveries } from '../../src/db/deliveries.js';
import type { Database } from '../../src/db/schema.js';
import { pruneData } from '../../src/jobs/prune-data.js';
import { backend, testDatabases } from '../helpers/database.js';

const databases = testDatabases();
afterEach(() => databases.closeAll());

const log = pino({ level: 'silent' });
const NOW = new Date();
const DAY = 24 * 3600 * 1000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);

const RETENTION: RetentionConfig = {
  deliveryPayloadDays: 7,
  deliveryDays: 30,
  deadLetterDays: 90,
  domainEventDays: 7,
  planDays: 180,
  uninstalledMirrorDays: 30,
  jobDays: 7,
  batchSize: 3,
};

type DeliveryState = 'processed' | 'dead' | 'failed' | 'received';

/** Stores a delivery through the intake's insert, then ages it. */
async function delivery(db: Kysely<Database>, id: string, status: DeliveryState, receivedDaysAgo: number, processedDaysAgo?: number) {
  await insertDeliveries(db, [
    {
      id,
      event: 'ping',
      action: null,
      installationId: null,
      org: 'acme',
      repository: null,
      sender: null,
      payload: JSON.stringify({ zen: 'Keep it logically awesome.', id }),
      receivedAt: ago(receivedDaysAgo),
    },
  ]);
  await sql`update deliveries set status = ${status}, attempts = 1,
              processed_at = ${processedDaysAgo === undefined ? null : ago(processedDaysAgo)}
             where id = ${id}`.execute(db);
}

async function deliveries(db: Kysely<Database>) {
  const rows = await db.selectFrom('deliveries').select(['id', 'payload']).orderBy('id').execute();
  return Object.fromEntries(rows.map((r) => [r.id, r.payload === '' ? 'payload dropped' : 'payload kept']));
}

async function plan(db: Kysely<Database>, createdDaysAgo: number, status = 'applied'): Promise<string> {
  const row = await sql<{ id: string }>`
    insert into plans (org, trigger, actor, mode, status, plan, adds, cancels, violations, created_at)
    values ('acme', 'schedule', 'schedule', 'apply', ${status}, '{}'::jsonb, 1, 0, 0, ${ago(createdDaysAgo)})
    returning id`.execute(db);
  const id = row.rows[0]!.id;
  await sql`insert into plan_changes (plan_id, login_key, login, op, status) values (${id}, 'bob', 'bob', 'add', 'done')`.execute(db);
  return id;
}

async function installation(db: Kysely<Database>, id: number, org: string, status: string, updatedDaysAgo: number) {
  await sql`insert into installations (id, account_login, org, account_id, account_type, status, updated_at)
            values (${id}, ${org}, ${org.toLowerCase()}, ${id}, 'Organization', ${status}, ${ago(updatedDaysAgo)})`.execute(db);
}

async function mirror(db: Kysely<Database>, org: string, members: number) {
  for (let i = 0; i < members; i++) {
    await sql`insert into org_members (org, login_key, login, user_id, role, present, source_at)
              values (${org}, ${`user${i}`}, ${`User${i}`}, ${1000 + i}, 'member', true, now())`.execute(db);
  }
  await sql`insert into copilot_seats (org, login_key, login, user_id, created_at, plan_type, synced_at)
            values (${org}, 'user0', 'User0', 1000, now(), 'business', now())`.execute(db);
  await sql`insert into org_sync_state (org, members_synced_at) values (${org}, now())`.execute(db);
}

async function mirrorCounts(db: Kysely<Database>, org: string) {
  const count = async (table: string) =>
    Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)} where org = ${org}`.execute(db)).rows[0]!.n);
  return { members: await count('org_members'), seats: await count('copilot_seats'), syncState: await count('org_sync_state') };
}

describe(`prune (${backend})`, () => {
  it('drops old payloads and rows, keeps recent ones, live work and dead letters, in batches', async () => {
    const { db } = await databases.open();
    // Seven processed deliveries whose payloads are past 7 days but whose rows are within 30.
    for (let i = 0; i < 7; i++) await delivery(db, `old-payload-${i}`, 'processed', 10, 9);
    await delivery(db, 'recent', 'processed', 2, 2);
    // Received long ago but processed (replayed) yesterday: its seven days start at processing.
    await delivery(db, 'replayed-recently', 'processed', 40, 1);
    for (let i = 0; i < 4; i++) await delivery(db, `expired-${i}`, 'processed', 31, 31);
    await delivery(db, 'dead-young', 'dead', 60);
    await delivery(db, 'dead-old', 'dead', 91);
    await delivery(db, 'failing-old', 'failed', 100);
    await delivery(db, 'waiting-old', 'received', 100);

    const result = await pruneData({ db, retention: RETENTION, log, now: NOW });

    // Batches of three: 7 payloads take 3 batches (3, 3, 1), 4 rows take 2 (3, 1).
    expect(result.payloadsDropped).toEqual({ rows: 7, batches: 3 });
    expect(result.deliveriesDeleted).toEqual({ rows: 4, batches: 2 });
    expect(result.deadLettersDeleted).toEqual({ rows: 1, batches: 1 });
    expect(await deliveries(db)).toEqual({
      'dead-old': undefined,
      'dead-young': 'payload kept',
      'failing-old': 'payload kept',
      ...Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`old-payload-${i}`, 'payload dropped'])),
      recent: 'payload kept',
      'replayed-recently': 'payload kept',
      'waiting-old': 'payload kept',
    });

    // A second run finds nothing more to do: one short batch each.
    const again = await pruneData({ db, retention: RETENTION, log, now: NOW });
    expect(again.payloadsDropped).toEqual({ rows: 0, batches: 1 });
    expect(again.deliveriesDeleted).toEqual({ rows: 0, batches: 1 });
  });

  it('deletes dispatched domain events and old plans with their changes; undispatched events and applying plans stay', async () => {
    const { db } = await databases.open();
    await sql`insert into domain_events (org, type, created_at, dispatched_at) values
                ('acme', 'seat.added', ${ago(9)}, ${ago(8)}),
                ('acme', 'seat.added', ${ago(3)}, ${ago(3)}),
                ('acme', 'seat.cancelled', ${ago(20)}, null)`.execute(db);
    const old = await plan(db, 200);
    const stuck = await plan(db, 200, 'applying');
    const kept = await plan(db, 100);

    const result = await pruneData({ db, retention: RETENTION, log, now: NOW });
    expect(result.domainEventsDeleted.rows).toBe(1);
    expect(result.plansDeleted.rows).toBe(1);

    const events = await db.selectFrom('domain_events').select(['type', 'dispatched_at']).orderBy('id').execute();
    expect(events.map((e) => [e.type, e.dispatched_at === null ? 'pending' : 'dispatched'])).toEqual([
      ['seat.added', 'dispatched'],
      ['seat.cancelled', 'pending'],
    ]);
    const plans = await db.selectFrom('plans').select('id').execute();
    expect(plans.map((p) => p.id).sort()).toEqual([stuck, kept].sort());
    const changes = await db.selectFrom('plan_changes').select('plan_id').execute();
    expect(changes.map((c) => c.plan_id)).not.toContain(old);
    expect(changes).toHaveLength(2);
  });

  it('purges the mirror of an organization uninstalled past the grace period only; the audit chain stays whole', async () => {
    const { db } = await databases.open();
    await installation(db, 1, 'Gone', 'deleted', 31);
    await installation(db, 2, 'Leaving', 'deleted', 10);
    // Uninstalled long ago, reinstalled since under a new installation id.
    await installation(db, 3, 'Back', 'deleted', 60);
    await installation(db, 4, 'Back', 'active', 50);
    for (const org of ['gone', 'leaving', 'back']) {
      await mirror(db, org, 5);
      for (let i = 0; i < 3; i++) {
        await appendAudit(db, { org, actor: 'ceos', action: 'seat.added', target: `user${i}`, reason: 'granted by the policy' });
      }
    }
    await appendAudit(db, { org: 'gone', actor: 'github', action: 'installation.deleted', reason: 'the app was uninstalled' });

    const result = await pruneData({ db, retention: RETENTION, log, now: NOW });

    expect(result.mirrorsPurged).toEqual(['gone']);
    // 5 members (two batches of three), a seat, a sync state: 7 rows.
    expect(result.mirrorRowsDeleted.rows).toBe(7);
    expect(await mirrorCounts(db, 'gone')).toEqual({ members: 0, seats: 0, syncState: 0 });
    expect(await mirrorCounts(db, 'leaving')).toEqual({ members: 5, seats: 1, syncState: 1 });
    expect(await mirrorCounts(db, 'back')).toEqual({ members: 5, seats: 1, syncState: 1 });

    // The audit log is never pruned, and every chain still verifies.
    const audit = await db.selectFrom('audit_log').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
    expect(Number(audit.n)).toBe(10);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 10, orgs: 3 });

    // A run after the purge reports nothing purged again.
    expect((await pruneData({ db, retention: RETENTION, log, now: NOW })).mirrorsPurged).toEqual([]);
  });

  it('stops between batches when its job is aborted', async () => {
    const { db } = await databases.open();
    for (let i = 0; i < 7; i++) await delivery(db, `old-${i}`, 'processed', 10, 9);
    const controller = new AbortController();
    controller.abort();
    const result = await pruneData({ db, retention: RETENTION, log, now: NOW, signal: controller.signal });
    expect(result.payloadsDropped).toEqual({ rows: 0, batches: 0 });
    expect(Object.values(await deliveries(db)).every((v) => v === 'payload kept')).toBe(true);
  });
});
