import pg from 'pg';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, connectDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { JobDeadline, currentDeadline, runWithDeadline } from '../../src/engine/job-deadline.js';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';

// Lock waits need a second connection, which the embedded database does not have.
describe.skipIf(!testDatabaseUrl)('database waits stop with the job (postgres)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(): Promise<{ database: DatabaseHandle; locker: pg.Client; schema: string }> {
    const schema = uniqueSchema();
    // No statement_timeout: without cancellation a query behind the lock would wait for ever.
    const database = await connectDatabase({ databaseUrl: testDatabaseUrl, dataDir: 'memory://', schema, statementTimeoutMs: 0, querySignal: () => currentDeadline()?.signal });
    await migrateToLatest(database.db, schema);
    const locker = new pg.Client({ connectionString: testDatabaseUrl });
    await locker.connect();
    cleanups.push(async () => {
      await locker.end().catch(() => undefined);
      await database.close();
      await dropSchemas(schema);
    });
    await locker.query('begin');
    await locker.query(`lock table "${schema}".recovery_state in access exclusive mode`);
    return { database, locker, schema };
  }

  /**
   * Resolves once a `ceos` backend waits on a lock for the table (polling the catalog, not sleeping
   * a guess). Each poll is a transaction of its own: inside one, pg_stat_activity is a snapshot.
   */
  async function waitingOnLock(observer: pg.Client): Promise<number> {
    for (;;) {
      await observer.query('select pg_stat_clear_snapshot()');
      const { rows } = await observer.query<{ pid: number }>(
        `select pid from pg_stat_activity where application_name = 'ceos' and wait_event_type = 'Lock' and query like '%recovery_state%'`,
      );
      if (rows.length > 0) return rows[0]!.pid;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('cancels a query waiting on a lock when the job is stopped, and leaves the connection usable', async () => {
    const { database, locker } = await setUp();
    const deadline = new JobDeadline(Date.now() + 60_000);
    const query = runWithDeadline(deadline, () => database.db.selectFrom('recovery_state').selectAll().execute());
    const outcome = query.then(
      () => 'returned',
      (error: Error) => error,
    );
    const pid = await waitingOnLock(locker);
    deadline.abort('deadline passed');
    const error = await outcome;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('AbortError');
    // The server no longer runs it: the backend is idle, not waiting.
    const { rows } = await locker.query<{ state: string; wait_event_type: string | null }>('select state, wait_event_type from pg_stat_activity where pid = $1', [pid]);
    expect(rows[0]?.wait_event_type).not.toBe('Lock');
    await locker.query('rollback');
    // Every pooled connection still works once the lock is gone.
    const all = await Promise.all(Array.from({ length: 12 }, () => database.db.selectFrom('recovery_state').selectAll().execute()));
    expect(all.every((r) => Array.isArray(r))).toBe(true);
  });

  it('rolls back a transaction whose statement is cancelled: nothing it wrote stays', async () => {
    const { database, locker } = await setUp();
    const deadline = new JobDeadline(Date.now() + 60_000);
    const outcome = runWithDeadline(deadline, () =>
      database.db.transaction().execute(async (trx) => {
        await sql`insert into deliveries (id, event, payload) values ('written-before-the-wait', 'push', '{}')`.execute(trx);
        await trx.selectFrom('recovery_state').selectAll().execute();
      }),
    ).then(
      () => 'committed',
      (error: Error) => error.name,
    );
    await waitingOnLock(locker);
    deadline.abort('lease lost');
    expect(await outcome).toBe('AbortError');
    await locker.query('rollback');
    expect(await database.db.selectFrom('deliveries').select('id').execute()).toEqual([]);
  });

  it('leaves alone queries outside any job, and queries of a job that is still running', async () => {
    const { database, locker } = await setUp();
    const deadline = new JobDeadline(Date.now() + 60_000);
    const inJob = runWithDeadline(deadline, () => database.db.selectFrom('recovery_state').selectAll().execute());
    const outside = database.db.selectFrom('recovery_state').selectAll().execute();
    await waitingOnLock(locker);
    // Another job stopping does not touch them.
    const other = new JobDeadline(Date.now() + 60_000);
    other.abort('another job stopped');
    await locker.query('rollback');
    expect(await inJob).toEqual([]);
    expect(await outside).toEqual([]);
  });
});
