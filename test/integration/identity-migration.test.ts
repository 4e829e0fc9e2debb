import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, connectDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { backend, dropSchemas, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';

const IDENTITY = '2026-12-01T1000-identity';

let database: DatabaseHandle | undefined;
afterEach(async () => {
  await database?.close();
  if (database) await dropSchemas(database.schema);
  database = undefined;
});

/** A database migrated up to the migration just before the identity one, as an install of yesterday's CEOS. */
async function databaseBeforeIdentity(): Promise<DatabaseHandle> {
  const schema = uniqueSchema();
  database = await connectDatabase({ databaseUrl: testDatabaseUrl, dataDir: 'memory://', schema });
  const names = Object.keys(migrations).sort();
  const previous = names[names.indexOf(IDENTITY) - 1]!;
  const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations }, migrationTableSchema: schema });
  const { error } = await migrator.migrateTo(previous);
  if (error) throw error;
  return database;
}

describe(`the identity migration upgrades existing rows (${backend})`, () => {
  it('keys members, seats and team memberships by user id, and gives overrides the id of their person', async () => {
    const { db, schema } = await databaseBeforeIdentity();
    const t0 = '2026-11-30T10:00:00Z';
    const t1 = '2026-11-30T11:00:00Z';
    await sql`
      insert into org_members (org, login_key, login, user_id, role, present, source_at) values
        ('acme', 'alice', 'alice', 1, 'admin', true, ${t0}),
        -- bob renamed to robert: webhooks left a row for each login of user 2; the newer one stands.
        ('acme', 'bob', 'bob', 2, 'member', true, ${t0}),
        ('acme', 'robert', 'robert', 2, 'member', true, ${t1}),
        ('acme', 'carol', 'carol', 3, 'member', false, ${t0}),
        ('globex', 'alice', 'alice', 1, 'member', true, ${t0})`.execute(db);
    await sql`
      insert into org_team_members (org, team_slug, login_key, login, present, source_at) values
        ('acme', 'eng', 'alice', 'alice', true, ${t0}),
        ('acme', 'eng', 'bob', 'bob', true, ${t0}),
        ('acme', 'eng', 'robert', 'robert', true, ${t1}),
        ('acme', 'eng', 'stranger', 'stranger', true, ${t0}),
        ('globex', 'ops', 'alice', 'alice', true, ${t0})`.execute(db);
    await sql`
      insert into copilot_seats (org, login_key, login, user_id, assigning_team_slug, created_at, pending_cancellation_date, plan_type, synced_at) values
        ('acme', 'alice', 'alice', 1, null, ${t0}, null, 'business', ${t0}),
        -- A seat recorded after an add without a known id: its id comes from the members, or it goes.
        ('acme', 'carol', 'carol', 0, null, ${t0}, null, 'business', ${t0}),
        ('acme', 'nobody', 'nobody', 0, null, ${t0}, null, 'business', ${t0})`.execute(db);
    await sql`
      insert into org_sync_state (org, members_synced_at, seats_synced_at) values
        ('acme', ${t1}, ${t1}), ('globex', ${t1}, ${t1})`.execute(db);
    await sql`
      insert into seat_overrides (org, login_key, login, kind, actor, reason) values
        ('acme', 'robert', 'robert', 'grant', 'root', 'asked'),
        ('acme', 'newcomer', 'newcomer', 'grant', 'root', 'not yet a member')`.execute(db);

    await migrateToLatest(db, schema);

    const members = await db.selectFrom('org_members').select(['org', 'login', 'user_id', 'present']).orderBy('org').orderBy('user_id').execute();
    expect(members).toEqual([
      { org: 'acme', login: 'alice', user_id: '1', present: true },
      { org: 'acme', login: 'robert', user_id: '2', present: true },
      { org: 'acme', login: 'carol', user_id: '3', present: false },
      { org: 'globex', login: 'alice', user_id: '1', present: true },
    ]);
    const teams = await db.selectFrom('org_team_members').select(['org', 'team_slug', 'login', 'user_id']).orderBy('org').orderBy('user_id').execute();
    expect(teams).toEqual([
      { org: 'acme', team_slug: 'eng', login: 'alice', user_id: '1' },
      { org: 'acme', team_slug: 'eng', login: 'robert', user_id: '2' },
      { org: 'globex', team_slug: 'ops', login: 'alice', user_id: '1' },
    ]);
    const seats = await db.selectFrom('copilot_seats').select(['login', 'user_id']).orderBy('user_id').execute();
    expect(seats).toEqual([
      { login: 'alice', user_id: '1' },
      { login: 'carol', user_id: '3' },
    ]);
    // acme lost a membership it could not key: its member sync counts as never completed.
    const sync = await db.selectFrom('org_sync_state').select(['org', 'members_synced_at']).orderBy('org').execute();
    expect(sync.map((s) => [s.org, s.members_synced_at === null])).toEqual([
      ['acme', true],
      ['globex', false],
    ]);
    const overrides = await db.selectFrom('seat_overrides').select(['login', 'user_id']).orderBy('login').execute();
    expect(overrides).toEqual([
      { login: 'newcomer', user_id: null },
      { login: 'robert', user_id: '2' },
    ]);

    // The new keys hold: a second row for the same user id is refused.
    await expect(
      sql`insert into org_members (org, login_key, login, user_id, role, present, source_at)
          values ('acme', 'bobby', 'bobby', 2, 'member', true, now())`.execute(db),
    ).rejects.toThrow(/duplicate key|unique/i);
  });
});
