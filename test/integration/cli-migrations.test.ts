import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/db/connect.js';
import { insertDeliveries } from '../../src/db/deliveries.js';
import { pendingMigrations } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { runCli } from '../helpers/cli.js';
import { backend, cliDatabase, testDatabaseUrl } from '../helpers/database.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function freshDatabase() {
  return cliDatabase((cleanup) => cleanups.push(cleanup));
}

const ALL = Object.keys(migrations);
const LAST = ALL[ALL.length - 1]!;

// Every command but `start` and `migrate`.
const COMMANDS = [
  ['deliveries', 'list'],
  ['deliveries', 'show', 'some-guid'],
  ['deliveries', 'replay', 'some-guid'],
  ['audit', 'verify'],
  ['audit', 'list'],
  ['audit', 'export', '--org', 'acme'],
  ['plans', 'list', 'acme'],
  ['plans', 'show', '00000000-0000-0000-0000-000000000000'],
  ['reconcile', 'acme'],
];

async function pendingIn(env: { DATABASE_SCHEMA: string; CEOS_DATA_DIR: string }): Promise<string[]> {
  const database = await connectDatabase({ databaseUrl: testDatabaseUrl, dataDir: env.CEOS_DATA_DIR, schema: env.DATABASE_SCHEMA });
  try {
    return await pendingMigrations(database.db, database.schema);
  } finally {
    await database.close();
  }
}

describe(`ceos CLI and migrations (${backend})`, () => {
  it.each(COMMANDS.map((c) => [c.join(' '), c]))('`ceos %s` refuses a database with pending migrations and changes nothing', async (_name, args) => {
    const { env } = freshDatabase();
    const result = await runCli(args as string[], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^ceos: the database \(schema t_[0-9a-f]+\) has \d+ pending migrations \(/);
    expect(result.stderr).toContain('run `ceos migrate` (npm run ceos -- migrate) first');
    expect(await pendingIn(env)).toEqual(ALL);
  });

  it('names the one migration a newer release added, and runs once `ceos migrate` applied it', async () => {
    const { env, open } = freshDatabase();
    const database = await open();
    // As if this release's newest migration were new: the database has every other one.
    await migrations[LAST]!.down!(database.db);
    await sql`delete from kysely_migration where name = ${LAST}`.execute(database.db);
    await database.close();

    const refused = await runCli(['deliveries', 'list'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`has 1 pending migration (${LAST}); run \`ceos migrate\``);

    const migrated = await runCli(['migrate'], env);
    expect(migrated.code).toBe(0);
    const listed = await runCli(['deliveries', 'list'], env);
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toBe('no deliveries\n');
  });

  it('shows a delivery whose payload the retention dropped, and refuses to replay it', async () => {
    const { env, open } = freshDatabase();
    const database = await open();
    await insertDeliveries(database.db, [
      { id: 'pruned', event: 'ping', action: null, installationId: null, org: null, repository: null, sender: null, payload: '{"zen":"z"}', receivedAt: new Date() },
    ]);
    await sql`update deliveries set status = 'processed', processed_at = now(), payload = '' where id = 'pruned'`.execute(database.db);
    await database.close();

    const shown = await runCli(['deliveries', 'show', 'pruned'], env);
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: 'pruned', status: 'processed', payload: null, payload_dropped: true });
    const replay = await runCli(['deliveries', 'replay', 'pruned'], env);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toBe(
      'ceos: delivery pruned cannot be replayed: its payload was dropped by the retention settings (CEOS_RETAIN_DELIVERY_PAYLOAD_DAYS)\n',
    );
  });
});
