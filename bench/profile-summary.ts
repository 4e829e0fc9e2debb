// tsx bench/profile-summary.ts FILE.cpuprofile — where a V8 CPU profile's time went: self time by
// package (or CEOS source file, or Node internals) and the functions that cost the most.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

function bucket(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const src = url.indexOf('/src/');
  return src >= 0 ? url.slice(src + 1) : url;
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: tsx bench/profile-summary.ts FILE.cpuprofile\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const hits = new Map<number, number>();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = profile.samples.length;
const byBucket = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const node of profile.nodes) {
  const n = hits.get(node.id) ?? 0;
  if (n === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const b = bucket(url, functionName);
  byBucket.set(b, (byBucket.get(b) ?? 0) + n);
  const f = `${functionName || '(anonymous)'} ${b}:${lineNumber + 1}`;
  byFunction.set(f, (byFunction.get(f) ?? 0) + n);
}
const seconds = (profile.endTime - profile.startTime) / 1e6;
const idle = byBucket.get('(idle)') ?? 0;
process.stdout.write(`${file}: ${seconds.toFixed(1)} s profiled, ${total} samples, busy ${(((total - idle) / total) * 100).toFixed(1)} %\n\n`);
const top = (map: Map<string, number>, count: number) =>
  [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, n]) => `${((n / total) * 100).toFixed(1).padStart(5)} %  ${name}`).join('\n');
process.stdout.write(`self time by package or file:\n${top(byBucket, 25)}\n\nfunctions:\n${top(byFunction, 30)}\n`);
