import { afterEach, describe, expect, it } from 'vitest';
import { listAuditEntries } from '../../src/db/audit-log.js';
import { insertDeliveries } from '../../src/db/deliveries.js';
import { seedOrg } from '../helpers/api.js';
import { runCli } from '../helpers/cli.js';
import { backend, cliDatabase } from '../helpers/database.js';

const STACK_FRAME = /^\s+at /m;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe(`ceos keys, seats, plan and overrides (${backend})`, () => {
  it('creates, lists and revokes keys, lists seats, dry-runs a plan and manages overrides, with exit codes scripts can trust', async () => {
    const { env, open } = cliDatabase((cleanup) => cleanups.push(cleanup));
    const database = await open();
    try {
      await seedOrg(database.db, 'Acme', 1);
      await insertDeliveries(database.db, [
        { id: 'dead-1', event: 'organization', action: 'member_added', installationId: 1, org: 'acme', repository: null, sender: 'octocat', payload: '{}', receivedAt: new Date() },
      ]);
      await database.db.updateTable('deliveries').set({ status: 'dead', attempts: 8 }).execute();
    } finally {
      await database.close();
    }

    const created = await runCli(['keys', 'create', '--role', 'viewer', '--org', 'Acme', '--expires', '90d', '--name', 'dash', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; orgs: string[]; role: string };
    expect(key).toMatchObject({ role: 'viewer', orgs: ['acme'] });
    expect(key.key).toMatch(/^ceos_/);
    const list = await runCli(['keys', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(key.id);
    expect(list.stdout).not.toContain(key.key);
    expect((await runCli(['keys', 'revoke', key.id], env)).code).toBe(0);
    const again = await runCli(['keys', 'revoke', key.id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/revoked already/);
    expect(again.stderr).not.toMatch(STACK_FRAME);

    const seats = await runCli(['seats', 'acme', '--inactive', '30', '--json'], env);
    expect(seats.code, seats.stderr).toBe(0);
    expect((JSON.parse(seats.stdout) as { login: string }[]).map((s) => s.login)).toEqual(['bob']);
    const team = await runCli(['seats', 'acme', '--team', 'eng'], env);
    expect(team.stdout).toMatch(/alice[\s\S]*bob/);
    expect((await runCli(['seats', 'acme', '--team', 'nope'], env)).code).toBe(1);

    const plan = await runCli(['plan', 'acme', '--json'], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as { toCancel: { login: string }[] }).toCancel.map((e) => e.login)).toEqual(['bob', 'dave']);

    const add = await runCli(['overrides', 'add', 'acme', 'carol', '--kind', 'grant', '--reason', 'pilot', '--json'], env);
    expect(add.code, add.stderr).toBe(0);
    const [override] = JSON.parse(add.stdout) as { id: string }[];
    expect((await runCli(['overrides', 'list', 'acme'], env)).stdout).toContain(override!.id);
    expect((await runCli(['overrides', 'lift', 'acme', override!.id], env)).code).toBe(0);
    expect((await runCli(['overrides', 'lift', 'acme', override!.id], env)).code).toBe(1);

    const redrive = await runCli(['deliveries', 'redrive', '--org', 'Acme', '--json'], env);
    expect(redrive.code, redrive.stderr).toBe(0);
    expect(JSON.parse(redrive.stdout)).toEqual({ ids: ['dead-1'], more: false });

    // Usage mistakes exit 2.
    expect((await runCli(['keys', 'create', '--role', 'root'], env)).code).toBe(2);
    expect((await runCli(['seats'], env)).code).toBe(2);
    expect((await runCli(['seats', 'no-such-org'], env)).code).toBe(1);

    const check = await open();
    try {
      const keyAudit = await listAuditEntries(check.db, { org: '_ceos', limit: 10 });
      expect(keyAudit.map((e) => `${e.action}:${e.actor}`).reverse()).toEqual(['api_key.created:cli', 'api_key.revoked:cli']);
      const orgAudit = await listAuditEntries(check.db, { org: 'acme', limit: 10 });
      expect(orgAudit.map((e) => `${e.action}:${e.actor}`).reverse()).toEqual(['override.created:cli', 'override.lifted:cli', 'dead_letters.redriven:cli']);
      expect((await check.db.selectFrom('deliveries').select('status').executeTakeFirstOrThrow()).status).toBe('received');
    } finally {
      await check.close();
    }
  }, 120_000);
});
