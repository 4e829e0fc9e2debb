import { afterEach, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { sql } from 'kysely';
import { registerAuditCommands } from '../../src/cli/audit-command.js';
import { appendAuditEntries } from '../../src/db/audit-log.js';
import { type DatabaseHandle, connectDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { verifyAuditEntries } from '../../src/domain/audit/verify-audit-chain.js';
import { backend, dropSchemas, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';

let database: DatabaseHandle | undefined;

afterEach(async () => {
  process.exitCode = undefined;
  if (!database) return;
  await database.close();
  await dropSchemas(database.schema);
  database = undefined;
});

async function cli(handle: DatabaseHandle, args: string[]): Promise<string> {
  const lines: string[] = [];
  const program = new Command().exitOverride();
  registerAuditCommands(program, (fn) => fn(handle), (text) => lines.push(text));
  await program.parseAsync(['node', 'ceos', ...args]);
  return lines.join('\n');
}

describe(`ceos audit (${backend})`, () => {
  it('verifies, names the first broken entry with exit code 1, and lists entries', async () => {
    const schema = uniqueSchema();
    database = await connectDatabase({ databaseUrl: testDatabaseUrl, dataDir: 'memory://', schema });
    await migrateToLatest(database.db, schema);
    const { db } = database;

    expect(await cli(database, ['audit', 'verify'])).toBe('audit log intact: 0 entries in 0 organizations');
    await appendAuditEntries(db, 'acme', [
      { actor: 'schedule', action: 'seat.added', target: 'alice', reason: 'member of team copilot' },
      { actor: 'mona', action: 'override.created', target: 'bob', reason: 'trial until March' },
      { actor: 'api-key:4', action: 'seat.cancelled', target: 'carol', reason: 'inactive 95 days' },
    ]);
    await appendAuditEntries(db, 'globex', [{ actor: 'ceos', action: 'installation.created', reason: 'app installed' }]);

    expect(await cli(database, ['audit', 'verify'])).toBe('audit log intact: 4 entries in 2 organizations');
    expect(process.exitCode).toBeUndefined();

    const table = await cli(database, ['audit', 'list', '--org', 'acme', '--limit', '2']);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^id +org +seq +time +actor +action +target +reason$/);
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/acme +3 +\S+ +api-key:4 +seat\.cancelled +carol +inactive 95 days$/);
    expect(lines[3]).toContain('override.created');

    const json = JSON.parse(await cli(database, ['audit', 'list', '--json', '--target', 'alice'])) as { seq: number; hash: string }[];
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ seq: 1, org: 'acme', actorType: 'schedule' });
    expect(json[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await cli(database, ['audit', 'list', '--org', 'nobody'])).toBe('no audit entries');
    const [newest] = JSON.parse(await cli(database, ['audit', 'list', '--json', '--limit', '1'])) as { id: string; org: string }[];
    expect(newest!.org).toBe('globex');
    const older = JSON.parse(await cli(database, ['audit', 'list', '--json', '--before', newest!.id])) as { seq: number }[];
    expect(older.map((e) => e.seq)).toEqual([3, 2, 1]);

    const [victim] = await db.selectFrom('audit_log').select('id').where('org', '=', 'acme').where('seq', '=', '2').execute();
    await db.transaction().execute(async (trx) => {
      await sql`alter table audit_log disable trigger audit_log_append_only`.execute(trx);
      await sql`update audit_log set reason = 'approved by the CTO' where org = 'acme' and seq = 2`.execute(trx);
      await sql`alter table audit_log enable trigger audit_log_append_only`.execute(trx);
    });
    const report = await cli(database, ['audit', 'verify']);
    expect(report).toContain('audit log BROKEN (3 entries in 2 organizations checked)');
    expect(report).toContain(`acme: first broken entry seq 2 (id ${victim!.id}): hash mismatch`);
    expect(process.exitCode).toBe(1);

    process.exitCode = undefined;
    expect(await cli(database, ['audit', 'verify', '--org', 'globex'])).toBe('audit log intact: 1 entry in 1 organization');
    expect(process.exitCode).toBeUndefined();
  });

  it('rejects a limit out of range and a malformed id', async () => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    registerAuditCommands(program, () => Promise.reject(new Error('must not open the database')), () => undefined);
    await expect(program.parseAsync(['node', 'ceos', 'audit', 'list', '--limit', '0'])).rejects.toThrow(/whole number from 1 to 10000/);
    await expect(program.parseAsync(['node', 'ceos', 'audit', 'list', '--before', 'abc'])).rejects.toThrow(/must be an entry id/);
  });
});

describe(`ceos audit export (${backend})`, () => {
  it("prints an organization's whole chain as JSON lines, oldest first, that verify on their own", async () => {
    const schema = uniqueSchema();
    database = await connectDatabase({ databaseUrl: testDatabaseUrl, dataDir: 'memory://', schema });
    await migrateToLatest(database.db, schema);
    const entries = Array.from({ length: 2500 }, (_, i) => ({ actor: 'schedule', action: 'seat.added', target: `user${i}`, reason: 'granted by the policy' }));
    await appendAuditEntries(database.db, 'acme', entries);
    await appendAuditEntries(database.db, 'globex', [{ actor: 'ceos', action: 'installation.created', reason: 'app installed' }]);

    const lines = (await cli(database, ['audit', 'export', '--org', 'Acme'])).split('\n');
    expect(lines).toHaveLength(2500);
    const exported = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(exported.map((e) => Number(e.seq))).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
    expect(exported.every((e) => e.org === 'acme')).toBe(true);
    // What was exported is enough to check the chain again, away from the database.
    const asEntries = exported.map((e) => ({
      id: String(e.id),
      org: String(e.org),
      seq: Number(e.seq),
      actor: String(e.actor),
      actorType: e.actor_type as 'schedule',
      action: String(e.action),
      target: (e.target as string | null) ?? null,
      reason: String(e.reason),
      details: e.details as Record<string, unknown>,
      createdAt: new Date(String(e.created_at)),
      prevHash: String(e.prev_hash),
      hash: String(e.hash),
    }));
    const last = asEntries[asEntries.length - 1]!;
    expect(verifyAuditEntries('acme', asEntries, { seq: last.seq, hash: last.hash })).toEqual({ ok: true, checked: 2500 });

    expect(await cli(database, ['audit', 'export', '--org', 'nobody'])).toBe('');
    await expect(cli(database, ['audit', 'export'])).rejects.toThrow(/--org/);
  });
});
