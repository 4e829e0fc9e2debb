// npm run bench:reconcile — one reconciliation of a large synthetic organization, end to end:
// CEOS's own reconcileOrg (GraphQL members and teams, seat pages, billing, policy, plan, apply with
// per-user records and audit) against a fake GitHub Enterprise Server over loopback, with Octokit's
// throttling and retries off. Reports the planner's time and peak RSS, GitHub requests by kind
// against the fewest possible, and the time of each phase; then runs again, which must write
// nothing. Exits non-zero when a request count is not the minimum, the second run writes, or the
// run does not do what the organization definition calls for.
//
// Options: --pglite (embedded database instead of PostgreSQL), --database-url URL
// (default $DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres), --members N --teams N
// --seats N --changes N --seed N (the synthetic organization), --planner-runs N, --snapshot-file PATH
// (keep the snapshot the planner is measured on).
import { type ChildProcess, fork } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { loadConfig } from '../src/app/config.js';
import { verifyAuditChain } from '../src/db/audit-log.js';
import { createLogger } from '../src/app/logger.js';
import { createMetrics } from '../src/app/metrics.js';
import { createProbot } from '../src/app/probot.js';
import { connectDatabase } from '../src/db/connect.js';
import { orgKey, upsertInstallation } from '../src/db/installations.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { loadSnapshot } from '../src/db/mirror.js';
import { createOverrides, listActiveOverrides, toSeatOverride } from '../src/db/overrides.js';
import type { Plan, SeatOverride } from '../src/domain/plan-types.js';
import { planWithSafeguard } from '../src/domain/planner/safeguard.js';
import { type ReconcileDeps, type ReconcileResult, reconcileOrg } from '../src/jobs/reconcile-org.js';
import { reconcileJobSchema } from '../src/jobs/reconcile-queue.js';
import type { FakeServerCommand, FakeServerReady, FakeServerSummary } from './reconcile-fake-server.js';
import { BENCH_INSTALLATION_ID, BENCH_MAX_CANCELLATIONS, POLICY_LOCATION, benchOrg, definitionDigest, directTeamMembers } from './reconcile-fake-org.js';
import { type MinimumInput, TEAMS_PER_FOLLOW_UP, minimumRequests } from './reconcile-minimums.js';
import { peakRss } from './reconcile-peak-rss.js';
import type { PlannerBenchInput, PlannerBenchResult } from './reconcile-planner.js';
import { REQUEST_KINDS, type RequestKind } from './reconcile-requests.js';
import { type RunPhases, RunTimeline } from './reconcile-timeline.js';
import { SYNTHETIC_ORG_DEFAULTS, type SyntheticOrgOptions, generateSyntheticOrg } from './synthetic-org.js';

const { values } = parseArgs({
  options: {
    pglite: { type: 'boolean', default: false },
    'database-url': { type: 'string' },
    members: { type: 'string' },
    teams: { type: 'string' },
    seats: { type: 'string' },
    changes: { type: 'string' },
    seed: { type: 'string' },
    'planner-runs': { type: 'string', default: '5' },
    'snapshot-file': { type: 'string' },
  },
});
const num = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value));
const orgOptions: SyntheticOrgOptions = {
  members: num(values.members, SYNTHETIC_ORG_DEFAULTS.members),
  teams: num(values.teams, SYNTHETIC_ORG_DEFAULTS.teams),
  seats: num(values.seats, SYNTHETIC_ORG_DEFAULTS.seats),
  changes: num(values.changes, SYNTHETIC_ORG_DEFAULTS.changes),
  seed: num(values.seed, SYNTHETIC_ORG_DEFAULTS.seed),
};
const databaseUrl = values.pglite ? undefined : (values['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');

const print = (line = '') => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`;
const ms = (value: number) => `${value.toFixed(0)} ms`;
const seconds = (value: number) => `${(value / 1000).toFixed(2)} s`;
const problems: string[] = [];
const check = (ok: boolean, problem: string) => {
  if (!ok) problems.push(problem);
};

const PLANNER_TARGET_MS = 1000;
const PLANNER_TARGET_RSS = 300 * 1_048_576;

// ---------------------------------------------------------------------------------------------
// Child processes: the fake GitHub, and the planner measured alone.

function forkBench(script: string, args: string[], execArgv: string[] = []): ChildProcess {
  return fork(new URL(script, import.meta.url).pathname, args, {
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null) => reject(new Error(`${child.spawnargs.join(' ')} exited with ${code} before sending ${type}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function ask<T extends { type: string }>(child: ChildProcess, command: FakeServerCommand, reply: T['type']): Promise<T> {
  const answer = nextMessage<T>(child, reply);
  child.send(command);
  return answer;
}

// ---------------------------------------------------------------------------------------------
// What the organization definition calls for.

/** What the benchmark holds on to from the organization definition once it has set up the run. */
interface Expectations {
  login: string;
  now: string;
  digest: string;
  policyText: string;
  members: number;
  teams: number;
  teamMemberCounts: number[];
  seats: number;
  memberships: number;
  /** Seats GitHub lists once the plan is applied (adds of people without a seat are new seats). */
  seatsAfter: number;
  adds: string[];
  cancels: string[];
  overrides: number;
}

function sortedLogins(entries: readonly { login: string }[]): string[] {
  return entries.map((e) => e.login.toLowerCase()).sort();
}

function expectationsOf(org: ReturnType<typeof generateSyntheticOrg>, overrides: SeatOverride[]): Expectations {
  const plan: Plan = planWithSafeguard({ policy: org.policy, snapshot: org.snapshot, overrides, now: org.now, membership: { complete: true, asOf: org.now } });
  const seated = new Set(org.snapshot.seats.map((s) => s.assigneeLogin.toLowerCase()));
  const teamMembers = directTeamMembers(org);
  return {
    login: org.snapshot.org,
    now: org.now,
    digest: definitionDigest(org),
    policyText: org.policyText,
    members: org.snapshot.members.length,
    teams: org.snapshot.teams.length,
    teamMemberCounts: [...teamMembers.values()].map((m) => m.length),
    seats: org.snapshot.seats.length,
    memberships: [...teamMembers.values()].reduce((sum, m) => sum + m.length, 0),
    seatsAfter: seated.size + plan.toAdd.filter((e) => !seated.has(e.login.toLowerCase())).length,
    adds: sortedLogins(plan.toAdd),
    cancels: sortedLogins(plan.toCancel),
    overrides: overrides.length,
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// ---------------------------------------------------------------------------------------------
// Setup.

const argv = process.argv.slice(2);
print(`command: npm run bench:reconcile${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`);
print(`date: ${new Date().toISOString()}`);
print(
  `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `node ${process.version}, ${os.platform()} ${os.release()}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
);

const setupStart = performance.now();
const fakeProcess = forkBench('./reconcile-fake-server.ts', [JSON.stringify(orgOptions)]);
const fakeReady = nextMessage<FakeServerReady>(fakeProcess, 'ready');
const org = benchOrg(orgOptions);

const schema = `bench_reconcile_${randomBytes(4).toString('hex')}`;
const database = await connectDatabase({ databaseUrl, dataDir: 'memory://', schema, poolSize: 10 });
// Kept when named (to profile the planner on it: tsx bench/reconcile-planner.ts FILE).
const plannerFile = values['snapshot-file'] ?? path.join(os.tmpdir(), `${schema}-snapshot.json`);
let exitCode = 1;
try {
  await migrateToLatest(database.db, schema);
  const dbVersion = database.kind === 'postgres' ? (await sql<{ v: string }>`select current_setting('server_version') as v`.execute(database.db)).rows[0]?.v : undefined;
  print(`database: ${database.kind === 'postgres' ? `PostgreSQL ${dbVersion} (${databaseUrl?.replace(/\/\/[^@]*@/, '//')}), schema ${schema}` : 'PGlite (embedded, in memory)'}`);

  const key = orgKey(org.snapshot.org);
  await upsertInstallation(
    database.db,
    {
      id: BENCH_INSTALLATION_ID,
      accountLogin: org.snapshot.org,
      accountId: 1,
      accountType: 'Organization',
      repositorySelection: 'all',
      permissions: { organization_copilot_seat_management: 'write', members: 'read', contents: 'read' },
      events: [],
    },
    'active',
  );
  await createOverrides(
    database.db,
    org.overrides.map((o) => ({ org: key, login: o.login, kind: o.kind, actor: o.actor, reason: o.reason, expiresAt: o.expiresAt === null ? null : new Date(o.expiresAt) })),
    new Date(org.now),
  );
  const storedOverrides = (await listActiveOverrides(database.db, key, new Date(org.now))).map(toSeatOverride);
  const expected = expectationsOf(org, storedOverrides);

  const ready = await fakeReady;
  check(ready.digest === expected.digest, `the fake generated a different organization (digest ${ready.digest}, expected ${expected.digest})`);
  print(
    `org: ${expected.members} members, ${expected.teams} teams (${expected.memberships} direct memberships), ${expected.seats} seats, ` +
      `${expected.overrides} active overrides; the policy calls for ${expected.adds.length} adds + ${expected.cancels.length} cancels = ` +
      `${expected.adds.length + expected.cancels.length} changes (seed ${orgOptions.seed}, definition ${expected.digest})`,
  );
  print(`fake GitHub: http://${ready.host} in its own process; setup ${seconds(performance.now() - setupStart)}`);

  // -------------------------------------------------------------------------------------------
  // CEOS as a worker runs it: Probot's Octokit for the installation, throttling and retries off.

  const timeline = new RunTimeline();
  const logLines = timeline.logDestination();
  const log = createLogger('info', logLines);
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const config = loadConfig({ APP_ID: '4242', PRIVATE_KEY: privateKey, GHE_HOST: ready.host, GHE_PROTOCOL: 'http', LOG_LEVEL: 'info' });
  const probot = await createProbot(config, () => {}, createMetrics(), log, { throttle: false });
  const octokit = await probot.auth(BENCH_INSTALLATION_ID);
  timeline.instrument(octokit);
  const deps: ReconcileDeps = {
    db: database.db,
    octokit,
    graphql: octokit.graphql as never,
    log,
    policyLocation: POLICY_LOCATION,
    batchSize: config.seatBatchSize,
    now: () => new Date(expected.now),
  };
  const job = reconcileJobSchema.parse({ org: key, installationId: BENCH_INSTALLATION_ID, trigger: 'cli', actor: 'bench', refreshGraph: true, apply: true });

  let sampledRss = 0;
  const sampler = setInterval(() => {
    sampledRss = Math.max(sampledRss, process.memoryUsage.rss());
  }, 20);

  interface RunReport {
    result: ReconcileResult;
    phases: RunPhases;
    fake: FakeServerSummary;
    minimum: Record<RequestKind, number>;
    /** Longest the event loop was held (ms): how long intake and other work would wait on this run. */
    loopDelay: { max: number };
  }

  const run = async (minimumInput: MinimumInput): Promise<RunReport> => {
    await ask(fakeProcess, { type: 'clear' }, 'cleared');
    timeline.reset();
    logLines.lines.length = 0;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const start = timeline.now();
    const result = await reconcileOrg(deps, job);
    const end = timeline.now();
    loop.disable();
    const fake = await ask<FakeServerSummary>(fakeProcess, { type: 'summary' }, 'summary');
    for (const line of logLines.lines) {
      const entry = JSON.parse(line) as { level: number; msg: string };
      if (entry.level >= 40) print(`  logged: ${line.trim()}`);
    }
    return {
      result,
      phases: timeline.phases(start, end),
      fake,
      minimum: minimumRequests(minimumInput),
      loopDelay: { max: loop.max / 1e6 },
    };
  };

  // The planner is measured on the snapshot CEOS reads from its mirror after the sync. It is read
  // when the run fetches the policy (seats stored, plan not yet made), off the run's clock.
  let captured = false;
  timeline.onRequest(async (role) => {
    if (role !== 'contents' || captured) return;
    captured = true;
    const snapshot = await loadSnapshot(database.db, key, expected.login);
    const overrides = (await listActiveOverrides(database.db, key, new Date(expected.now))).map(toSeatOverride);
    const input: PlannerBenchInput = { snapshot, overrides, policyText: expected.policyText, now: expected.now };
    writeFileSync(plannerFile, JSON.stringify(input));
  });

  const baseInput = { members: expected.members, teams: expected.teams, teamMemberCounts: expected.teamMemberCounts, batchSize: config.seatBatchSize };
  const first = await run({ ...baseInput, seats: expected.seats, adds: expected.adds.length, cancels: expected.cancels.length, tokenHeld: false });
  timeline.onRequest(undefined);

  const planner = forkBench('./reconcile-planner.ts', [plannerFile, values['planner-runs']], ['--expose-gc']);
  const plannerResult = await nextMessage<PlannerBenchResult>(planner, 'planner');

  const second = await run({ ...baseInput, seats: expected.seatsAfter, adds: 0, cancels: 0, tokenHeld: true });
  clearInterval(sampler);
  const peak = peakRss();

  // -------------------------------------------------------------------------------------------
  // Checks.

  const countProblems: string[] = [];
  const firstPlan = first.result.plan;
  check(first.result.status === 'applied', `run 1 ended ${first.result.status}, not applied`);
  check(
    firstPlan !== null && sameList(sortedLogins(firstPlan.toAdd), expected.adds) && sameList(sortedLogins(firstPlan.toCancel), expected.cancels),
    `run 1 planned ${firstPlan?.toAdd.length} adds and ${firstPlan?.toCancel.length} cancels, not the ${expected.adds.length} and ${expected.cancels.length} the definition calls for (the mirror differs from GitHub)`,
  );
  check(
    firstPlan?.safeguard?.status === 'within' && firstPlan.safeguard.limit === BENCH_MAX_CANCELLATIONS,
    `run 1's safeguard said ${firstPlan?.safeguard?.status} (limit ${firstPlan?.safeguard?.limit}), not within the explicit limit of ${BENCH_MAX_CANCELLATIONS}`,
  );
  check(plannerResult.adds === expected.adds.length && plannerResult.cancels === expected.cancels.length, 'the planner alone planned other changes than run 1');
  check(first.result.outcome?.failed.length === 0, `run 1: ${first.result.outcome?.failed.length} seat changes failed`);
  check(first.fake.requests.usernamesAdded === expected.adds.length, `run 1 sent ${first.fake.requests.usernamesAdded} usernames to add, not ${expected.adds.length}`);
  check(first.fake.requests.usernamesCancelled === expected.cancels.length, `run 1 sent ${first.fake.requests.usernamesCancelled} usernames to cancel, not ${expected.cancels.length}`);
  check(first.fake.seats.listed === expected.seatsAfter, `GitHub lists ${first.fake.seats.listed} seats after run 1, not ${expected.seatsAfter}`);
  const secondChanges = (second.result.plan?.toAdd.length ?? 0) + (second.result.plan?.toCancel.length ?? 0);
  check(secondChanges === 0, `run 2 planned ${secondChanges} changes: the first run did not converge`);
  for (const [name, r] of [['run 1', first], ['run 2', second]] as const) {
    for (const kind of REQUEST_KINDS) {
      const count = r.fake.requests.counts[kind];
      if (count > r.minimum[kind]) countProblems.push(`${name}: ${count} ${kind} requests, above the minimum ${r.minimum[kind]}`);
      if (count < r.minimum[kind]) countProblems.push(`${name}: ${count} ${kind} requests, below the minimum ${r.minimum[kind]}: data left unread?`);
    }
    check(r.fake.requests.distinctSeatPages === r.fake.requests.counts['seat pages'], `${name}: a seat page was read twice`);
    check(r.fake.requests.failures.length === 0, `${name}: requests not answered 2xx: ${r.fake.requests.failures.slice(0, 5).join(', ')}`);
    check(r.fake.requests.others.length === 0, `${name}: unexpected requests: ${r.fake.requests.others.slice(0, 5).join(', ')}`);
    check(r.fake.violations.length === 0, `${name}: fake GitHub violations: ${r.fake.violations.slice(0, 5).join('; ')}`);
  }
  // Every change applied has its audit entry, and the chain holds.
  const audited = await database.db
    .selectFrom('audit_log')
    .select(['action', (eb) => eb.fn.countAll<string>().as('n')])
    .where('org', '=', key)
    .groupBy('action')
    .execute();
  const auditCount = (action: string) => Number(audited.find((a) => a.action === action)?.n ?? 0);
  check(auditCount('seat.added') === expected.adds.length, `${auditCount('seat.added')} seat.added audit entries, not ${expected.adds.length}`);
  check(auditCount('seat.cancelled') === expected.cancels.length, `${auditCount('seat.cancelled')} seat.cancelled audit entries, not ${expected.cancels.length}`);
  const chain = await verifyAuditChain(database.db, { org: key });
  check(chain.ok, `the audit chain is broken at ${JSON.stringify(chain.firstBroken)}`);

  const secondWrites = second.fake.requests.counts['add seats (POST selected_users)'] + second.fake.requests.counts['cancel seats (DELETE selected_users)'];
  check(secondWrites === 0, `run 2 made ${secondWrites} write requests; a converged run must make none`);

  // -------------------------------------------------------------------------------------------
  // Report.

  print();
  print(`planner alone (fresh process, snapshot read from the ${database.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'} mirror after the sync, ${plannerResult.adds + plannerResult.cancels} changes):`);
  const warmMedian = plannerResult.warmMs[Math.floor(plannerResult.warmMs.length / 2)] ?? plannerResult.coldMs;
  print(`  time: ${ms(plannerResult.coldMs)} cold (first plan); warm median ${ms(warmMedian)} over ${plannerResult.warmMs.length} more`);
  print(
    `  RSS: ${mb(plannerResult.rssLoaded)} with the snapshot loaded; peak (${plannerResult.peakSource}) ${mb(plannerResult.maxRssBeforePlan)} before planning (loading), ` +
      `${mb(plannerResult.maxRssAfterPlan)} after the first plan, ${mb(plannerResult.maxRssAfterAll)} after all ${plannerResult.warmMs.length + 1} plans (garbage not yet collected)`,
  );

  print();
  print('GitHub requests (counted by the fake) against the fewest possible:');
  print(`  ${'kind'.padEnd(38)} ${'run 1'.padStart(6)} ${'min'.padStart(6)}   ${'run 2'.padStart(6)} ${'min'.padStart(6)}`);
  for (const kind of REQUEST_KINDS) {
    const cell = (r: RunReport) => `${String(r.fake.requests.counts[kind]).padStart(6)} ${String(r.minimum[kind]).padStart(6)}`;
    print(`  ${kind.padEnd(38)} ${cell(first)}   ${cell(second)}`);
  }
  const total = (r: RunReport, of: 'counts' | 'minimum') =>
    REQUEST_KINDS.reduce((sum, k) => sum + (of === 'counts' ? r.fake.requests.counts[k] : r.minimum[k]), 0);
  print(`  ${'total'.padEnd(38)} ${String(total(first, 'counts')).padStart(6)} ${String(total(first, 'minimum')).padStart(6)}   ${String(total(second, 'counts')).padStart(6)} ${String(total(second, 'minimum')).padStart(6)}`);
  print(
    `  minimum: GraphQL org pages = max(ceil(members/100), ceil(teams/100)) (teams ride along with members, each with its first 100 direct members); ` +
      `follow-ups = fewest requests for the remaining member pages of teams over 100, ${TEAMS_PER_FOLLOW_UP} teams a request; ` +
      `seat pages = ceil(seats/100); writes = ceil(adds/${config.seatBatchSize}) + ceil(cancels/${config.seatBatchSize}); 1 billing, 1 policy file, 1 token`,
  );

  print();
  print('end to end (reconcileOrg, throttling and retries off; "GitHub" = request round trips to the fake, Octokit\'s response parsing included):');
  const phaseLine = (label: string, p: { total: number; github: number }) =>
    `  ${label.padEnd(52)} ${seconds(p.total).padStart(8)}  (GitHub ${seconds(p.github)}, CEOS + database ${seconds(p.total - p.github)})`;
  for (const [name, r] of [['run 1', first], ['run 2 (converged)', second]] as const) {
    print(`  ${name}: ${r.result.status}, ${r.result.plan?.toAdd.length ?? 0} added, ${r.result.plan?.toCancel.length ?? 0} cancelled; fake GitHub CPU ${seconds(r.fake.cpuMs)}`);
    print(phaseLine('sync graph (GraphQL + mirror write)', r.phases.syncGraph));
    print(phaseLine('sync seats (seat pages + billing + mirror write)', r.phases.syncSeats));
    print(phaseLine('plan (policy, mirror read, planner, plan stored)', r.phases.plan));
    print(phaseLine('apply (writes, per-user records, audit, mirror)', r.phases.apply));
    print(`  ${'total'.padEnd(52)} ${seconds(r.phases.total).padStart(8)}`);
    print(`  ${'longest the event loop was held'.padEnd(52)} ${ms(r.loopDelay.max).padStart(8)}`);
  }
  print(`  audit log: ${audited.map((a) => `${a.n} ${a.action}`).join(', ')}; hash chain ${chain.ok ? 'verified' : 'BROKEN'} (${chain.checked} entries)`);
  print(`  CEOS process: peak RSS ${mb(Math.max(sampledRss, peak.bytes))} (sampled every 20 ms ${mb(sampledRss)}, ${peak.source} ${mb(peak.bytes)}; holds the organization definition too)`);

  print();
  const plannerTimeMet = plannerResult.coldMs < PLANNER_TARGET_MS;
  const plannerRssMet = plannerResult.maxRssAfterPlan < PLANNER_TARGET_RSS;
  const countsMet = countProblems.length === 0;
  problems.push(...countProblems);
  print('targets:');
  print(`  planner under 1 s: ${plannerTimeMet ? 'met' : 'NOT MET'} (${ms(plannerResult.coldMs)} cold)`);
  print(`  planner under 300 MB RSS: ${plannerRssMet ? 'met' : 'NOT MET'} (peak ${mb(plannerResult.maxRssAfterPlan)})`);
  print(`  request counts at the minimum: ${countsMet ? 'met' : 'NOT MET'}`);
  print(`  converged run makes no write: ${secondWrites === 0 ? 'met' : 'NOT MET'} (${secondWrites} writes)`);
  print(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (problems.length > 0) {
    print();
    print('FAILED CHECKS:');
    for (const p of problems) print(`  - ${p}`);
  }
  exitCode = problems.length === 0 ? 0 : 1;
} finally {
  if (values['snapshot-file'] === undefined) rmSync(plannerFile, { force: true });
  if (database.kind === 'postgres') await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
  await database.close();
  if (fakeProcess.connected) {
    const exited = new Promise((resolve) => fakeProcess.once('exit', resolve));
    fakeProcess.send({ type: 'close' } satisfies FakeServerCommand);
    await exited;
  }
}
process.exit(exitCode);
