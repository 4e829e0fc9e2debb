import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { PendingMigrationsError, startCeos } from '../../src/app/ceos.js';
import { ConfigError, loadConfig } from '../../src/app/config.js';
import { createLogger } from '../../src/app/logger.js';
import { connectDatabase } from '../../src/db/connect.js';
import { pendingMigrations } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { LogCapture, testEnv } from '../helpers/ceos.js';
import { runCli } from '../helpers/cli.js';
import { backend, cliDatabase, testDatabaseUrl } from '../helpers/database.js';

// The Helm chart runs `ceos migrate` in a hook Job and starts its pods with
// CEOS_MIGRATE_ON_START=false, so no pod ever migrates a schema under the others.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const ALL = Object.keys(migrations);

async function inspect(env: { DATABASE_SCHEMA: string; CEOS_DATA_DIR: string }) {
  const database = await connectDatabase({ databaseUrl: testDatabaseUrl, dataDir: env.CEOS_DATA_DIR, schema: env.DATABASE_SCHEMA });
  try {
    const pending = await pendingMigrations(database.db, database.schema);
    const queue = await sql<{ exists: boolean }>`select to_regclass(${`${database.schema}_jobs.version`}) is not null as exists`.execute(database.db);
    return { pending, queueInstalled: queue.rows[0]!.exists };
  } finally {
    await database.close();
  }
}

describe('CEOS_MIGRATE_ON_START', () => {
  it.each([
    [undefined, true],
    ['true', true],
    ['false', false],
    ['0', false],
  ])('reads %s as %s', (value, expected) => {
    expect(loadConfig({ CEOS_MIGRATE_ON_START: value }).migrateOnStart).toBe(expected);
  });

  it('refuses a value that is not a boolean, naming the variable', () => {
    expect(() => loadConfig({ CEOS_MIGRATE_ON_START: 'later' })).toThrow(ConfigError);
    expect(() => loadConfig({ CEOS_MIGRATE_ON_START: 'later' })).toThrow(/CEOS_MIGRATE_ON_START/);
  });
});

describe(`start without migrating, after \`ceos migrate\` (${backend})`, () => {
  it('refuses to start on pending migrations and changes nothing; `ceos migrate` installs both schemas; then it starts', async () => {
    const { env } = cliDatabase((cleanup) => cleanups.push(cleanup));
    const config = loadConfig(testEnv({ ...env, CEOS_MIGRATE_ON_START: 'false', LOG_LEVEL: 'error' }));
    const log = createLogger('error', new LogCapture());

    const refused = await startCeos(config, { log, listen: false }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(PendingMigrationsError);
    expect((refused as Error).message).toContain(`has ${ALL.length} pending migrations`);
    expect((refused as Error).message).toContain('CEOS_MIGRATE_ON_START is false; run `ceos migrate` first');
    expect(await inspect(env)).toEqual({ pending: ALL, queueInstalled: false });

    const migrated = await runCli(['migrate'], env);
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);
    expect(await inspect(env)).toEqual({ pending: [], queueInstalled: true });

    const ceos = await startCeos(config, { log, listen: false, throttle: false });
    try {
      const health = await ceos.server.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(200);
    } finally {
      await ceos.close();
    }
  });
});
