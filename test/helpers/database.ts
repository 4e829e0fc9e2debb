import { randomBytes } from 'node:crypto';
import pg from 'pg';

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
