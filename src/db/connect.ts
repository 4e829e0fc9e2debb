import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

// bigint columns (installation ids, GitHub user ids) come back as strings: ids beyond 2^53 must not
// be rounded.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

/** An open database: Kysely for queries, plus what the job queue and listeners need. */
export interface DatabaseHandle {
  kind: 'postgres' | 'pglite';
  db: Kysely<Database>;
  /** Schema holding CEOS's tables. */
  schema: string;
  /** The embedded instance, when kind is 'pglite' (pg-boss shares it). */
  pglite?: PGlite;
  /** PostgreSQL connection string, when kind is 'postgres' (pg-boss opens its own pool). */
  connectionString?: string;
  /** The pool behind `db`, when kind is 'postgres' (for prepared statements on hot paths). */
  pool?: pg.Pool;
  /** Subscribes to a NOTIFY channel; resolves to an unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** PostgreSQL connection string; undefined opens the embedded database. */
  databaseUrl: string | undefined;
  /** Directory of the embedded database; 'memory://' keeps it in memory (tests). */
  dataDir: string;
  schema: string;
  poolSize?: number;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Opens the database and makes `schema` the search path of every connection, creating it if
 * needed, so that queries and migrations use unqualified names.
 */
export async function connectDatabase(options: ConnectOptions): Promise<DatabaseHandle> {
  return options.databaseUrl ? connectPostgres(options.databaseUrl, options) : connectPglite(options);
}

async function connectPostgres(connectionString: string, options: ConnectOptions): Promise<DatabaseHandle> {
  const bootstrap = new pg.Client({ connectionString });
  await bootstrap.connect();
  try {
    await bootstrap.query(`create schema if not exists ${quoteIdent(options.schema)}`);
  } catch (error) {
    // Two instances starting together may race on the catalog; the schema then exists.
    if ((error as { code?: string }).code !== '23505') throw error;
  } finally {
    await bootstrap.end();
  }
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 10,
    options: `-c search_path=${quoteIdent(options.schema)}`,
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const listeners: pg.PoolClient[] = [];
  return {
    kind: 'postgres',
    db,
    schema: options.schema,
    connectionString,
    pool,
    async listen(channel, onNotify) {
      const client = await pool.connect();
      listeners.push(client);
      client.on('notification', (message) => {
        if (message.channel === channel) onNotify(message.payload ?? '');
      });
      await client.query(`listen ${quoteIdent(channel)}`);
      return async () => {
        const index = listeners.indexOf(client);
        if (index === -1) return;
        listeners.splice(index, 1);
        await client.query(`unlisten ${quoteIdent(channel)}`).catch(() => undefined);
        client.release();
      };
    },
    async close() {
      for (const client of listeners.splice(0)) client.release(true);
      await db.destroy();
    },
  };
}

async function connectPglite(options: ConnectOptions): Promise<DatabaseHandle> {
  const inMemory = options.dataDir.startsWith('memory://');
  let releaseLock = () => {};
  if (!inMemory) {
    mkdirSync(options.dataDir, { recursive: true });
    releaseLock = lockDataDir(options.dataDir);
  }
  let pglite: PGlite;
  try {
    // Same as with pg: bigint as text, so both backends return the same row types.
    pglite = await PGlite.create({ dataDir: inMemory ? undefined : options.dataDir, parsers: { 20: (v: string) => v } });
  } catch (error) {
    releaseLock();
    throw error;
  }
  await pglite.exec(`create schema if not exists ${quoteIdent(options.schema)}; set search_path to ${quoteIdent(options.schema)}`);
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    kind: 'pglite',
    db,
    schema: options.schema,
    pglite,
    async listen(channel, onNotify) {
      const unsubscribe = await pglite.listen(channel, onNotify);
      return async () => unsubscribe();
    },
    async close() {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
      releaseLock();
    },
  };
}

/** Raised when another process has the embedded database open. */
export class DatabaseInUseError extends Error {
  override name = 'DatabaseInUseError';
}

/**
 * The embedded database is one process's: a second process opening the same directory would
 * corrupt it. A lock file with the owner's pid keeps a second `ceos` out, and a stale one (its
 * process gone, after a kill) is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = path.join(dataDir, 'ceos.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lockPath, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new DatabaseInUseError(
          `the embedded database in ${dataDir} is in use by process ${owner}; stop it first, or use a PostgreSQL server (DATABASE_URL)`,
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new DatabaseInUseError(`could not lock the embedded database in ${dataDir}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the database answers a trivial query. */
export async function pingDatabase(db: Kysely<Database>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
