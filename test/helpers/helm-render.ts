import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, parseAllDocuments, stringify as stringifyYaml } from 'yaml';

/**
 * Renders a Helm chart's templates without helm, for tests on machines that have no helm binary.
 * It implements a deliberate subset of Go's text/template and Helm's functions, the subset
 * `deploy/helm/ceos` is written in; anything outside it is an error, never a silent guess, so a
 * template that strays from the subset fails the test instead of rendering differently from helm.
 * CI runs the real `helm lint`, `helm template` and kubeconform on the same chart.
 *
 * Supported: `{{ }}` with `{{-`/`-}}` trimming, `{{/* comments *\/}}`, fields (`.Values.a.b`,
 * `.Release.Name`, `$.x`, `$var.x`), string/number/bool literals, pipelines (`a | b c`),
 * parenthesized pipelines, `if`/`else if`/`else`, `range` over lists and maps (with
 * `$k, $v :=` or `$v :=`), `with`, `define`/`include`/`template`, and the functions below.
 */

/** A value the templates see as `.`: Values, Release, Chart. */
export type TemplateScope = Record<string, unknown>;

/** Thrown for a template outside the subset, a syntax error, or a `required` value missing. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

type Expr =
  | { kind: 'field'; base: 'dot' | 'root' | { variable: string }; path: string[] }
  | { kind: 'literal'; value: unknown }
  | { kind: 'pipeline'; pipeline: Pipeline };
interface Command {
  /** A function name, or undefined when the command is a single value. */
  fn?: string;
  args: Expr[];
}
type Pipeline = Command[];

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'output'; pipeline: Pipeline }
  | { kind: 'if'; branches: { cond: Pipeline; body: Node[] }[]; otherwise: Node[] }
  | { kind: 'range'; keyVar?: string; valueVar?: string; pipeline: Pipeline; body: Node[]; otherwise: Node[] }
  | { kind: 'with'; pipeline: Pipeline; body: Node[]; otherwise: Node[] }
  | { kind: 'include'; name: string; arg: Pipeline };

interface Action {
  kind: 'action';
  source: string;
}
type Token = { kind: 'text'; text: string } | Action;

/** Splits a template into text and actions, applying the `{{-` and `-}}` trim markers. */
export function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  let trimNext = false;
  while (at < template.length) {
    const open = template.indexOf('{{', at);
    let text = open === -1 ? template.slice(at) : template.slice(at, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open === -1) {
      if (text) tokens.push({ kind: 'text', text });
      break;
    }
    const close = template.indexOf('}}', open + 2);
    if (close === -1) throw new TemplateError(`unclosed action at offset ${open}`);
    let source = template.slice(open + 2, close);
    if (source.startsWith('-') && /^-\s/.test(source)) {
      text = text.replace(/\s+$/, '');
      source = source.slice(1);
    }
    if (/\s-$/.test(source)) {
      trimNext = true;
      source = source.slice(0, -1);
    }
    if (text) tokens.push({ kind: 'text', text });
    source = source.trim();
    if (!(source.startsWith('/*') && source.endsWith('*/'))) tokens.push({ kind: 'action', source });
    at = close + 2;
  }
  return tokens;
}

/** Splits an action into words: strings, parentheses, pipes and plain words. */
function lex(source: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== '"') j += source[j] === '\\' ? 2 : 1;
      if (j >= source.length) throw new TemplateError(`unterminated string in {{ ${source} }}`);
      words.push(source.slice(i, j + 1));
      i = j + 1;
    } else if (c === '(' || c === ')' || c === '|' || c === ',') {
      words.push(c);
      i += 1;
    } else {
      let j = i;
      while (j < source.length && !/[\s()|,"]/.test(source[j]!)) j += 1;
      words.push(source.slice(i, j));
      i = j;
    }
  }
  return words;
}

function parseOperand(word: string, source: string): Expr {
  if (word.startsWith('"')) return { kind: 'literal', value: JSON.parse(word) as string };
  if (/^-?\d+(\.\d+)?$/.test(word)) return { kind: 'literal', value: Number(word) };
  if (word === 'true' || word === 'false') return { kind: 'literal', value: word === 'true' };
  if (word === 'nil') return { kind: 'literal', value: undefined };
  if (word === '.') return { kind: 'field', base: 'dot', path: [] };
  if (word.startsWith('.')) return { kind: 'field', base: 'dot', path: word.slice(1).split('.') };
  if (word === '$') return { kind: 'field', base: 'root', path: [] };
  if (word.startsWith('$.')) return { kind: 'field', base: 'root', path: word.slice(2).split('.') };
  const variable = /^\$([A-Za-z_]\w*)((?:\.\w+)*)$/.exec(word);
  if (variable) return { kind: 'field', base: { variable: variable[1]! }, path: variable[2] ? variable[2].slice(1).split('.') : [] };
  throw new TemplateError(`cannot read "${word}" in {{ ${source} }}`);
}

function parsePipeline(words: string[], source: string): Pipeline {
  let i = 0;
  const pipeline = (): Pipeline => {
    const commands: Pipeline = [];
    let command: Command = { args: [] };
    const finish = () => {
      if (command.fn === undefined && command.args.length === 0) throw new TemplateError(`empty command in {{ ${source} }}`);
      if (command.fn === undefined && command.args.length > 1) throw new TemplateError(`"${source}": a value cannot take arguments`);
      commands.push(command);
      command = { args: [] };
    };
    while (i < words.length) {
      const word = words[i]!;
      if (word === ')') break;
      i += 1;
      if (word === '|') {
        finish();
      } else if (word === '(') {
        command.args.push({ kind: 'pipeline', pipeline: pipeline() });
        if (words[i] !== ')') throw new TemplateError(`unclosed ( in {{ ${source} }}`);
        i += 1;
      } else if (command.fn === undefined && command.args.length === 0 && /^[A-Za-z]\w*$/.test(word) && !['true', 'false', 'nil'].includes(word)) {
        if (!Object.hasOwn(FUNCTIONS, word) && word !== 'include') throw new TemplateError(`function "${word}" is not in the renderer's subset ({{ ${source} }})`);
        command.fn = word;
      } else {
        command.args.push(parseOperand(word, source));
      }
    }
    finish();
    return commands;
  };
  const result = pipeline();
  if (i !== words.length) throw new TemplateError(`unexpected ) in {{ ${source} }}`);
  return result;
}

/** Parses templates into trees, collecting `define` blocks into `defines`. */
function parse(tokens: Token[], defines: Map<string, Node[]>): Node[] {
  let i = 0;
  const block = (terminators: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (i < tokens.length) {
      const token = tokens[i]!;
      i += 1;
      if (token.kind === 'text') {
        nodes.push(token);
        continue;
      }
      const words = lex(token.source);
      const head = words[0];
      if (head === 'end' || head === 'else') {
        if (!terminators.includes(head)) throw new TemplateError(`unexpected {{ ${token.source} }}`);
        if (head === 'else' && words[1] === 'if') return { nodes, end: `else if ${token.source.replace(/^else\s+if\s+/, '')}` };
        return { nodes, end: head };
      }
      if (head === 'if') {
        const branches: { cond: Pipeline; body: Node[] }[] = [];
        let cond = parsePipeline(words.slice(1), token.source);
        let otherwise: Node[] = [];
        for (;;) {
          const part = block(['else', 'end']);
          branches.push({ cond, body: part.nodes });
          if (part.end === 'end') break;
          if (part.end.startsWith('else if ')) {
            cond = parsePipeline(lex(part.end.slice('else if '.length)), token.source);
            continue;
          }
          otherwise = block(['end']).nodes;
          break;
        }
        nodes.push({ kind: 'if', branches, otherwise });
      } else if (head === 'range' || head === 'with') {
        let rest = words.slice(1);
        let keyVar: string | undefined;
        let valueVar: string | undefined;
        const assign = rest.indexOf(':=');
        if (assign !== -1) {
          const names = rest.slice(0, assign).filter((w) => w !== ',');
          if (head !== 'range' || names.length > 2 || !names.every((n) => /^\$\w+$/.test(n))) {
            throw new TemplateError(`unsupported variables in {{ ${token.source} }}`);
          }
          [keyVar, valueVar] = names.length === 2 ? [names[0]!.slice(1), names[1]!.slice(1)] : [undefined, names[0]!.slice(1)];
          rest = rest.slice(assign + 1);
        }
        const pipeline = parsePipeline(rest, token.source);
        const part = block(['else', 'end']);
        const otherwise = part.end === 'else' ? block(['end']).nodes : [];
        if (head === 'range') nodes.push({ kind: 'range', keyVar, valueVar, pipeline, body: part.nodes, otherwise });
        else nodes.push({ kind: 'with', pipeline, body: part.nodes, otherwise });
      } else if (head === 'define') {
        const name = words[1];
        if (!name?.startsWith('"') || words.length !== 2) throw new TemplateError(`{{ ${token.source} }}: define takes one quoted name`);
        defines.set(JSON.parse(name) as string, block(['end']).nodes);
      } else if (head === 'template') {
        const name = words[1];
        if (!name?.startsWith('"')) throw new TemplateError(`{{ ${token.source} }}: template takes a quoted name`);
        nodes.push({ kind: 'include', name: JSON.parse(name) as string, arg: parsePipeline(words.slice(2), token.source) });
      } else if (head && /^(block|break|continue)$/.test(head)) {
        throw new TemplateError(`"${head}" is not in the renderer's subset`);
      } else if (words.includes(':=') || words.includes('=')) {
        throw new TemplateError(`variable assignment is not in the renderer's subset ({{ ${token.source} }})`);
      } else {
        nodes.push({ kind: 'output', pipeline: parsePipeline(words, token.source) });
      }
    }
    if (terminators.length > 0) throw new TemplateError(`missing {{ end }} (expected one of ${terminators.join(', ')})`);
    return { nodes, end: '' };
  };
  return block([]).nodes;
}

/** Go template truth: false, 0, nil, and empty strings, lists and maps are false. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function printable(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // Go prints maps and lists as map[...] / [...]: a template that prints one is a mistake here.
  throw new TemplateError(`cannot print a ${Array.isArray(value) ? 'list' : 'map'} without toYaml`);
}

function indentLines(spaces: number, text: string): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}

function number(value: unknown, fn: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || Number.isNaN(n)) throw new TemplateError(`${fn}: ${JSON.stringify(value)} is not a number`);
  return n;
}

/** Helm's functions in the subset, each with the argument order Helm uses (piped value last). */
const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  quote: (...args) => args.map((a) => JSON.stringify(printable(a))).join(' '),
  squote: (...args) => args.map((a) => `'${printable(a)}'`).join(' '),
  default: (fallback, value) => (truthy(value) ? value : fallback),
  required: (message, value) => {
    if (value === undefined || value === null || value === '') throw new TemplateError(String(message));
    return value;
  },
  toYaml: (value) => (value === undefined || value === null ? 'null' : stringifyYaml(value).replace(/\n$/, '')),
  indent: (spaces, text) => indentLines(number(spaces, 'indent'), printable(text)),
  nindent: (spaces, text) => `\n${indentLines(number(spaces, 'nindent'), printable(text))}`,
  trunc: (length, text) => printable(text).slice(0, number(length, 'trunc')),
  trimSuffix: (suffix, text) => {
    const s = printable(text);
    return s.endsWith(printable(suffix)) ? s.slice(0, -printable(suffix).length) : s;
  },
  printf: (format, ...args) => {
    let at = 0;
    return printable(format).replace(/%[sdv%]/g, (spec) => (spec === '%%' ? '%' : printable(args[at++])));
  },
  toString: (value: unknown) => printable(value),
  int: (value) => Math.trunc(number(value, 'int')),
  add: (...args) => args.reduce<number>((sum, a) => sum + number(a, 'add'), 0),
  mul: (...args) => args.reduce<number>((product, a) => product * number(a, 'mul'), 1),
  eq: (a, ...rest) => rest.some((b) => b === a),
  ne: (a, b) => a !== b,
  not: (value) => !truthy(value),
  and: (...args) => args.find((a) => !truthy(a)) ?? args[args.length - 1],
  or: (...args) => args.find((a) => truthy(a)) ?? args[args.length - 1],
  empty: (value) => !truthy(value),
};

interface Frame {
  dot: unknown;
  root: unknown;
  variables: Record<string, unknown>;
}

function lookup(value: unknown, pathParts: string[]): unknown {
  let current = value;
  for (const part of pathParts) {
    if (current === undefined || current === null) return undefined;
    if (typeof current !== 'object' || Array.isArray(current)) throw new TemplateError(`cannot read .${part} of a ${typeof current}`);
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function evaluate(expr: Expr, frame: Frame, defines: Map<string, Node[]>): unknown {
  if (expr.kind === 'literal') return expr.value;
  if (expr.kind === 'pipeline') return run(expr.pipeline, frame, defines);
  if (expr.base === 'dot') return lookup(frame.dot, expr.path);
  if (expr.base === 'root') return lookup(frame.root, expr.path);
  if (!(expr.base.variable in frame.variables)) throw new TemplateError(`undefined variable $${expr.base.variable}`);
  return lookup(frame.variables[expr.base.variable], expr.path);
}

function run(pipeline: Pipeline, frame: Frame, defines: Map<string, Node[]>): unknown {
  let piped: unknown[] = [];
  for (const command of pipeline) {
    const args = [...command.args.map((a) => evaluate(a, frame, defines)), ...piped];
    let result: unknown;
    if (command.fn === 'include') {
      const [name, arg] = args;
      result = includeTemplate(String(name), arg, defines);
    } else if (command.fn) {
      result = FUNCTIONS[command.fn]!(...args);
    } else {
      if (piped.length > 0) throw new TemplateError('a value cannot be the target of a pipe');
      result = args[0];
    }
    piped = [result];
  }
  return piped[0];
}

// A defined template sees only its argument, as `.` and as `$`.
function includeTemplate(name: string, arg: unknown, defines: Map<string, Node[]>): string {
  const body = defines.get(name);
  if (!body) throw new TemplateError(`no template "${name}" is defined`);
  return execute(body, { dot: arg, root: arg, variables: {} }, defines);
}

function execute(nodes: Node[], frame: Frame, defines: Map<string, Node[]>): string {
  let out = '';
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out += node.text;
        break;
      case 'output':
        out += printable(run(node.pipeline, frame, defines));
        break;
      case 'include':
        out += includeTemplate(node.name, run(node.arg, frame, defines), defines);
        break;
      case 'if': {
        const branch = node.branches.find((b) => truthy(run(b.cond, frame, defines)));
        out += execute(branch ? branch.body : node.otherwise, frame, defines);
        break;
      }
      case 'with': {
        const value = run(node.pipeline, frame, defines);
        out += truthy(value) ? execute(node.body, { ...frame, dot: value }, defines) : execute(node.otherwise, frame, defines);
        break;
      }
      case 'range': {
        const value = run(node.pipeline, frame, defines);
        if (!truthy(value)) {
          out += execute(node.otherwise, frame, defines);
          break;
        }
        if (typeof value !== 'object' || value === null) throw new TemplateError('range needs a list or a map');
        // Go ranges over a map in key order.
        const entries: [unknown, unknown][] = Array.isArray(value)
          ? value.map((v, i) => [i, v])
          : Object.keys(value)
              .sort()
              .map((k) => [k, (value as Record<string, unknown>)[k]]);
        for (const [key, item] of entries) {
          const variables = { ...frame.variables };
          if (node.keyVar) variables[node.keyVar] = key;
          if (node.valueVar) variables[node.valueVar] = item;
          out += execute(node.body, { ...frame, dot: item, variables }, defines);
        }
        break;
      }
    }
  }
  return out;
}

/** Renders one template with the defines given (from `_helpers.tpl` files). */
export function renderTemplate(template: string, scope: TemplateScope, defines = new Map<string, Node[]>()): string {
  const nodes = parse(tokenize(template), defines);
  return execute(nodes, { dot: scope, root: scope, variables: {} }, defines);
}

/** Helm's value merge: maps merge key by key, anything else (lists included) is replaced. */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (base && override && typeof base === 'object' && typeof override === 'object' && !Array.isArray(base) && !Array.isArray(override)) {
    const result: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [key, value] of Object.entries(override)) {
      // As in helm, null deletes a default.
      if (value === null) delete result[key];
      else result[key] = mergeValues(result[key], value);
    }
    return result;
  }
  return override;
}

/** One rendered manifest: the template it came from and the parsed object. */
export interface RenderedManifest {
  template: string;
  object: Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } & Record<string, unknown> };
}

/**
 * Renders every template of a chart directory (as `helm template` would, for the subset) with
 * `values.yaml` merged with `overrides`, and parses the output as YAML documents.
 */
export function renderChart(
  chartDir: string,
  overrides: Record<string, unknown> = {},
  release: { name: string; namespace: string } = { name: 'ceos', namespace: 'default' },
): RenderedManifest[] {
  const chart = parseYaml(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const values = mergeValues(parseYaml(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')), overrides);
  const scope: TemplateScope = {
    Values: values,
    Release: { Name: release.name, Namespace: release.namespace, Service: 'Helm', IsInstall: true, IsUpgrade: false },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
  };
  const templatesDir = path.join(chartDir, 'templates');
  const files = readdirSync(templatesDir).sort();
  const defines = new Map<string, Node[]>();
  for (const file of files.filter((f) => f.startsWith('_'))) {
    const rendered = renderTemplate(readFileSync(path.join(templatesDir, file), 'utf8'), scope, defines);
    if (rendered.trim() !== '') throw new TemplateError(`${file}: a helpers file must hold only defines`);
  }
  const manifests: RenderedManifest[] = [];
  for (const file of files.filter((f) => !f.startsWith('_') && /\.ya?ml$/.test(f))) {
    const text = renderTemplate(readFileSync(path.join(templatesDir, file), 'utf8'), scope, defines);
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new TemplateError(`${file}: the rendered YAML does not parse: ${doc.errors[0]!.message}\n${text}`);
      const object = doc.toJS() as RenderedManifest['object'] | null;
      if (object === null) continue;
      manifests.push({ template: file, object });
    }
  }
  return manifests;
}
