import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { JsonSchema } from './schema-validator.js';

/** A parameter of an operation, with its `$ref` resolved. */
export interface SpecParameter {
  /** Parameter name as it appears in the URL or query. */
  name: string;
  /** Where the parameter goes. */
  in: 'path' | 'query' | 'header' | 'cookie';
  /** Whether the request must carry it. */
  required: boolean;
  /** Its value's schema. */
  schema: JsonSchema;
}

/** One REST operation from GitHub's OpenAPI description. */
export interface SpecOperation {
  /** GitHub's operation id, e.g. `copilot/list-copilot-seats`. */
  operationId: string;
  /** Upper-case HTTP method. */
  method: string;
  /** Path template, e.g. `/orgs/{org}/copilot/billing/seats`. */
  template: string;
  /** Path and query parameters. */
  parameters: SpecParameter[];
  /** JSON request body, when the operation takes one. */
  requestBody: { required: boolean; schema: JsonSchema } | undefined;
  /** JSON response body schema per status code. */
  responses: Map<number, JsonSchema | undefined>;
}

/** The result of matching a request against the description. */
export type OperationMatch =
  | { kind: 'operation'; operation: SpecOperation; params: Record<string, string> }
  | { kind: 'wrong-method'; template: string; methods: string[] }
  | { kind: 'no-path' };

/** Path-template lookup over GitHub's REST description. */
export interface OpenApiIndex {
  /** Finds the operation for a method and a path (without the `/api/v3` prefix). */
  match(method: string, path: string): OperationMatch;
  /** Looks an operation up by its id. */
  byOperationId(operationId: string): SpecOperation | undefined;
  /** Resolves a `#/components/...` reference. */
  resolveRef(ref: string): JsonSchema;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation | RawParameter[]>>;
  components: Record<string, Record<string, unknown>>;
}

interface RawOperation {
  operationId: string;
  parameters?: (RawParameter | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> } | { $ref: string };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: JsonSchema }> }>;
}

interface RawParameter {
  name: string;
  in: SpecParameter['in'];
  required?: boolean;
  schema?: JsonSchema;
}

interface CompiledTemplate {
  template: string;
  pattern: RegExp;
  names: string[];
  literalSegments: number;
  operations: Map<string, RawOperation>;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

let cached: OpenApiIndex | undefined;

/** The index over the api.github.com description, built on first use and shared by every fake in the process. */
export function loadOpenApiIndex(): OpenApiIndex {
  cached ??= buildIndex(readSpec());
  return cached;
}

function readSpec(): OpenApiDocument {
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  return JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument;
}

function buildIndex(spec: OpenApiDocument): OpenApiIndex {
  // Bucketed by first segment so a lookup tries a few dozen templates, not all ~800.
  const buckets = new Map<string, CompiledTemplate[]>();
  for (const [template, item] of Object.entries(spec.paths)) {
    const operations = new Map<string, RawOperation>();
    for (const [method, operation] of Object.entries(item)) {
      if (HTTP_METHODS.has(method)) operations.set(method.toUpperCase(), operation as RawOperation);
    }
    const compiled = compileTemplate(template, operations);
    const first = template.split('/')[1] ?? '';
    const key = first.startsWith('{') ? '*' : first;
    const bucket = buckets.get(key) ?? [];
    bucket.push(compiled);
    buckets.set(key, bucket);
  }
  for (const bucket of buckets.values()) {
    // A literal segment beats a parameter: /orgs/{org}/copilot/billing before /orgs/{org}/{anything}.
    bucket.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  const resolveRef = (ref: string): JsonSchema => {
    const parts = ref.replace(/^#\//, '').split('/');
    let node: unknown = spec;
    for (const part of parts) {
      node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    if (node === undefined) throw new Error(`OpenAPI reference ${ref} does not resolve`);
    return node as JsonSchema;
  };

  const operationCache = new Map<RawOperation, SpecOperation>();
  const toSpecOperation = (compiled: CompiledTemplate, method: string, raw: RawOperation): SpecOperation => {
    let operation = operationCache.get(raw);
    if (operation === undefined) {
      operation = compileOperation(compiled.template, method, raw, resolveRef);
      operationCache.set(raw, operation);
    }
    return operation;
  };

  const byId = new Map<string, { compiled: CompiledTemplate; method: string; raw: RawOperation }>();
  for (const bucket of buckets.values()) {
    for (const compiled of bucket) {
      for (const [method, raw] of compiled.operations) byId.set(raw.operationId, { compiled, method, raw });
    }
  }

  return {
    resolveRef,
    byOperationId(operationId) {
      const entry = byId.get(operationId);
      return entry === undefined ? undefined : toSpecOperation(entry.compiled, entry.method, entry.raw);
    },
    match(method, path) {
      const first = path.split('/')[1] ?? '';
      const candidates = [...(buckets.get(first) ?? []), ...(buckets.get('*') ?? [])];
      let wrongMethod: { template: string; methods: string[] } | undefined;
      for (const compiled of candidates) {
        const found = compiled.pattern.exec(path);
        if (found === null) continue;
        const raw = compiled.operations.get(method.toUpperCase());
        if (raw === undefined) {
          wrongMethod ??= { template: compiled.template, methods: [...compiled.operations.keys()] };
          continue;
        }
        const params: Record<string, string> = {};
        compiled.names.forEach((name, i) => {
          params[name] = safeDecode(found[i + 1] ?? '');
        });
        return { kind: 'operation', operation: toSpecOperation(compiled, method.toUpperCase(), raw), params };
      }
      return wrongMethod === undefined ? { kind: 'no-path' } : { kind: 'wrong-method', ...wrongMethod };
    },
  };
}

function compileTemplate(template: string, operations: Map<string, RawOperation>): CompiledTemplate {
  const names: string[] = [];
  let literalSegments = 0;
  const segments = template.split('/').slice(1);
  const source = segments
    .map((segment, index) => {
      const param = /^\{([^}]+)\}$/.exec(segment);
      if (param === null) {
        literalSegments++;
        return escapeRegExp(segment).replace(/\\\{[^}]+\\\}/g, () => '([^/]+)');
      }
      names.push(param[1] ?? '');
      // A file path in the contents API spans several segments.
      const greedy = param[1] === 'path' && index === segments.length - 1;
      return greedy ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { template, pattern: new RegExp(`^/${source}/?$`), names, literalSegments, operations };
}

function compileOperation(
  template: string,
  method: string,
  raw: RawOperation,
  resolveRef: (ref: string) => JsonSchema,
): SpecOperation {
  const parameters: SpecParameter[] = (raw.parameters ?? []).map((p) => {
    const param = ('$ref' in p ? resolveRef(p.$ref) : p) as unknown as RawParameter;
    return { name: param.name, in: param.in, required: param.required === true, schema: param.schema ?? {} };
  });
  let requestBody: SpecOperation['requestBody'];
  if (raw.requestBody !== undefined) {
    const body = ('$ref' in raw.requestBody ? resolveRef(raw.requestBody.$ref) : raw.requestBody) as {
      required?: boolean;
      content?: Record<string, { schema?: JsonSchema }>;
    };
    const schema = body.content?.['application/json']?.schema;
    if (schema !== undefined) requestBody = { required: body.required === true, schema };
  }
  const responses = new Map<number, JsonSchema | undefined>();
  for (const [status, rawResponse] of Object.entries(raw.responses)) {
    const response = (rawResponse.$ref !== undefined ? resolveRef(rawResponse.$ref) : rawResponse) as {
      content?: Record<string, { schema?: JsonSchema }>;
    };
    responses.set(Number(status), response.content?.['application/json']?.schema);
  }
  return { operationId: raw.operationId, method, template, parameters, requestBody, responses };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
