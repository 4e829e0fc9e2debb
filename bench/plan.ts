import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { planReconciliation } from '../src/domain/planner/plan-reconciliation.js';
import { generateSyntheticOrg, SYNTHETIC_ORG_DEFAULTS } from './synthetic-org.js';

// Usage: tsx bench/plan.ts [--members N] [--teams N] [--seats N] [--changes N] [--seed N] [--runs N]
const { values } = parseArgs({
  options: {
    members: { type: 'string' },
    teams: { type: 'string' },
    seats: { type: 'string' },
    changes: { type: 'string' },
    seed: { type: 'string' },
    runs: { type: 'string', default: '5' },
  },
});
const num = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value));
const print = (line: string) => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => (bytes / 1_048_576).toFixed(0);

const org = generateSyntheticOrg({
  members: num(values.members, SYNTHETIC_ORG_DEFAULTS.members),
  teams: num(values.teams, SYNTHETIC_ORG_DEFAULTS.teams),
  seats: num(values.seats, SYNTHETIC_ORG_DEFAULTS.seats),
  changes: num(values.changes, SYNTHETIC_ORG_DEFAULTS.changes),
  seed: num(values.seed, SYNTHETIC_ORG_DEFAULTS.seed),
});
const rssAfterGeneration = process.memoryUsage().rss;
const peakAfterGeneration = process.resourceUsage().maxRSS * 1024;

// A worker plans each organization once, so the first (cold) run is the figure that counts.
const coldStart = performance.now();
const plan = planReconciliation(org);
const coldMs = performance.now() - coldStart;
const peakAfterPlan = process.resourceUsage().maxRSS * 1024;

const warm: number[] = [];
for (let run = 0; run < num(values.runs, 5); run++) {
  const start = performance.now();
  planReconciliation(org);
  warm.push(performance.now() - start);
}
warm.sort((a, b) => a - b);

print(`org: ${org.snapshot.members.length} members, ${org.snapshot.teams.length} teams, ${org.snapshot.seats.length} seats, ${org.overrides.length} overrides`);
print(`planner time: ${coldMs.toFixed(1)} ms cold; warm median ${(warm[Math.floor(warm.length / 2)] ?? coldMs).toFixed(1)} ms over ${warm.length} runs`);
print(
  `peak RSS: ${mb(peakAfterPlan)} MB after the cold plan (whole process, synthetic org included; ` +
    `${mb(rssAfterGeneration)} MB after generating the org, peak ${mb(peakAfterGeneration)} MB)`,
);
print(`adds: ${plan.toAdd.length}, cancels: ${plan.toCancel.length}, changes: ${plan.toAdd.length + plan.toCancel.length}`);
print(`left alone: ${plan.leftAlone.length}, not added: ${plan.notAdded.length}, violations: ${plan.violations.length}, overrides to record: ${plan.overridesToRecord.length}`);
print(`seats ${plan.seats.before.total} -> ${plan.seats.after.total}, cost $${plan.cost.beforeUsd} -> $${plan.cost.afterUsd}, cap ${plan.cap.status}, budget ${plan.budget.status}`);
