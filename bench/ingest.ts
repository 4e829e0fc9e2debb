// npm run bench:ingest — intake throughput and latency of CEOS against a bare Probot app on the
// same payload mix, then a check that every delivery answered 2xx is stored and processed, and the
// drain rate. Needs a PostgreSQL server (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres).
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';
import { signBody } from '../src/intake/verify-signature.js';
import { type CpuSplit, startCpuAccounting } from './cpu-accounting.js';
import { serverNodeFlags } from './server-node-flags.js';

const require = createRequire(import.meta.url);
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const DURATION = Number(args.get('duration') ?? 10);
const CONNECTIONS = Number(args.get('connections') ?? 50);
const DATABASE_URL = args.get('database-url') ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = 'bench-secret';
const schema = `bench_${randomBytes(4).toString('hex')}`;
// The default configuration (workers on in the same process) stores into a schema of its own.
const defaultSchema = `${schema}_default`;
// --cpu-prof=DIR writes a V8 CPU profile of each CEOS server there (summarise with bench/profile-summary.ts).
const CPU_PROF_DIR = args.get('cpu-prof');

// Every example payload but the installation events, whose handlers would start syncs against a
// GitHub this benchmark does not have.
const definitions = require('@octokit/webhooks-examples') as { name: string; examples: unknown[] }[];
const mix = definitions
  .filter((d) => !d.name.startsWith('installation'))
  .flatMap((d) => d.examples.map((payload) => ({ event: d.name, body: JSON.stringify(payload) })))
  .map((d) => ({ ...d, signature: signBody(d.body, SECRET) }));

function start(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const ceos = script.startsWith('./ingest');
  const profile = CPU_PROF_DIR && ceos ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [];
  // CEOS runs under the flags `npm start` gives it (--node-flags=v8-defaults: under V8's own);
  // bare Probot runs as a Probot app does by default.
  const runtime = ceos && args.get('node-flags') !== 'v8-defaults' ? serverNodeFlags() : [];
  const child = fork(new URL(script, import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx', ...runtime, ...profile],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve({ child, url: m.url }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send({ stop: true });
  await exited;
}

/** Runs the load against a server and counts the CPU each part used meanwhile. */
async function load(server: { child: ChildProcess; url: string }, accepted?: Set<string>): Promise<autocannon.Result & { cpu: CpuSplit }> {
  const cpu = startCpuAccounting(server.child.pid!);
  const result = await loadOnly(server.url, accepted);
  return { ...result, cpu: cpu.stop() };
}

async function loadOnly(url: string, accepted?: Set<string>): Promise<autocannon.Result> {
  let i = 0;
  return autocannon({
    url: `${url}/api/github/webhooks`,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const d = mix[i++ % mix.length]!;
          request.headers = {
            'content-type': 'application/json',
            'x-github-event': d.event,
            'x-github-delivery': randomUUID(),
            'x-hub-signature-256': d.signature,
          };
          request.body = d.body;
          return request;
        },
        onResponse: (status, body) => {
          if (accepted && status >= 200 && status < 300) accepted.add((JSON.parse(body) as { id: string }).id);
        },
      },
    ],
  });
}

function row(name: string, r: autocannon.Result & { cpu: CpuSplit }) {
  const ok = r['2xx'];
  return { name, ok, perSecond: ok / DURATION, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts, cpu: r.cpu };
}

/** CPU milliseconds per delivery answered 2xx, by part. */
function cpuPerDelivery(r: ReturnType<typeof row>): string {
  const ms = (seconds: number) => ((seconds * 1000) / Math.max(r.ok, 1)).toFixed(3);
  const total = r.cpu.server + r.cpu.postgres + r.cpu.loadGenerator;
  return (
    `${r.name.padEnd(48)} CPU ms per delivery: server ${ms(r.cpu.server)}, PostgreSQL ${ms(r.cpu.postgres)}, load generator ${ms(r.cpu.loadGenerator)}; ` +
    `cores busy ${(total / DURATION).toFixed(2)} of ${os.cpus().length}`
  );
}

const env = {
  DATABASE_URL,
  DATABASE_SCHEMA: schema,
  WEBHOOK_SECRET: SECRET,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  APP_ID: '1',
  GHE_HOST: '127.0.0.1:9',
  GHE_PROTOCOL: 'http',
};
const { generateKeyPairSync } = await import('node:crypto');
const PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

process.stdout.write(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}\n`);
process.stdout.write(`CEOS node flags: ${args.get('node-flags') === 'v8-defaults' ? 'none (V8 defaults)' : serverNodeFlags().join(' ') || 'none'} (from npm start)\n`);
process.stdout.write(`command: npm run bench:ingest -- ${process.argv.slice(2).join(' ')}; ${new Date().toISOString()}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
process.stdout.write(`payload mix: ${mix.length} example payloads of ${new Set(mix.map((m) => m.event)).size} events; ${CONNECTIONS} connections, ${DURATION} s each\n\n`);

const bare = await start('./bare-probot-server.ts', { WEBHOOK_SECRET: SECRET });
const bareResult = row('bare Probot (no-op, nothing stored)', await load(bare));
await stop(bare.child);

// Intake alone: workers off, so the figures are those of verify + record + answer.
const intake = await start('./ingest-server.ts', { ...env, CEOS_WORKERS: 'false', CEOS_INTAKE_MAX_IN_FLIGHT: args.get('in-flight') ?? '1' });
const accepted = new Set<string>();
const ceosResult = row('CEOS intake (verified, committed before 202)', await load(intake, accepted));
await stop(intake.child);

// The default single instance: workers on in the same process, draining while the load runs.
const single = await start('./ingest-server.ts', { ...env, DATABASE_SCHEMA: defaultSchema, PRIVATE_KEY, CEOS_WORKERS: 'true' });
const singleAccepted = new Set<string>();
const singleResult = row('CEOS default (workers on, same process)', await load(single, singleAccepted));
const singleClient = new pg.Client({ connectionString: DATABASE_URL });
await singleClient.connect();
const countSingle = async (where: string) =>
  Number((await singleClient.query(`select count(*) as n from "${defaultSchema}".deliveries ${where}`)).rows[0].n);
const singleStored = await countSingle('');
const singleLoadEnded = Date.now();
// Waiting counts the rows still to do through the engine's own index of due work, which holds only
// those: counting the done ones scanned the whole table ten times a second and competed with the drain.
const STILL_TO_DO = `where status in ('received', 'processing')`;
while ((await countSingle(STILL_TO_DO)) > 0) await new Promise((r) => setTimeout(r, 100));
const singleCatchUp = (Date.now() - singleLoadEnded) / 1000;
const singleProcessed = await countSingle(`where status = 'processed'`);
const singleStoredAccepted = Number(
  (await singleClient.query(`select count(*) as n from "${defaultSchema}".deliveries where id = any($1::text[])`, [[...singleAccepted]])).rows[0].n,
);
await stop(single.child);
await singleClient.query(`drop schema "${defaultSchema}" cascade; drop schema if exists "${defaultSchema}_jobs" cascade`);
await singleClient.end();

for (const r of [bareResult, ceosResult, singleResult]) {
  process.stdout.write(
    `${r.name.padEnd(48)} ${r.perSecond.toFixed(0).padStart(7)} deliveries/s  p50 ${String(r.p50).padStart(3)} ms  p99 ${String(r.p99).padStart(3)} ms  non-2xx ${r.non2xx}  errors ${r.errors}\n`,
  );
}
for (const r of [bareResult, ceosResult, singleResult]) process.stdout.write(`${cpuPerDelivery(r)}\n`);
process.stdout.write(`throughput ratio CEOS workers off / bare Probot: ${(ceosResult.perSecond / bareResult.perSecond).toFixed(2)}\n`);
process.stdout.write(`throughput ratio CEOS default (workers on) / bare Probot: ${(singleResult.perSecond / bareResult.perSecond).toFixed(2)}\n`);
process.stdout.write(
  `default configuration: answered 2xx ${singleAccepted.size}, of which stored ${singleStoredAccepted} ${singleStoredAccepted === singleAccepted.size ? '(all)' : '(MISSING SOME)'}; ` +
    `stored ${singleStored}, processed ${singleProcessed}, processing caught up ${singleCatchUp.toFixed(2)} s after the load\n\n`,
);

const client = new pg.Client({ connectionString: DATABASE_URL });
await client.connect();
const count = async (where: string) =>
  Number((await client.query(`select count(*) as n from "${schema}".deliveries ${where}`)).rows[0].n);
const stored = await count('');
// Requests still in flight when the load stopped may be stored without their answer being counted,
// so the check is that every GUID answered 2xx is stored, and then that everything stored is processed.
const acceptedIds = [...accepted];
const storedAccepted = Number(
  (await client.query(`select count(*) as n from "${schema}".deliveries where id = any($1::text[])`, [acceptedIds])).rows[0].n,
);
process.stdout.write(
  `answered 2xx: ${acceptedIds.length}, of which stored: ${storedAccepted} ${storedAccepted === acceptedIds.length ? '(all)' : '(MISSING SOME)'}; stored in all: ${stored}\n`,
);

// Drain: one process with workers on takes everything through the real handlers (--drain=false
// skips it: the backlog of a 15-second load takes minutes to drain).
let processed = stored;
if (args.get('drain') !== 'false') {
  const drainStarted = Date.now();
  const worker = await start('./ingest-server.ts', { ...env, PRIVATE_KEY, CEOS_WORKERS: 'true', CEOS_WORKER_CONCURRENCY: args.get('concurrency') ?? '100' });
  // Every 10 s, how much is left and the rate since the last line: the drain's shape, not only its mean.
  let lastLine = { at: Date.now(), left: stored };
  for (let left = await count(STILL_TO_DO); left > 0; left = await count(STILL_TO_DO)) {
    if (Date.now() - lastLine.at >= 10_000) {
      const rate = (lastLine.left - left) / ((Date.now() - lastLine.at) / 1000);
      process.stdout.write(`  drain at ${((Date.now() - drainStarted) / 1000).toFixed(0)} s: ${left} left, ${rate.toFixed(0)} deliveries/s over the last 10 s\n`);
      lastLine = { at: Date.now(), left };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  processed = await count(`where status = 'processed'`);
  const drainSeconds = (Date.now() - drainStarted) / 1000;
  const failed = await count(`where status in ('failed', 'dead')`);
  // The drain proper, without the worker process's start: first to last completion.
  const span = (
    await client.query(`select extract(epoch from max(processed_at) - min(processed_at)) as s from "${schema}".deliveries`)
  ).rows[0].s as string;
  await stop(worker.child);
  process.stdout.write(
    `processed: ${processed}, failed: ${failed} ${processed === stored ? '(all processed)' : '(NOT ALL PROCESSED)'}\n` +
      `drain: ${stored} deliveries in ${drainSeconds.toFixed(2)} s (process start included) = ${(stored / drainSeconds).toFixed(0)} deliveries/s; ` +
      `first to last completion ${Number(span).toFixed(2)} s = ${(stored / Number(span)).toFixed(0)} deliveries/s\n`,
  );
} else {
  process.stdout.write('drain: skipped (--drain=false); the stored deliveries were not processed\n');
}
await client.query(`drop schema "${schema}" cascade; drop schema if exists "${schema}_jobs" cascade`);
await client.end();
process.stdout.write(`load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
process.exitCode =
  storedAccepted === acceptedIds.length && processed === stored && singleStoredAccepted === singleAccepted.size && singleProcessed === singleStored ? 0 : 1;
