import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type DatabaseHandle, connectDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';

/**
 * The database tests run on: the PostgreSQL server named by DATABASE_URL when it is set (CI runs
 * the suite a second time that way), otherwise an in-memory embedded PGlite per test.
 */
export const testDatabaseUrl: string | undefined = process.env.DATABASE_URL || undefined;

/** Which backend this run uses, for test names. */
export const backend = testDatabaseUrl ? 'postgres' : 'pglite';

/** A schema of its own for one test, so tests never see each other's rows. */
export function uniqueSchema(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

/** Drops a test's schemas on PostgreSQL (PGlite test databases vanish with the process). */
export async function dropSchemas(schema: string): Promise<void> {
  if (!testDatabaseUrl) return;
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade; drop schema if exists "${schema}_jobs" cascade`);
  } finally {
    await client.end();
  }
}

/** Migrated test databases that a test file opens as it goes and closes (and drops) after each test. */
export function testDatabases() {
  const opened: DatabaseHandle[] = [];
  return {
    /** Opens a migrated database on its own schema (several handles may share one, as instances do). */
    async open(schema = uniqueSchema(), poolSize?: number): Promise<DatabaseHandle> {
      const database = await connectDatabase({ databaseUrl: testDatabaseUrl, dataDir: 'memory://', schema, ...(poolSize ? { poolSize } : {}) });
      opened.push(database);
      await migrateToLatest(database.db, schema);
      return database;
    },
    async closeAll(): Promise<void> {
      for (const database of opened.splice(0)) {
        await database.close();
        await dropSchemas(database.schema);
      }
    },
  };
}

/**
 * A database for `ceos` child processes: a PostgreSQL schema, or an embedded data directory on
 * disk (a child process cannot share an in-memory one), with the environment that names it.
 * `onCleanup` receives what removes it after the test.
 */
export function cliDatabase(onCleanup: (cleanup: () => Promise<void>) => void) {
  const schema = uniqueSchema();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ceos-cli-'));
  onCleanup(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropSchemas(schema);
  });
  const env = { DATABASE_URL: testDatabaseUrl ?? '', DATABASE_SCHEMA: schema, CEOS_DATA_DIR: dataDir, LOG_LEVEL: 'error' };
  const open = async () => {
    const database = await connectDatabase({ databaseUrl: testDatabaseUrl, dataDir, schema });
    await migrateToLatest(database.db, schema);
    return database;
  };
  return { schema, dataDir, env, open };
}
