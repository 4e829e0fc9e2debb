import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { signBody } from '../../src/intake/verify-signature.js';
import { TEST_SECRET } from './ceos.js';
import { testDatabaseUrl } from './database.js';

/**
 * A PostgreSQL database of its own for fault tests, so terminating "every backend of the
 * database" hits only this test's instances, never other tests sharing the server. The admin
 * connection stays on the server's default database.
 */
export async function faultDatabase() {
  if (!testDatabaseUrl) throw new Error('fault tests need DATABASE_URL');
  const name = `ceos_fault_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    admin,
    /** Terminates every backend of the database; resolves to how many there were. */
    async terminateAll(): Promise<number> {
      const result = await admin.query<{ pid: number }>(
        'select pid, pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [name],
      );
      return result.rows.length;
    },
    /** Makes the database refuse (or accept again) every new connection, superusers' too. */
    async allowConnections(allow: boolean): Promise<void> {
      await admin.query(`alter database ${name} with allow_connections ${allow}`);
    },
    /** Names of the backends connected to the database, by application name. */
    async backends(): Promise<string[]> {
      const result = await admin.query<{ application_name: string }>(
        'select application_name from pg_stat_activity where datname = $1 order by 1',
        [name],
      );
      return result.rows.map((r) => r.application_name);
    },
    async drop(): Promise<void> {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** The answer to one signed delivery, with the headers a 503 carries. */
export interface DeliveryAnswer {
  id: string;
  status: number;
  code?: string;
  retryAfter: string | null;
  ms: number;
}

/** Sends one signed delivery the way GitHub does and reads its answer (status, error code, Retry-After). */
export async function sendSigned(baseUrl: string, id: string, event: string, body: string): Promise<DeliveryAnswer> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/test',
      'x-github-event': event,
      'x-github-delivery': id,
      'x-hub-signature-256': signBody(body, TEST_SECRET),
    },
    body,
  });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as { error?: { code?: string } }) : {};
  return { id, status: response.status, code: parsed.error?.code, retryAfter: response.headers.get('retry-after'), ms: performance.now() - started };
}
