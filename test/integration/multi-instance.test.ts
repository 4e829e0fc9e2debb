import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { testPrivateKey } from '../helpers/app-key.js';
import { TEST_SECRET } from '../helpers/ceos.js';
import { cliDatabase, testDatabaseUrl } from '../helpers/database.js';
import { type Instances, startInstances } from '../helpers/instances.js';
import { installationEvent, memberEvent, teamMembershipEvent } from '../helpers/payloads.js';
import { sendWebhook } from '../helpers/webhooks.js';

const ACME = { login: 'Acme', installationId: 77, accountId: 9001 };
const POLICY = `version: 1
mode: enforce
seats:
  grant:
    teams: [engineering]
`;
const users = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `u${String(from + i).padStart(2, '0')}`);

const cleanups: (() => Promise<void>)[] = [];
let cluster: Instances | undefined;
let fake: FakeGitHub | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await fake?.close();
  fake = undefined;
});

/** Sends a delivery through the proxy; a 5xx or a refused connection is sent again with the same GUID, as GitHub redelivers. */
async function deliver(url: string, event: string, payload: unknown, id?: string): Promise<{ status: number; id: string }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const sent = await sendWebhook(url, { event, payload, ...(id ? { id } : {}) });
      id = sent.id;
      if (sent.status < 500 || attempt >= 5) return sent;
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

/** Runs `tasks` with at most `width` at once. */
async function pool<T>(tasks: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await tasks[index]!();
      }
    }),
  );
  return results;
}

describe.skipIf(!testDatabaseUrl)('three instances on one PostgreSQL schema (postgres)', () => {
  it('share intake, deliveries, reconciliation and schedules behind round-robin, one of them SIGKILLed mid-run: nothing answered is lost, the org converges, no seat is written twice', async () => {
    fake = await startFakeGitHub();
    const github = fake;
    github.addOrg({
      login: 'Acme',
      id: 9001,
      members: [{ login: 'owner', role: 'admin' }, ...users(1, 30).map((login) => ({ login }))],
      teams: [{ slug: 'engineering', members: users(1, 8) }],
      seats: [...users(1, 6), 'u21', 'u22'].map((login) => ({ login, lastActivityAt: new Date().toISOString() })),
      billing: { seatManagementSetting: 'assign_selected' },
    });
    github.addInstallation({ id: 77, account: 'Acme' });
    github.addRepo({ owner: 'Acme', name: '.github' });
    github.putFile({ owner: 'Acme', repo: '.github', path: '.github/copilot-policy.yml', content: POLICY });

    const database = cliDatabase((cleanup) => cleanups.push(cleanup));
    cluster = await startInstances(3, {
      ...database.env,
      APP_ID: '4242',
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET: TEST_SECRET,
      GHE_HOST: github.host,
      GHE_PROTOCOL: 'http',
      LOG_LEVEL: 'info',
      // A killed instance's claimed deliveries are taken over after 5 s rather than 30.
      CEOS_DELIVERY_LEASE_SECONDS: '5',
      // One person per seat request, so a repeated write shows as a person written twice.
      CEOS_SEAT_BATCH_SIZE: '1',
      // Writes a fifth of a second apart (the shared limiter's spacing) keep the applies short.
      CEOS_GITHUB_WRITE_INTERVAL_MS: '200',
      CEOS_USAGE_COLLECTION: 'false',
    });
    const { proxy } = cluster;
    const db = (await database.open()).db;
    cleanups.push(async () => db.destroy());
    const answered: string[] = [];
    const record = (sent: { status: number; id: string }) => {
      if (sent.status >= 200 && sent.status < 300) answered.push(sent.id);
      return sent;
    };
    const orgPlans = () => db.selectFrom('plans').selectAll().where('org', '=', 'acme').orderBy('created_at').execute();

    // The installation: a full sync and a reconciliation (adds u07 and u08, cancels u21 and u22).
    expect(record(await deliver(proxy.url, 'installation', installationEvent('created', ACME))).status).toBe(202);
    await vi.waitFor(async () => expect((await orgPlans()).filter((p) => p.finished_at !== null)).toHaveLength(1), { timeout: 60_000, interval: 200 });

    // The burst: GitHub's state changes, then its webhooks arrive, among 1,500 other deliveries.
    const idOf = (login: string) => github.org('Acme')!.member(login)!.user.id;
    const engineering = { slug: 'engineering', id: github.org('Acme')!.team('engineering')!.id };
    const membership: { event: string; payload: unknown }[] = [];
    for (const login of users(31, 35)) {
      github.org('Acme')!.addMember(login);
      membership.push({ event: 'organization', payload: memberEvent('member_added', ACME, { login, id: idOf(login) }) });
    }
    for (const login of [...users(9, 12), ...users(31, 33)]) {
      github.org('Acme')!.addTeamMember('engineering', login);
      membership.push({ event: 'membership', payload: teamMembershipEvent('added', ACME, engineering, { login, id: idOf(login) }) });
    }
    for (const login of users(1, 2)) {
      github.org('Acme')!.removeTeamMember('engineering', login);
      membership.push({ event: 'membership', payload: teamMembershipEvent('removed', ACME, engineering, { login, id: idOf(login) }) });
    }
    const leaver = { login: 'u30', id: idOf('u30') };
    github.org('Acme')!.removeMember('u30');
    membership.push({ event: 'organization', payload: memberEvent('member_removed', ACME, leaver) });

    const others = Array.from({ length: 1500 }, (_, i) => ({ event: 'ping', payload: { zen: `Keep it logically awesome ${i}.`, hook_id: 1 } }));
    // Membership webhooks spread through the others, in the order GitHub sent them.
    const burst = others.flatMap((delivery, i) => (i % 60 === 0 && membership[i / 60] ? [membership[i / 60]!, delivery] : [delivery]));
    const killed = 1;
    let killedAt: Date | undefined;
    const tasks = burst.map((delivery, i) => async () => {
      // One instance dies mid-burst, with deliveries claimed and requests in flight.
      if (i === Math.floor(burst.length / 2) && !killedAt) {
        killedAt = new Date();
        expect(await cluster!.kill(killed)).toEqual({ code: null, signal: 'SIGKILL' });
      }
      return record(await deliver(proxy.url, delivery.event, delivery.payload));
    });
    const results = await pool(tasks, 16);
    // 202, or 200 for a GUID sent again after its first answer was lost with the killed instance.
    expect(results.filter((r) => r.status !== 202 && r.status !== 200)).toEqual([]);
    expect(proxy.targets).toHaveLength(2);

    // Every delivery answered 2xx is processed, those of the killed instance by the others.
    await vi.waitFor(
      async () => {
        const left = await db.selectFrom('deliveries').select(['id', 'status']).where('status', '!=', 'processed').execute();
        expect(left).toEqual([]);
      },
      { timeout: 60_000, interval: 250 },
    );
    const stored = await db.selectFrom('deliveries').select(['id', 'claimed_by']).execute();
    expect(new Set(stored.map((r) => r.id))).toEqual(new Set(answered));
    expect(stored).toHaveLength(new Set(answered).size);

    // The burst's changes wait in one debounced run (30 s after the first): start it now rather
    // than wait out the debounce, as a test's time is short.
    await sql`update ${sql.table(`${database.schema}_jobs.job`)} set start_after = now()
              where name = 'reconcile-org' and singleton_key = 'debounce:acme' and state = 'created'`.execute(db);

    // The org converges: the seats are what the policy wants, and the mirror is GitHub's state.
    const wanted = [...users(3, 12), ...users(31, 33)].sort();
    const heldSeats = () =>
      github
        .orgState('Acme')
        .seats.filter((s) => !s.pendingCancellationDate)
        .map((s) => s.login)
        .sort();
    try {
      // Usually seconds. When the kill caught a reconciliation of the org, that run holds the org's
      // group until pg-boss sees its heartbeat stop (30 s, checked by its supervision) and its retry
      // (30 s later) runs: the bound allows for that path too.
      await vi.waitFor(() => expect(heldSeats()).toEqual(wanted), { timeout: 150_000, interval: 250 });
    } catch (error) {
      const { rows } = await sql`select name, state, created_on, started_on, completed_on, start_after, singleton_key, data from ${sql.table(`${database.schema}_jobs.job`)} where name like 'reconcile%' order by created_on`.execute(db);
      // What the cluster was doing, to tell a slow convergence from a lost change.
      const state = JSON.stringify({ killedAt, plans: (await orgPlans()).map((p) => ({ trigger: p.trigger, status: p.status, adds: p.adds, cancels: p.cancels, created: p.created_at, finished: p.finished_at })), jobs: rows, seatWrites: github.requests.filter((r) => r.path.endsWith('/copilot/billing/selected_users')).map((r) => ({ method: r.method, status: r.status, at: r.at, body: r.body })), logs: cluster!.processes.flatMap((p, i) => p.lines.filter((l) => Number(l.level) >= 40 || /reconcil|plan/.test(String(l.msg))).map((l) => ({ i, ...l }))) }, null, 1);
      throw new Error(`${(error as Error).message}\n${state}`);
    }
    await vi.waitFor(async () => expect((await orgPlans()).every((p) => p.finished_at !== null)).toBe(true), { timeout: 30_000, interval: 250 });
    const state = github.orgState('Acme');
    const members = await db.selectFrom('org_members').select('login').where('org', '=', 'acme').where('present', '=', true).execute();
    expect(members.map((m) => m.login).sort()).toEqual(state.members.map((m) => m.login).sort());
    const teamMembers = await db
      .selectFrom('org_team_members')
      .select('login')
      .where('org', '=', 'acme')
      .where('team_slug', '=', 'engineering')
      .where('present', '=', true)
      .execute();
    expect(teamMembers.map((m) => m.login).sort()).toEqual(state.teams.find((t) => t.slug === 'engineering')!.members.slice().sort());

    // No seat write was sent twice for anyone, whichever instance sent it.
    const writes = github.requests
      .filter((r) => r.path.endsWith('/copilot/billing/selected_users'))
      .flatMap((r) => ((r.body as { selected_usernames: string[] }).selected_usernames ?? []).map((login) => `${r.method} ${login}`));
    expect(writes.filter((w, i) => writes.indexOf(w) !== i)).toEqual([]);
    expect(writes.sort()).toEqual(
      [...['u07', 'u08', ...users(9, 12), ...users(31, 33)].map((l) => `POST ${l}`), ...['u21', 'u22', ...users(1, 2)].map((l) => `DELETE ${l}`)].sort(),
    );

    // One reconciliation of the org at a time: no two runs' plans overlap.
    const plans = await orgPlans();
    expect(plans.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < plans.length; i++) {
      expect(plans[i]!.created_at.getTime()).toBeGreaterThanOrEqual(plans[i - 1]!.finished_at!.getTime());
    }

    // Schedules fire once per cluster: the every-minute sweeper has at most one job per minute.
    const { rows: sweeps } = await sql<{ minute: Date; jobs: number }>`
      select date_trunc('minute', created_on) as minute, count(*)::int as jobs
      from ${sql.table(`${database.schema}_jobs.job`)} where name = 'settle-plans' group by 1`.execute(db);
    expect(sweeps.every((s) => s.jobs === 1)).toBe(true);
  }, 330_000);
});
