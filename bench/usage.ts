// `npm run bench:usage`: the usage collection at scale. 28 days of GitHub's users reports for an
// organization with 20,000 active users (560,000 user-day rows), with the user-teams and
// organization reports beside them, served by the fake GitHub in a process of its own over
// loopback and collected by the product's own job code into PostgreSQL. Reports rows stored per
// second and the peak RSS growth of the collecting process; a later section may time queries on
// the data seeded by `seedUsageHistory`.
//
//   npm run bench:usage [-- --users=20000 --days=28 --files=2 --database-url=postgres://…]
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { ProbotOctokit } from 'probot';
import { connectDatabase } from '../src/db/connect.js';
import { upsertInstallation } from '../src/db/installations.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { Database } from '../src/db/schema.js';
import { USER_DAY_BATCH, insertUserDays, upsertReportDay } from '../src/db/usage-writes.js';
import { addDays, utcDay } from '../src/domain/usage/collection-days.js';
import type { UserUsageRecord } from '../src/domain/usage/parse-usage-records.js';
import { downloadFile } from '../src/github/usage-file-download.js';
import { collectOrgUsage } from '../src/jobs/collect-usage.js';
import { peakRss } from './reconcile-peak-rss.js';
import { serverNodeFlags } from './server-node-flags.js';
import { seedQueryHistory, timeOrgPageQueries, timingLines } from './usage-queries.js';
import type { UsageFakeOptions, UsageFakeReady, UsageFakeSummary } from './usage-fake-server.js';

const TARGET_ROWS_PER_SECOND = 20_000;
const TARGET_RSS_GROWTH = 200 * 1_048_576;
/** Timed runs of each organization-page query. */
const QUERY_RUNS = 10;

/**
 * Seeds `days` days of users-report rows ending `endDay` straight into the tables (no GitHub, no
 * parsing), `users` people a day with numbers that vary by person and day, and marks each day as
 * collected with data. For query timings on a long history (365 days), where collecting through
 * the fake would only measure the collection again.
 */
export async function seedUsageHistory(db: Kysely<Database>, input: { org: string; users: number; days: number; endDay: string }): Promise<number> {
  let rows = 0;
  for (let d = input.days - 1; d >= 0; d--) {
    const day = addDays(input.endDay, -d);
    for (let start = 0; start < input.users; start += USER_DAY_BATCH) {
      const batch: UserUsageRecord[] = [];
      for (let i = start; i < Math.min(input.users, start + USER_DAY_BATCH); i++) {
        const n = ((i + d) % 17) + 1;
        batch.push({ userId: 100_000 + i, login: `dev-${i}`, day, interactions: n, codeGenerations: 2 * n, codeAcceptances: n, locSuggested: 10 * n, locAdded: 6 * n, usedChat: i % 3 !== 0, usedAgent: i % 5 === 0, ide: i % 4 === 0 ? 'jetbrains' : 'vscode' });
      }
      rows += await insertUserDays(db, input.org, batch);
    }
    await upsertReportDay(db, { org: input.org, report: 'users', day, status: 'data', links: 1, records: input.users, now: new Date() });
  }
  return rows;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function mb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

function forkFake(options: UsageFakeOptions): ChildProcess {
  return fork(new URL('./usage-fake-server.ts', import.meta.url).pathname, [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
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
    const onExit = (code: number | null) => reject(new Error(`the fake GitHub exited with ${code} before sending ${type}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '20000' },
      days: { type: 'string', default: '28' },
      files: { type: 'string', default: '2' },
      teams: { type: 'string', default: '200' },
      'database-url': { type: 'string' },
      // --no-queries measures the collection only (the query timings seed 7.3 million rows first).
      queries: { type: 'boolean', default: true },
      // --node-flags=v8-defaults collects under V8's own heap sizing, for comparison.
      'node-flags': { type: 'string', default: 'server' },
    },
    allowNegative: true,
  });
  const users = Number(values.users);
  const dayCount = Number(values.days);
  const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const argv = process.argv.slice(2);
  print(`command: npm run bench:usage${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`);
  print(`date: ${new Date().toISOString()}`);
  print(`node flags: ${process.execArgv.filter((a) => a.startsWith('--') && !['--import', '--require'].includes(a) && !a.includes('tsx')).join(' ') || 'none'} (${values['node-flags'] === 'server' ? "the server's, from npm start" : "V8's defaults"})`);
  print(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `node ${process.version}, ${os.platform()} ${os.release()}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );

  // ---------------------------------------------------------------------------------------------
  // Ingest: the product's collection job, from the fake GitHub into PostgreSQL.
  const now = new Date();
  const today = utcDay(now);
  const days = Array.from({ length: dayCount }, (_, i) => addDays(today, i - dayCount));
  const org = 'bench-usage';
  const fake = forkFake({ org, installationId: 1, users, days, files: Number(values.files), teams: Number(values.teams) });
  const ready = await nextMessage<UsageFakeReady>(fake, 'ready');

  const schema = `bench_usage_${randomBytes(4).toString('hex')}`;
  const database = await connectDatabase({ databaseUrl, dataDir: 'memory://', schema, poolSize: 4 });
  try {
    await migrateToLatest(database.db, schema);
    await upsertInstallation(database.db, { id: 1, accountLogin: org, accountId: 10, accountType: 'Organization', repositorySelection: 'all', permissions: {}, events: [] }, 'active');
    const octokit = new ProbotOctokit({
      auth: { token: ready.token },
      baseUrl: `http://${ready.host}/api/v3`,
      log: pino({ level: 'silent' }),
      retry: { enabled: false },
      throttle: { enabled: false },
    });
    print(`organization: ${users} active users a day, ${dayCount} days (${days[0]} to ${days.at(-1)}), users report in ${values.files} files a day, ${values.teams} teams`);

    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const peakBefore = peakRss();
    const maxima = { heapUsed: 0, external: 0, arrayBuffers: 0, rss: 0 };
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      for (const k of ['heapUsed', 'external', 'arrayBuffers', 'rss'] as const) maxima[k] = Math.max(maxima[k], m[k]);
    }, 50);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const result = await collectOrgUsage({ db: database.db, octokit: octokit as never, download: downloadFile, log: pino({ level: 'warn' }), now: () => now }, {
      org,
      installationId: 1,
      trigger: 'cli',
      actor: 'bench',
      from: days[0],
      to: days.at(-1),
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpuBefore);
    const peakAfter = peakRss();
    const growth = peakAfter.bytes - Math.max(rssBefore, 0);
    const stored = await database.db.selectFrom('usage_user_days').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const teams = await database.db.selectFrom('usage_team_days').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    fake.send({ type: 'summary' });
    const summary = await nextMessage<UsageFakeSummary>(fake, 'summary');
    const rowsPerSecond = Number(stored.n) / seconds;

    print(`collected: ${result.status}, ${result.daysWithData} days with data, ${result.userRows} user-day rows reported by the job`);
    print(`stored: ${stored.n} user-day rows, ${teams.n} team-day rows`);
    print(`fake GitHub: ${summary.reportCalls} report calls, ${summary.downloads} downloads, ${summary.cpuMs} ms CPU; violations: ${summary.violations.length === 0 ? 'none' : summary.violations.join('; ')}`);
    print(`time: ${seconds.toFixed(1)} s → ${Math.round(rowsPerSecond).toLocaleString('en-US')} user-day rows/s (target ≥ ${TARGET_ROWS_PER_SECOND.toLocaleString('en-US')}): ${rowsPerSecond >= TARGET_ROWS_PER_SECOND ? 'met' : 'NOT met'}`);
    print(
      `memory: RSS ${mb(rssBefore)} before, peak ${mb(peakAfter.bytes)} (${peakAfter.source}; peak before the run ${mb(peakBefore.bytes)}) → growth ${mb(growth)} (target < ${mb(TARGET_RSS_GROWTH)}): ${growth < TARGET_RSS_GROWTH ? 'met' : 'NOT met'}`,
    );
    print(`CPU of the collecting process: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s over ${seconds.toFixed(1)} s of wall time`);
    print(`memory sampled every 50 ms during the run (maxima): heap used ${mb(maxima.heapUsed)}, external ${mb(maxima.external)}, array buffers ${mb(maxima.arrayBuffers)}, RSS ${mb(maxima.rss)}`);
    if (global.gc) {
      global.gc();
      print(`heap used after a full GC at the end: ${mb(process.memoryUsage().heapUsed)}`);
    }
    if (Number(stored.n) !== users * dayCount) print(`WARNING: expected ${users * dayCount} rows`);

    // ---------------------------------------------------------------------------------------------
    // Query timing: the org page's queries on 365 days of history for as many people, seeded with
    // set-based SQL under an organization of its own (bench/usage-queries.ts).
    if (!values.queries) return;
    const history = { org: 'bench-usage-history', users, days: 365, teams: Number(values.teams), endDay: addDays(today, -1) };
    await upsertInstallation(database.db, { id: 2, accountLogin: history.org, accountId: 20, accountType: 'Organization', repositorySelection: 'all', permissions: {}, events: [] }, 'active');
    const seedStarted = performance.now();
    const historyRows = await seedQueryHistory(database.db, history);
    print(`history: ${historyRows.toLocaleString('en-US')} user-day rows (${users} people × 365 days), ${history.teams} teams, seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
    for (const line of timingLines(await timeOrgPageQueries(database.db, history, now, QUERY_RUNS), QUERY_RUNS)) print(line);

    print(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await database.close();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
    fake.send({ type: 'close' });
  }
}

/**
 * The collector runs in this process, so it must run under the server's Node.js flags (its heap
 * sizing decides the RSS figure): without them, this process starts itself again with them.
 */
async function underServerFlags(): Promise<boolean> {
  const wanted = process.argv.includes('--node-flags=v8-defaults') ? [] : serverNodeFlags();
  if (wanted.every((flag) => process.execArgv.includes(flag))) return true;
  const child = fork(process.argv[1]!, process.argv.slice(2), { execArgv: [...process.execArgv, ...wanted], stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  process.exitCode = code ?? 1;
  return false;
}

if (import.meta.url === `file://${process.argv[1]}` && (await underServerFlags())) await main();
