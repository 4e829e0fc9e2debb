import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { Probot } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/db/connect.js';
import { insertDeliveries } from '../../src/db/deliveries.js';
import { pendingMigrations } from '../../src/db/migrate.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { runCli } from '../helpers/cli.js';
import { backend, cliDatabase } from '../helpers/database.js';
import { deliveryRow, waitForDeliveryStatus } from '../helpers/deliveries.js';

const STACK_FRAME = /^\s+at /m;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function freshDatabase() {
  return cliDatabase((cleanup) => cleanups.push(cleanup));
}

const payloads = {
  ping: { zen: 'Design for failure.', hook_id: 1 },
  member: { action: 'member_added', organization: { login: 'Acme', id: 900 }, membership: { user: { login: 'bob', id: 2 }, role: 'member' }, sender: { login: 'alice' } },
  team: { action: 'created', organization: { login: 'Acme', id: 900 }, team: { slug: 'eng', id: 7, name: 'Eng' }, sender: { login: 'alice' } },
};

/** Three deliveries: an old processed ping, a dead member_added, a new received team.created. */
async function seed(open: () => ReturnType<ReturnType<typeof freshDatabase>['open']>) {
  const database = await open();
  try {
    const rows = [
      { id: 'guid-ping', event: 'ping', action: null, org: null, sender: null, payload: payloads.ping },
      { id: 'guid-member', event: 'organization', action: 'member_added', org: 'Acme', sender: 'alice', payload: payloads.member },
      { id: 'guid-team', event: 'team', action: 'created', org: 'Acme', sender: 'alice', payload: payloads.team },
    ];
    await insertDeliveries(
      database.db,
      rows.map((r) => ({ ...r, installationId: null, repository: null, payload: JSON.stringify(r.payload), receivedAt: new Date() })),
    );
    await sql`update deliveries set received_at = now() - interval '3 hours', status = 'processed', attempts = 1, processed_at = now()
               where id = 'guid-ping'`.execute(database.db);
    await sql`update deliveries set received_at = now() - interval '2 hours', status = 'dead', attempts = 8,
                                    last_error = 'upstream unavailable (HTTP 502)'
               where id = 'guid-member'`.execute(database.db);
    await sql`update deliveries set received_at = now() - interval '1 hour' where id = 'guid-team'`.execute(database.db);
  } finally {
    await database.close();
  }
}

describe(`ceos CLI: migrate and deliveries (${backend})`, () => {
  it('migrate brings a new database to the latest schema, and says so again when it is current', async () => {
    const { env, schema, open } = freshDatabase();
    const first = await runCli(['migrate'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`database ${backend}, schema ${schema}: migrations are current\n`);
    const database = await open();
    try {
      expect(await pendingMigrations(database.db, schema)).toEqual([]);
      expect(await database.db.selectFrom('deliveries').selectAll().execute()).toEqual([]);
    } finally {
      await database.close();
    }
    const again = await runCli(['migrate'], env);
    expect(again.code).toBe(0);
  });

  it('lists deliveries as a table, newest first, and as JSON, filtered by status, event and count', async () => {
    const { env, open } = freshDatabase();
    await seed(open);

    const table = await runCli(['deliveries', 'list'], env);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id +event +action +org +status +attempts +received$/);
    expect(lines[1]).toMatch(/^-+ +-+/);
    expect(lines).toHaveLength(5);
    expect(lines[2]).toMatch(/^guid-team +team +created +Acme +received +0 +\d{4}-\d\d-\d\dT/);
    expect(lines[3]).toMatch(/^guid-member +organization +member_added +Acme +dead +8 /);
    expect(lines[4]).toMatch(/^guid-ping +ping +processed +1 /);

    const json = await runCli(['deliveries', 'list', '--json'], env);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(rows.map((r) => r.id)).toEqual(['guid-team', 'guid-member', 'guid-ping']);
    expect(rows[1]).toMatchObject({ event: 'organization', status: 'dead', attempts: 8, last_error: 'upstream unavailable (HTTP 502)', org: 'Acme' });
    expect(rows[0]).not.toHaveProperty('payload');

    const dead = JSON.parse((await runCli(['deliveries', 'list', '--json', '--status', 'dead'], env)).stdout) as { id: string }[];
    expect(dead.map((r) => r.id)).toEqual(['guid-member']);
    const teams = JSON.parse((await runCli(['deliveries', 'list', '--json', '--event', 'team'], env)).stdout) as { id: string }[];
    expect(teams.map((r) => r.id)).toEqual(['guid-team']);
    const newest = JSON.parse((await runCli(['deliveries', 'list', '--json', '--limit', '1'], env)).stdout) as { id: string }[];
    expect(newest.map((r) => r.id)).toEqual(['guid-team']);
    expect((await runCli(['deliveries', 'list', '--status', 'failed'], env)).stdout).toBe('no deliveries\n');
  });

  it('refuses an unknown --status with the allowed choices', async () => {
    const { env } = freshDatabase();
    const result = await runCli(['deliveries', 'list', '--status', 'stuck'], env);
    expect(result.code).toBe(2); // a usage mistake
    expect(result.stderr).toContain("argument 'stuck' is invalid");
    expect(result.stderr).toContain('received, processing, processed, failed, dead');
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('shows one delivery with its payload', async () => {
    const { env, open } = freshDatabase();
    await seed(open);
    const result = await runCli(['deliveries', 'show', 'guid-member'], env);
    expect(result.code).toBe(0);
    const shown = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ id: 'guid-member', event: 'organization', action: 'member_added', status: 'dead', attempts: 8 });
    expect(shown.payload).toEqual(payloads.member);
  });

  it('replays a dead delivery: it goes back to received, and an instance then processes it', async () => {
    const { env, schema, dataDir, open } = freshDatabase();
    await seed(open);
    const result = await runCli(['deliveries', 'replay', 'guid-member'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('delivery guid-member queued for processing\n');

    const database = await open();
    try {
      expect(await deliveryRow(database.db, 'guid-member')).toMatchObject({
        status: 'received',
        attempts: 0,
        last_error: null,
        claimed_by: null,
        processed_at: null,
      });
      // The processed ping is untouched.
      expect((await deliveryRow(database.db, 'guid-ping'))?.status).toBe('processed');
    } finally {
      await database.close();
    }

    const handled: string[] = [];
    const instance: TestCeos = await startTestCeos(
      { DATABASE_SCHEMA: schema, CEOS_DATA_DIR: dataDir },
      { extraHandlers: (app: Probot) => app.on('organization', async (context) => void handled.push(context.id)) },
    );
    cleanups.push(() => instance.close());
    const row = await waitForDeliveryStatus(instance.database.db, 'guid-member', 'processed');
    expect(row.attempts).toBe(1);
    expect(handled).toEqual(['guid-member']);
  });

  it('replays a processed delivery too', async () => {
    const { env, open } = freshDatabase();
    await seed(open);
    expect((await runCli(['deliveries', 'replay', 'guid-ping'], env)).code).toBe(0);
    const database = await open();
    try {
      expect(await deliveryRow(database.db, 'guid-ping')).toMatchObject({ status: 'received', attempts: 0, processed_at: null });
    } finally {
      await database.close();
    }
  });

  it.each([['show'], ['replay']])('%s of an unknown GUID exits 1 with a clear message and no stack trace', async (command) => {
    const { env } = freshDatabase();
    expect((await runCli(['migrate'], env)).code).toBe(0);
    const result = await runCli(['deliveries', command, 'no-such-guid'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('ceos: no delivery no-such-guid\n');
  });

  it('exits 1 naming a bad environment variable, with no stack trace', async () => {
    const { env } = freshDatabase();
    const result = await runCli(['deliveries', 'list'], { ...env, PORT: 'eighty', DATABASE_SCHEMA: 'Not-An-Identifier' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ceos: Invalid configuration:\n/);
    expect(result.stderr).toContain('  PORT: ');
    expect(result.stderr).toContain('  DATABASE_SCHEMA: ');
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('exits 1 with a clear message when PostgreSQL cannot be reached', async () => {
    const { env } = freshDatabase();
    const result = await runCli(['deliveries', 'list'], { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ceos: cannot connect to PostgreSQL at postgres@127.0.0.1:1\/postgres \(DATABASE_URL\): the connection was refused/);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });
});

describe('ceos CLI on the embedded database in use', () => {
  it('exits 1 with a clear message while another live process has the data directory open', async () => {
    const { env, dataDir, schema } = freshDatabase();
    // This test process is the other live process.
    const holder = await connectDatabase({ databaseUrl: undefined, dataDir, schema });
    cleanups.push(() => holder.close());
    const result = await runCli(['deliveries', 'list'], { ...env, DATABASE_URL: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `ceos: the embedded database in ${dataDir} is in use by process ${process.pid}; stop it first, or use a PostgreSQL server (DATABASE_URL)\n`,
    );
  });

  it('takes over the lock a killed process left behind', async () => {
    const { env, dataDir } = freshDatabase();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(path.join(dataDir, 'ceos.lock'), gone.stdout);
    const result = await runCli(['migrate'], { ...env, DATABASE_URL: '' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
