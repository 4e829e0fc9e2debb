import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node, Pair } from 'yaml';
import type { z } from 'zod';
import { closestKey } from './closest-key.js';
import { policySchema } from './policy-schema.js';
import type { Policy } from './policy-schema.js';

/** One problem in a policy file, located in its text. */
export interface PolicyError {
  /** 1-based line where the problem starts. */
  line: number;
  /** 1-based column where the problem starts. */
  column: number;
  /** 1-based line where the problem ends, when known. */
  endLine?: number;
  /** 1-based column just after the problem, when known. */
  endColumn?: number;
  /** Dotted path of the key concerned, e.g. `seats.grant.users[2]`; empty for the whole file. */
  path: string;
  /** What is wrong and how to fix it. */
  message: string;
}

/** Outcome of parsing a policy file. */
export type ParsePolicyResult = { ok: true; policy: Policy } | { ok: false; errors: PolicyError[] };

type Segment = string | number;
type Range = Pick<PolicyError, 'line' | 'column' | 'endLine' | 'endColumn'>;

function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const segment of path) {
    out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  }
  return out;
}

function rangeOf(offsets: readonly [number, number], lines: LineCounter): Range {
  const start = lines.linePos(offsets[0]);
  const end = lines.linePos(Math.max(offsets[0], offsets[1]));
  return { line: start.line, column: start.col, endLine: end.line, endColumn: end.col };
}

function findPair(node: unknown, key: Segment): Pair<unknown, unknown> | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((pair) => (isScalar(pair.key) ? String(pair.key.value) : String(pair.key)) === String(key));
}

interface Located {
  /** The node at the path, or the deepest ancestor that exists. */
  node: Node | null;
  /** The key of the last pair found on the way, to point at when the value is empty. */
  key: Node | null;
  /** Whether the whole path was found. */
  complete: boolean;
}

function locate(root: unknown, path: readonly Segment[]): Located {
  let node: unknown = root;
  let key: Node | null = null;
  for (const segment of path) {
    if (typeof segment === 'number' && isSeq(node)) {
      const item: unknown = node.items[segment];
      if (item === undefined) return { node: node as Node, key, complete: false };
      node = item;
      key = null;
      continue;
    }
    const pair = findPair(node, segment);
    if (pair === undefined) return { node: (node as Node | null) ?? null, key, complete: false };
    key = isPair(pair) && pair.key !== null && typeof pair.key === 'object' ? (pair.key as Node) : null;
    node = pair.value;
  }
  return { node: (node as Node | null) ?? null, key, complete: true };
}

function usableRange(node: Node | null): [number, number] | null {
  const range = node?.range;
  if (range === undefined || range === null) return null;
  // An empty value (`inactivity:` with nothing after it) has a zero-width range.
  return range[1] > range[0] ? [range[0], range[1]] : null;
}

function positionFor(root: unknown, path: readonly Segment[], lines: LineCounter, pointAtKey: boolean): Range {
  const found = locate(root, path);
  const keyRange = usableRange(found.key);
  const nodeRange = usableRange(found.node);
  const chosen = (pointAtKey || !found.complete ? keyRange : null) ?? (found.complete ? nodeRange : null) ?? keyRange ?? nodeRange;
  return chosen === null ? { line: 1, column: 1 } : rangeOf(chosen, lines);
}

type AnySchema = z.core.$ZodType;

/** The schema for the value at `path`, looking through optional/default wrappers. */
function schemaAt(path: readonly Segment[]): AnySchema | null {
  let schema: AnySchema | null = policySchema;
  for (const segment of [...path, null]) {
    // Unwrap before each step and once more at the end.
    for (;;) {
      const def = schema?._zod.def as { type: string; innerType?: AnySchema; in?: AnySchema } | undefined;
      if (def?.innerType !== undefined) schema = def.innerType;
      else if (def?.type === 'pipe' && def.in !== undefined) schema = def.in;
      else break;
    }
    if (segment === null || schema === null) break;
    const def = schema._zod.def as { type: string; shape?: Record<string, AnySchema>; element?: AnySchema };
    if (def.type === 'object' && def.shape !== undefined) schema = def.shape[String(segment)] ?? null;
    else if (def.type === 'array' && def.element !== undefined) schema = def.element;
    else schema = null;
  }
  return schema;
}

function knownKeysAt(path: readonly Segment[]): string[] {
  const def = schemaAt(path)?._zod.def as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === 'object' && def.shape !== undefined ? Object.keys(def.shape) : [];
}

function unknownKeyErrors(issue: z.core.$ZodIssueUnrecognizedKeys, root: unknown, lines: LineCounter): PolicyError[] {
  const path = issue.path as Segment[];
  const where = path.length === 0 ? 'at the top level' : `in ${formatPath(path)}`;
  const known = knownKeysAt(path);
  return issue.keys.map((key) => {
    const suggestion = closestKey(key, known);
    const hint =
      suggestion !== null
        ? `; did you mean "${suggestion}"?`
        : `; allowed keys are ${known.map((k) => `"${k}"`).join(', ')}`;
    const keyPath = [...path, key];
    return { ...positionFor(root, keyPath, lines, true), path: formatPath(keyPath), message: `unknown key "${key}" ${where}${hint}` };
  });
}

function issueErrors(issue: z.core.$ZodIssue, root: unknown, lines: LineCounter): PolicyError[] {
  if (issue.code === 'unrecognized_keys') return unknownKeyErrors(issue, root, lines);
  const path = issue.path as Segment[];
  const formatted = formatPath(path);
  // Messages for a key start with its name; those for a list entry or zod's fallbacks may not.
  const named = formatted === '' || issue.message.startsWith(formatted);
  const message = named ? issue.message : `${formatted}: ${issue.message}`;
  return [{ ...positionFor(root, path, lines, false), path: formatted, message }];
}

/**
 * Parses and validates `.github/copilot-policy.yml`. Errors carry the line and column of the
 * key or value at fault, so they can be shown as check-run annotations.
 */
export function parsePolicy(text: string): ParsePolicyResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((error) => ({
        ...rangeOf(error.pos, lines),
        path: '',
        message: `YAML syntax error: ${error.message.split('\n')[0] ?? error.message}`,
      })),
    };
  }
  if (doc.contents === null) {
    return { ok: false, errors: [{ line: 1, column: 1, path: '', message: 'the policy file is empty; start it with "version: 1"' }] };
  }
  const result = policySchema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (result.success) return { ok: true, policy: result.data };
  const errors = result.error.issues.flatMap((issue) => issueErrors(issue, doc.contents, lines));
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, errors };
}
