import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, connectDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { Database } from '../../src/db/schema.js';
import { TENANT_ROLE, withTenant } from '../../src/db/tenancy.js';
import { backend, dropSchemas, testDatabaseUrl, testDatabases, uniqueSchema } from '../helpers/database.js';

const databases = testDatabases();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await databases.closeAll();
});

/** Runs SQL as the superuser the tests connect with (PostgreSQL only). */
async function asSuperuser(statements: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(statements);
  } finally {
    await client.end();
  }
}

/**
 * An unmigrated database whose queries run as `login`, a role that is not a superuser: on
 * PostgreSQL a login role of its own, on the embedded database (one superuser session) the
 * session's role. `attributes` are the role's (`CREATEROLE`, or nothing).
 */
async function openAsLogin(attributes: string, setup: (login: string) => string = () => ''): Promise<{ database: DatabaseHandle; login: string }> {
  const login = `ceos_app_${randomBytes(4).toString('hex')}`;
  const schema = uniqueSchema();
  if (testDatabaseUrl) {
    // The database the suite runs on (CI makes one per run), not necessarily `postgres`.
    const onDatabase = `database "${decodeURIComponent(new URL(testDatabaseUrl).pathname.slice(1)) || 'postgres'}"`;
    await asSuperuser(`create role ${login} login nosuperuser ${attributes}; grant create on ${onDatabase} to ${login}; ${setup(login)}`);
    // Registered before connecting, so a login that cannot connect is still dropped (cleanups run last first).
    cleanups.push(async () => {
      await dropSchemas(schema);
      await asSuperuser(`revoke create on ${onDatabase} from ${login}; drop role ${login}`);
    });
    const url = new URL(testDatabaseUrl);
    url.username = login;
    const database = await connectDatabase({ databaseUrl: url.toString(), dataDir: 'memory://', schema });
    cleanups.push(() => database.close());
    return { database, login };
  }
  const database = await connectDatabase({ databaseUrl: undefined, dataDir: 'memory://', schema });
  cleanups.push(() => database.close());
  await database.pglite!.exec(`create role ${login} nologin nosuperuser ${attributes}; alter schema "${schema}" owner to ${login}; ${setup(login)} set role ${login}`);
  return { database, login };
}

async function currentUser(db: Kysely<Database>): Promise<string> {
  return (await sql<{ user: string }>`select current_user as user`.execute(db)).rows[0]!.user;
}

/** Two installations' seats, written by the owner; what the owner and each tenant then see. */
async function isolationHolds(db: Kysely<Database>): Promise<void> {
  await db.insertInto('installations').values([
    { id: '11', account_login: 'One', org: 'one', account_id: '1', account_type: 'Organization', status: 'active', permissions: '{}', events: '[]', updated_at: new Date() },
    { id: '22', account_login: 'Two', org: 'two', account_id: '2', account_type: 'Organization', status: 'active', permissions: '{}', events: '[]', updated_at: new Date() },
  ]).execute();
  const seat = (org: string, userId: string) => ({ org, login_key: `u${userId}`, login: `u${userId}`, user_id: userId, created_at: new Date(), plan_type: 'business', synced_at: new Date() });
  await db.insertInto('copilot_seats').values([seat('one', '1'), seat('two', '2')]).execute();
  const count = async (d: Kysely<Database>) => Number((await d.selectFrom('copilot_seats').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  expect(await count(db)).toBe(2);
  expect(await withTenant(db, '11', (trx) => count(trx))).toBe(1);
  expect(await withTenant(db, '22', async (trx) => ({ user: await currentUser(trx), logins: (await trx.selectFrom('copilot_seats').select('login').execute()).map((r) => r.login) }))).toEqual({ user: TENANT_ROLE, logins: ['u2'] });
}

describe(`tenant isolation with a login that is not a superuser (${backend})`, () => {
  it('works for the tables\' owner once it is a member of the tenant role: the owner sees every row, a tenant only its own', async () => {
    // The role exists on the cluster (a superuser's migration made it), as a DBA would have it.
    const reference = await databases.open();
    const { database, login } = await openAsLogin('nocreaterole', (l) => (testDatabaseUrl ? `grant ${TENANT_ROLE} to ${l};` : `create role ${TENANT_ROLE} nologin; grant ${TENANT_ROLE} to ${l};`));
    expect(reference.kind).toBe(database.kind);
    await migrateToLatest(database.db, database.schema);
    expect(await currentUser(database.db)).toBe(login);
    await isolationHolds(database.db);
    // The connection is back as the login after each tenant transaction.
    expect(await currentUser(database.db)).toBe(login);
  });

  it('with CREATEROLE, the migration grants the login the tenant role (and creates the role where it is missing, as on a fresh embedded database)', async () => {
    await databases.open();
    const { database, login } = await openAsLogin('createrole');
    await migrateToLatest(database.db, database.schema);
    await isolationHolds(database.db);
    expect(await currentUser(database.db)).toBe(login);
  });

  it('without CREATEROLE and without membership, the migration stops, names the statement a DBA must run, and changes nothing', async () => {
    await databases.open();
    const { database, login } = await openAsLogin('nocreaterole');
    const failure = await migrateToLatest(database.db, database.schema).then(
      () => null,
      (error: Error & { cause?: { hint?: string } }) => error,
    );
    expect(failure?.message).toMatch(testDatabaseUrl ? `${login} is not a member of the role ceos_tenant` : `the role ceos_tenant does not exist, and ${login} may not create it`);
    expect(failure?.message).toContain('2026-12-03T2000-tenant-isolation');
    // Only the migrator's own tables, which it makes before it starts: no migration applied.
    const tables = await sql<{ name: string }>`select tablename as name from pg_catalog.pg_tables where schemaname = ${database.schema} order by 1`.execute(database.db);
    expect(tables.rows.map((r) => r.name)).toEqual(['kysely_migration', 'kysely_migration_lock']);
    const applied = await sql<{ n: number }>`select count(*)::int as n from kysely_migration`.execute(database.db);
    expect(applied.rows[0]!.n).toBe(0);
  });
});
