// The fake GitHub of `npm run bench:reconcile`, in a process of its own so that serving GitHub
// costs CEOS's process neither CPU nor memory. Started by bench/reconcile.ts with the options of
// the synthetic organization as its one argument; it generates the same organization, serves it,
// and answers the parent's messages.
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import type { RequestSummary } from './reconcile-requests.js';
import type { SyntheticOrgOptions } from './synthetic-org.js';

// Node closes idle kept-alive connections after 5 s, GitHub much later. A run whose database work
// holds the event loop for seconds (PGlite runs in-process) would otherwise send its next request
// on a connection the fake has just closed ("other side closed"), which only Octokit's retries,
// off here, would hide. The fake's server is created inside startFakeGitHub, hence the patch.
const createServer = http.createServer;
http.createServer = ((...args: Parameters<typeof http.createServer>) => {
  const server = createServer(...args);
  server.keepAliveTimeout = 120_000;
  return server;
}) as typeof http.createServer;
syncBuiltinESMExports();

const { startFakeGitHub } = await import('../test/fake-github/index.js');
const { benchOrg, definitionDigest, seedFakeGitHub } = await import('./reconcile-fake-org.js');
const { summarizeRequests } = await import('./reconcile-requests.js');

/** A message from the benchmark to the fake's process. */
export type FakeServerCommand = { type: 'summary' } | { type: 'clear' } | { type: 'close' };

/** What the fake's process sends once it serves the organization. */
export interface FakeServerReady {
  type: 'ready';
  /** `127.0.0.1:PORT`, for GHE_HOST. */
  host: string;
  /** {@link definitionDigest} of the organization it generated. */
  digest: string;
}

/** The fake's account of the requests since the last `clear`. */
export interface FakeServerSummary {
  type: 'summary';
  requests: RequestSummary;
  /** Departures from GitHub's API description, as `kind: METHOD path (message)`. */
  violations: string[];
  /** Seats GitHub now lists (pending cancellations included), and how many of them are pending cancellation. */
  seats: { listed: number; pendingCancellation: number };
  /** CPU time the fake spent since the last `clear`, in milliseconds. */
  cpuMs: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as SyntheticOrgOptions;
const org = benchOrg(options);
// The fake's clock is the organization's: seats added are created "now", cancellations date from it.
const fake = await startFakeGitHub({ now: () => new Date(org.now) });
seedFakeGitHub(fake, org);
let cpuSince = process.cpuUsage();

const send = (message: FakeServerReady | FakeServerSummary | { type: 'cleared' }): void => {
  process.send?.(message);
};

process.on('message', (message: FakeServerCommand) => {
  if (message.type === 'clear') {
    fake.clearLog();
    cpuSince = process.cpuUsage();
    send({ type: 'cleared' });
  } else if (message.type === 'summary') {
    const cpu = process.cpuUsage(cpuSince);
    const seats = fake.orgState(org.snapshot.org).seats;
    send({
      type: 'summary',
      requests: summarizeRequests(fake.requests),
      violations: fake.violations.map((v) => `${v.kind}: ${v.method} ${v.path} (${v.message})`),
      seats: { listed: seats.length, pendingCancellation: seats.filter((s) => s.pendingCancellationDate !== null).length },
      cpuMs: (cpu.user + cpu.system) / 1000,
    });
  } else if (message.type === 'close') {
    void fake.close().then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));

send({ type: 'ready', host: fake.host, digest: definitionDigest(org) });
