import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import { type ListenerState, NotificationListener } from './notification-listener.js';
import type { Database } from './schema.js';

// bigint columns (installation ids, GitHub user ids) come back as strings: ids beyond 2^53 must not
// be rounded.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);
// `date` columns (usage days) stay `YYYY-MM-DD` text: a Date would shift them by the local zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

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
  /** Where the database is, for logs and messages (host, port and database; never a password). */
  location: string;
  /**
   * Subscribes to a NOTIFY channel; resolves to an unsubscribe function. On PostgreSQL a lost
   * LISTEN connection is re-established by itself, and each subscriber is then called once with an
   * empty payload, since notifications sent meanwhile were missed.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /** Whether the LISTEN connection is up (always, on the embedded database). */
  listenerState(): ListenerState;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** PostgreSQL connection string; undefined opens the embedded database. */
  databaseUrl: string | undefined;
  /** Directory of the embedded database; 'memory://' keeps it in memory (tests). */
  dataDir: string;
  schema: string;
  poolSize?: number;
  /** Milliseconds to wait for a new connection before a query fails (default 5000). */
  connectTimeoutMs?: number;
  /** PostgreSQL `statement_timeout` of the app's connections, in milliseconds; 0 for none (default 60000). */
  statementTimeoutMs?: number;
  /** Where lost connections and reconnections are logged. */
  log?: Logger;
  /**
   * The abort signal of the work running in the current async context (a job's deadline), if any.
   * On PostgreSQL a query still running when that signal aborts is cancelled on the server, so a
   * job past its time stops waiting on a lock at once instead of after `statement_timeout`.
   */
  querySignal?: () => AbortSignal | undefined;
}

/** Raised when PostgreSQL cannot be reached at start; the message names DATABASE_URL and the host. */
export class DatabaseConnectionError extends Error {
  override name = 'DatabaseConnectionError';
}

/** `user@host:port/database` of a connection string, without its password, for messages and logs. */
export function describeDatabaseUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    const host = url.hostname || url.searchParams.get('host') || 'localhost';
    const port = url.port || url.searchParams.get('port') || '5432';
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
    return `${user}${host}:${port}${database ? `/${database}` : ''}`;
  } catch {
    return 'an unparsable address';
  }
}

function connectionFailure(error: unknown, location: string, timeoutMs: number): DatabaseConnectionError {
  const code = (error as { code?: string }).code;
  const reason =
    code === 'ECONNREFUSED'
      ? 'the connection was refused; is PostgreSQL running and listening there?'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'the host name does not resolve'
        : code === 'ETIMEDOUT' || /timeout/i.test((error as Error).message ?? '')
          ? `no answer within ${timeoutMs} ms`
          : ((error as Error).message ?? String(error));
  return new DatabaseConnectionError(`cannot connect to PostgreSQL at ${location} (DATABASE_URL): ${reason}`, { cause: error });
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
  const location = describeDatabaseUrl(connectionString);
  const log = (options.log ?? pino({ enabled: false })).child({ component: 'database', database: location });
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const statementTimeoutMs = options.statementTimeoutMs ?? 60_000;
  const bootstrap = new pg.Client({ connectionString, connectionTimeoutMillis: connectTimeoutMs });
  // Unheard, an error event on a connection (its backend terminated, its socket reset) ends the process.
  bootstrap.on('error', () => undefined);
  try {
    await bootstrap.connect();
  } catch (error) {
    throw connectionFailure(error, location, connectTimeoutMs);
  }
  try {
    await bootstrap.query(`create schema if not exists ${quoteIdent(options.schema)}`);
  } catch (error) {
    // Two instances starting together may race on the catalog; the schema then exists.
    if ((error as { code?: string }).code !== '23505') throw error;
  } finally {
    await bootstrap.end();
  }
  // statement_timeout is enforced by the server, so a query stuck behind a lock fails instead of
  // holding its connection for ever. pg's client-side query_timeout is not used: a timed-out query
  // leaves its connection busy and it returns to the pool that way. A dead peer is found by TCP
  // keep-alive instead, and a new connection by connectionTimeoutMillis.
  const sessionOptions = [`-c search_path=${quoteIdent(options.schema)}`];
  if (statementTimeoutMs > 0) sessionOptions.push(`-c statement_timeout=${statementTimeoutMs}`);
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 10,
    options: sessionOptions.join(' '),
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'ceos',
  });
  // An idle connection that dies is reported here and dropped; the pool opens a new one when needed.
  pool.on('error', (error) => log.warn({ err: error }, 'database connection lost; the pool reconnects on demand'));
  // A connection checked out between two queries (inside a transaction) reports its loss on itself;
  // the query that uses it next fails with the same cause, so this listener only keeps it handled.
  pool.on('connect', (client) => {
    client.on('error', (error) => log.debug({ err: error }, 'database connection error'));
    if (options.querySignal) cancelOnAbort(client, options.querySignal, { connectionString, connectionTimeoutMillis: connectTimeoutMs }, log);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const listener = new NotificationListener(
    { connectionString, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true, application_name: 'ceos-listen' },
    log,
  );
  return {
    kind: 'postgres',
    db,
    schema: options.schema,
    location,
    connectionString,
    pool,
    listen: (channel, onNotify) => listener.subscribe(channel, onNotify),
    listenerState: () => listener.state(),
    async close() {
      await listener.close();
      await db.destroy();
    },
  };
}

// PostgreSQL's answer to a cancelled statement: "canceling statement due to user request".
const QUERY_CANCELED = '57014';

/**
 * Makes every query of `client` that runs while `signal()` names a signal stop when it aborts: the
 * server is sent a cancel request for the statement in progress (the protocol's CancelRequest,
 * on a connection of its own, as pg's `cancel` does), and the query then fails with the signal's
 * reason rather than with PostgreSQL's error, so the job sees why it stopped. A query started
 * after the signal aborted runs normally: what an attempt does once stopped (recording that it
 * failed) is not refused here.
 */
function cancelOnAbort(client: pg.PoolClient, signal: () => AbortSignal | undefined, cancelWith: pg.ClientConfig, log: Logger): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const current = signal();
    const result = query(...args);
    if (current === undefined || current.aborted || !(result instanceof Promise)) return result;
    const target = client as unknown as { activeQuery?: unknown; processID?: number };
    const onAbort = () => {
      const active = target.activeQuery;
      if (active === undefined || active === null) return;
      log.debug({ backend: target.processID }, 'cancelling a query: the work that asked for it was stopped');
      // pg's typings leave `cancel` out; it opens its own connection and sends the request.
      const canceller = new pg.Client(cancelWith) as pg.Client & { cancel(target: pg.PoolClient, query: unknown): void };
      canceller.on('error', () => undefined);
      canceller.cancel(client, active);
    };
    current.addEventListener('abort', onAbort, { once: true });
    return result.then(
      (value) => {
        current.removeEventListener('abort', onAbort);
        return value;
      },
      (error: unknown) => {
        current.removeEventListener('abort', onAbort);
        if (current.aborted && (error as { code?: string }).code === QUERY_CANCELED) throw current.reason;
        throw error;
      },
    );
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
    // Same as with pg: bigint and date as text, so both backends return the same row types.
    pglite = await PGlite.create({ dataDir: inMemory ? undefined : options.dataDir, parsers: { 20: (v: string) => v, 1082: (v: string) => v } });
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
    location: inMemory ? 'embedded (in memory)' : `embedded (${options.dataDir})`,
    pglite,
    async listen(channel, onNotify) {
      const unsubscribe = await pglite.listen(channel, onNotify);
      return async () => unsubscribe();
    },
    listenerState: () => ({ connected: true, reconnects: 0 }),
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
