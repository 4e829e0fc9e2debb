import { errorResult } from './github-errors.js';
import type { SpecOperation } from './openapi-index.js';
import type { ViolationKind } from './request-log.js';
import type { RouteResult } from './route-types.js';
import { isHardProblem, validateAgainstSchema } from './schema-validator.js';
import type { JsonSchema, SchemaProblem } from './schema-validator.js';

/** A departure from the description found in a request. */
export interface RequestFinding {
  /** Violation kind to record. */
  kind: ViolationKind;
  /** What is wrong. */
  message: string;
}

/**
 * Checks query parameters and body against the operation. Returns every finding, and the 422 GitHub would answer
 * when one of them is a hard error (undeclared fields and parameters are findings only: GitHub ignores them).
 */
export function validateRequest(
  operation: SpecOperation,
  query: URLSearchParams,
  body: unknown,
  resolveRef: (ref: string) => JsonSchema,
): { findings: RequestFinding[]; rejection: RouteResult | undefined } {
  const findings: RequestFinding[] = [];
  const hard: string[] = [];
  const declared = new Map(operation.parameters.filter((p) => p.in === 'query').map((p) => [p.name, p]));
  for (const [name, value] of query) {
    const param = declared.get(name);
    if (param === undefined) {
      findings.push({ kind: 'unknown-query-parameter', message: `${operation.operationId} declares no query parameter "${name}".` });
      continue;
    }
    const problem = checkQueryValue(value, param.schema.$ref === undefined ? param.schema : resolveRef(param.schema.$ref));
    if (problem !== undefined) {
      findings.push({ kind: 'invalid-query-parameter', message: `Query parameter "${name}": ${JSON.stringify(value)} ${problem}` });
      hard.push(`For 'properties/${name}', ${JSON.stringify(value)} ${problem}`);
    }
  }
  for (const param of declared.values()) {
    if (param.required && !query.has(param.name)) {
      findings.push({ kind: 'missing-query-parameter', message: `Query parameter "${param.name}" is required.` });
      hard.push(`"${param.name}" wasn't supplied.`);
    }
  }
  if (operation.requestBody === undefined) {
    // Octokit sends `{}` with bodiless POST/PUT/DELETE requests; that is not worth a finding.
    if (body !== undefined && !(isEmptyObject(body) && operation.method !== 'GET')) {
      findings.push({ kind: 'unexpected-body', message: `${operation.operationId} takes no request body.` });
    }
  } else if (body !== undefined || operation.requestBody.required) {
    const problems = validateAgainstSchema(body ?? {}, operation.requestBody.schema, { resolveRef, checkRequired: true });
    for (const problem of problems) {
      findings.push({ kind: isHardProblem(problem) ? 'invalid-body' : 'unknown-body-field', message: describeProblem(problem) });
      if (isHardProblem(problem)) hard.push(problem.message);
    }
  }
  return { findings, rejection: hard.length === 0 ? undefined : errorResult(422, `Invalid request.\n\n${hard.join('\n')}`) };
}

/** `pointer: message`, for violation messages. */
export function describeProblem(problem: SchemaProblem): string {
  return problem.pointer === '' ? problem.message : `${problem.pointer}: ${problem.message}`;
}

function checkQueryValue(value: string, schema: JsonSchema): string | undefined {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'integer' && !/^-?\d+$/.test(value)) return 'is not an integer.';
  if (type === 'number' && Number.isNaN(Number(value))) return 'is not a number.';
  if (type === 'boolean' && value !== 'true' && value !== 'false') return 'is not a boolean.';
  if (schema.format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) return 'is not a date (YYYY-MM-DD).';
  if (schema.enum !== undefined && !schema.enum.map(String).includes(value)) return `is not a member of [${schema.enum.join(', ')}].`;
  return undefined;
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}
