import { performance } from 'node:perf_hooks';
import type { DestinationStream } from 'pino';
import type { ProbotOctokit } from 'probot';

/** What a client-side request was for, told from its URL. */
type RequestRole = 'graphql' | 'seats' | 'billing' | 'contents' | 'write' | 'other';

interface TimedRequest {
  role: RequestRole;
  start: number;
  end: number;
}

interface TimedLog {
  at: number;
  msg: string;
}

/** Time spent in one phase of a run, in milliseconds; `github` is the part spent in GitHub requests (round trip and Octokit's parsing). */
export interface PhaseTime {
  total: number;
  github: number;
}

/** A reconciliation run cut into its phases. */
export interface RunPhases {
  /** GraphQL members and teams, and writing them to the mirror. */
  syncGraph: PhaseTime;
  /** Seat pages and billing settings, and writing them to the mirror. */
  syncSeats: PhaseTime;
  /** Policy file read and stored, mirror read, overrides, planner, plan stored. */
  plan: PhaseTime;
  /** Seat writes on GitHub, each batch's per-user results, audit entries and mirror update, and the closing records. */
  apply: PhaseTime;
  total: number;
}

function roleOf(method: string, url: string): RequestRole {
  if (/\/graphql(\?|$)/.test(url)) return 'graphql';
  if (/\/copilot\/billing\/seats(\?|$)/.test(url)) return 'seats';
  if (/\/copilot\/billing\/selected_users(\?|$)/.test(url) && method !== 'GET') return 'write';
  if (/\/copilot\/billing(\?|$)/.test(url)) return 'billing';
  if (/\/contents\//.test(url)) return 'contents';
  return 'other';
}

/**
 * Marks when a reconciliation run reaches each phase, from outside `reconcileOrg`: the start and
 * end of every request its Octokit sends, and the moments it logs. Time spent in `offTheClock`
 * (the benchmark's own work in the middle of a run) is taken out of every reading.
 */
export class RunTimeline {
  private requests: TimedRequest[] = [];
  private logs: TimedLog[] = [];
  private offClock = 0;
  private beforeRequest: ((role: RequestRole) => Promise<void>) | undefined;

  /** The run's clock, in milliseconds. */
  now(): number {
    return performance.now() - this.offClock;
  }

  /** Runs benchmark work that must not count in the run's phases. */
  async offTheClock<T>(work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.offClock += performance.now() - start;
    }
  }

  /** Forgets the previous run. */
  reset(): void {
    this.requests = [];
    this.logs = [];
  }

  /** Calls `work` (off the clock) before each request of the run, with what the request is for. */
  onRequest(work: ((role: RequestRole) => Promise<void>) | undefined): void {
    this.beforeRequest = work;
  }

  /** Times every request the Octokit (REST and `octokit.graphql`) sends. */
  instrument(octokit: Pick<InstanceType<typeof ProbotOctokit>, 'hook'>): void {
    octokit.hook.wrap('request', async (request, options) => {
      const role = roleOf(String(options.method), String(options.url));
      const before = this.beforeRequest;
      if (before) await this.offTheClock(() => before(role));
      const start = this.now();
      try {
        return await request(options);
      } finally {
        this.requests.push({ role, start, end: this.now() });
      }
    });
  }

  /** A pino destination that notes when each line is logged (and keeps the lines). */
  logDestination(): DestinationStream & { lines: string[] } {
    const lines: string[] = [];
    return {
      lines,
      write: (line: string) => {
        lines.push(line);
        const msg = (JSON.parse(line) as { msg?: unknown }).msg;
        this.logs.push({ at: this.now(), msg: typeof msg === 'string' ? msg : '' });
      },
    };
  }

  /** The run between `start` and `end` (clock readings), cut at the requests and log lines that bound each phase. */
  phases(start: number, end: number): RunPhases {
    const of = (role: RequestRole) => this.requests.filter((r) => r.role === role);
    const logged = (msg: string) => this.logs.find((l) => l.msg === msg)?.at;
    // Requests of a phase go one after another (the billing request overlaps the first seat page).
    const spent = (rs: TimedRequest[]) => rs.reduce((sum, r) => sum + r.end - r.start, 0);
    const graph = of('graphql');
    const writes = of('write');
    const graphSynced = logged('members and teams synced') ?? start;
    const contentsStart = of('contents')[0]?.start ?? end;
    const planEnd = writes.length > 0 ? Math.min(...writes.map((r) => r.start)) : (logged('reconciliation finished') ?? end);
    return {
      syncGraph: { total: graphSynced - start, github: spent(graph) },
      syncSeats: { total: contentsStart - graphSynced, github: spent(of('seats')) },
      plan: { total: planEnd - contentsStart, github: spent(of('contents')) },
      apply: { total: end - planEnd, github: spent(writes) },
      total: end - start,
    };
  }
}
