// The planner alone, in a fresh process, on the snapshot CEOS read from its mirror after the sync
// (written to a file by bench/reconcile.ts): its time, and the peak RSS of a process that holds
// that snapshot and plans it. Run with --expose-gc so the file's text is gone before planning.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { OrgSnapshot, SeatOverride } from '../src/domain/plan-types.js';
import { planReconciliation } from '../src/domain/planner/plan-reconciliation.js';
import { parsePolicy } from '../src/domain/policy/parse-policy.js';
import { type PeakRssSource, peakRss } from './reconcile-peak-rss.js';

/** What bench/reconcile.ts writes for this process to plan. */
export interface PlannerBenchInput {
  snapshot: OrgSnapshot;
  overrides: SeatOverride[];
  policyText: string;
  now: string;
}

/** What this process reports back. */
export interface PlannerBenchResult {
  type: 'planner';
  /** The first plan, as a worker makes it (ms). */
  coldMs: number;
  /** Further plans of the same input (ms), sorted. */
  warmMs: number[];
  /** RSS once the snapshot is loaded and garbage collected, before planning (bytes). */
  rssLoaded: number;
  /** Peak RSS of the process before planning (bytes): loading the snapshot. */
  maxRssBeforePlan: number;
  /** Peak RSS of the process after the first plan (bytes). */
  maxRssAfterPlan: number;
  /** Peak RSS after every plan (bytes). */
  maxRssAfterAll: number;
  /** How the peaks were read. */
  peakSource: PeakRssSource;
  adds: number;
  cancels: number;
}

const [file, runsArg] = process.argv.slice(2);
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});
const maxRss = () => peakRss().bytes;

const input = JSON.parse(readFileSync(file!, 'utf8')) as PlannerBenchInput;
const parsed = parsePolicy(input.policyText);
if (!parsed.ok) throw new Error(`the benchmark's policy does not parse: ${JSON.stringify(parsed.errors)}`);
// The benchmark's mirror was read whole by the run it measures.
const plannerInput = { policy: parsed.policy, snapshot: input.snapshot, overrides: input.overrides, now: input.now, membership: { complete: true, asOf: input.now } };
collect();
const rssLoaded = process.memoryUsage().rss;
const maxRssBeforePlan = maxRss();

const start = performance.now();
const plan = planReconciliation(plannerInput);
const coldMs = performance.now() - start;
const maxRssAfterPlan = maxRss();

const warmMs: number[] = [];
for (let run = 0; run < Number(runsArg ?? 5); run++) {
  const t = performance.now();
  planReconciliation(plannerInput);
  warmMs.push(performance.now() - t);
}
warmMs.sort((a, b) => a - b);

const result: PlannerBenchResult = {
  type: 'planner',
  coldMs,
  warmMs,
  rssLoaded,
  maxRssBeforePlan,
  maxRssAfterPlan,
  maxRssAfterAll: maxRss(),
  peakSource: peakRss().source,
  adds: plan.toAdd.length,
  cancels: plan.toCancel.length,
};
if (process.send) process.send(result, () => process.exit(0));
else process.stdout.write(`${JSON.stringify(result)}\n`);
