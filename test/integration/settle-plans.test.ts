import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifyAuditChain } from '../../src/db/audit-log.js';
import { connectDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { testPrivateKey } from '../helpers/app-key.js';
import { TEST_SECRET } from '../helpers/ceos.js';
import { type CeosProcess, killProcesses, runCli, spawnCeosProcess } from '../helpers/cli.js';
import { backend, dropSchemas, testDatabaseUrl, uniqueSchema } from '../helpers/database.js';
import { installationEvent } from '../helpers/payloads.js';
import { sendWebhook } from '../helpers/webhooks.js';

const children: CeosProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
let fake: FakeGitHub | undefined;
afterEach(async () => {
  await killProcesses(children);
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await fake?.close();
  fake = undefined;
});

const POLICY = `version: 1
mode: enforce
seats:
  grant:
    users: [alice, carol]
`;

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();

describe(`settling a plan a killed process left applying (${backend})`, () => {
  it('a process killed between a seat request and its commit: after a restart the plan is settled and audited, and the chain verifies', { timeout: 300_000 }, async () => {
    fake = await startFakeGitHub();
    const github = fake;
    github.addOrg({
      login: 'Acme',
      members: [{ login: 'alice', role: 'admin' }, { login: 'bob' }, { login: 'carol' }],
      teams: [],
      seats: [{ login: 'bob', createdAt: daysAgo(40), lastActivityAt: daysAgo(2) }],
      billing: { seatManagementSetting: 'assign_selected' },
    });
    github.addInstallation({ id: 77, account: 'Acme' });
    github.addRepo({ owner: 'Acme', name: '.github' });
    github.putFile({ owner: 'Acme', repo: '.github', path: '.github/copilot-policy.yml', content: POLICY });

    const schema = uniqueSchema();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ceos-settle-'));
    cleanups.push(async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await dropSchemas(schema);
    });
    const env = {
      APP_ID: '4242',
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET: TEST_SECRET,
      GHE_HOST: github.host,
      GHE_PROTOCOL: 'http',
      LOG_LEVEL: 'info',
      DATABASE_URL: testDatabaseUrl ?? '',
      DATABASE_SCHEMA: schema,
      CEOS_DATA_DIR: dataDir,
    };
    const start = async () => {
      const child = spawnCeosProcess(env);
      children.push(child);
      await child.waitForLine((line) => line.msg === 'CEOS is listening');
      return child;
    };
    /** Reads the database once no process holds it (the embedded one allows a single process). */
    const inspect = async <T>(fn: (db: Awaited<ReturnType<typeof connectDatabase>>['db']) => Promise<T>): Promise<T> => {
      const database = await connectDatabase({ databaseUrl: testDatabaseUrl, dataDir, schema });
      try {
        await migrateToLatest(database.db, schema);
        return await fn(database.db);
      } finally {
        await database.close();
      }
    };

    // GitHub carries the seat assignment out at once but answers only after two minutes: the
    // process is killed while it waits, so the seats changed and nothing recorded it.
    github.delay({ method: 'POST', pathPattern: '/orgs/{org}/copilot/billing/selected_users', ms: 120_000 });
    const first = await start();
    await sendWebhook(first.url, { event: 'installation', payload: installationEvent('created', { login: 'Acme', installationId: 77 }) });
    await vi.waitFor(() => expect(github.requests.some((r) => r.method === 'POST' && r.path.endsWith('/copilot/billing/selected_users'))).toBe(true), {
      timeout: 60_000,
      interval: 20,
    });
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(github.orgState('Acme').seats.map((s) => s.login).sort()).toEqual(['alice', 'bob', 'carol']);

    const stranded = await inspect(async (db) => {
      const plan = await db.selectFrom('plans').select(['id', 'status', 'job_id']).where('status', '=', 'applying').executeTakeFirstOrThrow();
      const changes = await db.selectFrom('plan_changes').select(['login', 'op', 'status']).where('plan_id', '=', plan.id).orderBy('login_key').execute();
      const added = await db.selectFrom('audit_log').select('target').where('action', '=', 'seat.added').execute();
      return { plan, changes, added };
    });
    expect(stranded.plan.job_id).not.toBeNull();
    expect(stranded.changes).toEqual([
      { login: 'alice', op: 'add', status: 'pending' },
      { login: 'bob', op: 'cancel', status: 'done' },
      { login: 'carol', op: 'add', status: 'pending' },
    ]);
    expect(stranded.added).toEqual([]);

    github.delay({ method: 'POST', pathPattern: '/orgs/{org}/copilot/billing/selected_users', ms: 0 });
    const writesBefore = github.requests.filter((r) => r.path.endsWith('/copilot/billing/selected_users')).length;
    const second = await start();
    const settled = await second.waitForLine((line) => line.msg === 'abandoned plan settled', 240_000);
    expect(settled).toMatchObject({ planId: stranded.plan.id, status: 'applied', added: 2, cancelled: 1, failed: 0 });
    // The sweeper, or the killed run's retry before it plans: whichever comes first settles it, once.
    expect(['sweeper', 'run']).toContain(settled.by);
    // Any later run plans against GitHub's real seats, which already hold the assignment.
    await second.waitForLine((line) => line.msg === 'reconciliation finished' && line.planId !== stranded.plan.id, 240_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.lines.filter((line) => line.msg === 'abandoned plan settled')).toHaveLength(1);
    expect(github.requests.filter((r) => r.path.endsWith('/copilot/billing/selected_users')).length).toBe(writesBefore);

    await inspect(async (db) => {
      const plan = await db.selectFrom('plans').select(['status', 'finished_at']).where('id', '=', stranded.plan.id).executeTakeFirstOrThrow();
      expect(plan.status).toBe('applied');
      expect(plan.finished_at).not.toBeNull();
      const entries = await db
        .selectFrom('audit_log')
        .select(['action', 'target', 'details', 'idempotency_key'])
        .where('action', 'in', ['seat.added', 'seat.cancelled', 'seat.change_failed', 'reconciliation.applied'])
        .orderBy('seq')
        .execute();
      expect(entries.map((e) => [e.action, e.target, (e.details as { settled?: boolean }).settled ?? false])).toEqual([
        ['seat.cancelled', 'bob', false],
        ['seat.added', 'alice', true],
        ['seat.added', 'carol', true],
        ['reconciliation.applied', stranded.plan.id, true],
      ]);
      expect(entries[1]!.idempotency_key).toBe(`seat:${stranded.plan.id}:add:alice`);
      expect((await verifyAuditChain(db)).ok).toBe(true);
    });
    const verify = await runCli(['audit', 'verify'], env);
    expect(verify.stdout, verify.stderr).toMatch(/audit log intact/);
    expect(verify.code).toBe(0);
    expect(github.violations).toEqual([]);
  });
});
