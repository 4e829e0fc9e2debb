/** The subset of JSON Schema (OpenAPI 3.0 flavour) that GitHub's REST description uses for bodies and parameters. */
export interface JsonSchema {
  /** `#/components/...` reference, resolved through the options' `resolveRef`. */
  $ref?: string;
  /** Primitive type; OpenAPI 3.0 uses a single name, 3.1 may list several. */
  type?: string | string[];
  /** Value format, e.g. `date`; checked only for query parameters. */
  format?: string;
  /** OpenAPI 3.0 way of allowing `null`. */
  nullable?: boolean;
  /** Declared object fields. */
  properties?: Record<string, JsonSchema>;
  /** Object fields that must be present. */
  required?: string[];
  /** `false` forbids undeclared fields, `true` or a schema allows them. */
  additionalProperties?: boolean | JsonSchema;
  /** Schema every array element must match. */
  items?: JsonSchema;
  /** Allowed values. */
  enum?: unknown[];
  /** String length bounds. */
  maxLength?: number;
  /** String length bounds. */
  minLength?: number;
  /** Array length bounds. */
  maxItems?: number;
  /** Array length bounds. */
  minItems?: number;
  /** Numeric bounds. */
  minimum?: number;
  /** Numeric bounds. */
  maximum?: number;
  /** Exactly one (treated as at least one) of these must match. */
  oneOf?: JsonSchema[];
  /** At least one of these must match. */
  anyOf?: JsonSchema[];
  /** Every one of these must match. */
  allOf?: JsonSchema[];
}

/** Why a value does not fit its schema. `unknown-field` is the only kind GitHub tolerates (it ignores such fields). */
export type SchemaProblemKind = 'missing' | 'type' | 'enum' | 'limit' | 'unknown-field';

/** One mismatch between a value and its schema. */
export interface SchemaProblem {
  /** Dotted location of the offending value, e.g. `output.annotations`. */
  pointer: string;
  /** What is wrong, phrased like GitHub's validation messages. */
  message: string;
  /** Class of the problem. */
  kind: SchemaProblemKind;
}

/** How strictly to validate. */
export interface ValidateOptions {
  /** Resolves a `$ref` string to its schema. */
  resolveRef: (ref: string) => JsonSchema;
  /** Report absent required fields (off for responses, where the fake returns only the fields CEOS reads). */
  checkRequired: boolean;
}

/** Validates `value` against `schema`, returning every problem found (empty when it fits). */
export function validateAgainstSchema(
  value: unknown,
  schema: JsonSchema,
  options: ValidateOptions,
  pointer = '',
): SchemaProblem[] {
  const resolved = deref(schema, options);
  const problems: SchemaProblem[] = [];

  if (value === null) {
    if (resolved.nullable === true || typeAllows(resolved.type, 'null') || hasNullableBranch(resolved, options)) {
      return problems;
    }
    if (resolved.type !== undefined || resolved.properties !== undefined) {
      problems.push({ pointer, kind: 'type', message: `${describe(pointer)} null is not ${article(resolved.type)}.` });
      return problems;
    }
  }

  if (resolved.type !== undefined && value !== null && !matchesType(value, resolved.type)) {
    problems.push({
      pointer,
      kind: 'type',
      message: `${describe(pointer)} ${show(value)} is not ${article(resolved.type)}.`,
    });
    return problems;
  }

  if (resolved.enum !== undefined && !resolved.enum.includes(value)) {
    problems.push({
      pointer,
      kind: 'enum',
      message: `${describe(pointer)} ${show(value)} is not a member of [${resolved.enum.map((v) => JSON.stringify(v)).join(', ')}].`,
    });
  }

  if (typeof value === 'string') {
    if (resolved.maxLength !== undefined && value.length > resolved.maxLength) {
      problems.push({
        pointer,
        kind: 'limit',
        message: `${describe(pointer)} ${show(value)} is too long (maximum is ${resolved.maxLength} characters).`,
      });
    }
    if (resolved.minLength !== undefined && value.length < resolved.minLength) {
      problems.push({
        pointer,
        kind: 'limit',
        message: `${describe(pointer)} ${show(value)} is too short (minimum is ${resolved.minLength} characters).`,
      });
    }
  }

  if (typeof value === 'number') {
    if (resolved.minimum !== undefined && value < resolved.minimum) {
      problems.push({ pointer, kind: 'limit', message: `${describe(pointer)} ${value} is less than the minimum of ${resolved.minimum}.` });
    }
    if (resolved.maximum !== undefined && value > resolved.maximum) {
      problems.push({ pointer, kind: 'limit', message: `${describe(pointer)} ${value} is greater than the maximum of ${resolved.maximum}.` });
    }
  }

  if (Array.isArray(value)) {
    if (resolved.maxItems !== undefined && value.length > resolved.maxItems) {
      problems.push({
        pointer,
        kind: 'limit',
        message: `${describe(pointer)} the array has ${value.length} elements, which is too long (maximum is ${resolved.maxItems} elements).`,
      });
    }
    if (resolved.minItems !== undefined && value.length < resolved.minItems) {
      problems.push({
        pointer,
        kind: 'limit',
        message: `${describe(pointer)} the array has ${value.length} elements, which is too short (minimum is ${resolved.minItems} elements).`,
      });
    }
    if (resolved.items !== undefined) {
      const items = resolved.items;
      value.forEach((item, index) => {
        problems.push(...validateAgainstSchema(item, items, options, join(pointer, String(index))));
      });
    }
  }

  if (isPlainObject(value)) {
    problems.push(...validateObject(value, resolved, options, pointer));
  }

  for (const part of resolved.allOf ?? []) {
    problems.push(
      ...validateAgainstSchema(value, part, options, pointer).filter((p) => p.kind !== 'unknown-field'),
    );
  }
  const alternatives = resolved.oneOf ?? resolved.anyOf;
  if (alternatives !== undefined && value !== null) {
    problems.push(...bestAlternative(value, alternatives, options, pointer));
  }
  return problems;
}

/** Splits problems into those GitHub rejects with a 422 and those it silently ignores. */
export function isHardProblem(problem: SchemaProblem): boolean {
  return problem.kind !== 'unknown-field';
}

function validateObject(
  value: Record<string, unknown>,
  schema: JsonSchema,
  options: ValidateOptions,
  pointer: string,
): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const declared = declaredProperties(schema, options);
  if (options.checkRequired) {
    for (const name of schema.required ?? []) {
      if (!(name in value) || value[name] === undefined) {
        problems.push({ pointer: join(pointer, name), kind: 'missing', message: `"${name}" wasn't supplied.` });
      }
    }
  }
  for (const [name, fieldValue] of Object.entries(value)) {
    if (fieldValue === undefined) continue;
    const fieldSchema = declared?.get(name);
    if (fieldSchema !== undefined) {
      problems.push(...validateAgainstSchema(fieldValue, fieldSchema, options, join(pointer, name)));
      continue;
    }
    const extra = schema.additionalProperties;
    if (typeof extra === 'object') {
      problems.push(...validateAgainstSchema(fieldValue, extra, options, join(pointer, name)));
    } else if (declared !== undefined && extra !== true) {
      problems.push({
        pointer: join(pointer, name),
        kind: 'unknown-field',
        message: `"${name}" is not a field this operation declares.`,
      });
    }
  }
  return problems;
}

/** Properties from the schema and its `allOf` parts; undefined when the schema declares none (anything goes). */
function declaredProperties(schema: JsonSchema, options: ValidateOptions): Map<string, JsonSchema> | undefined {
  if (schema.properties === undefined && schema.allOf === undefined) return undefined;
  const result = new Map<string, JsonSchema>(Object.entries(schema.properties ?? {}));
  for (const part of schema.allOf ?? []) {
    const resolved = deref(part, options);
    const nested = declaredProperties(resolved, options);
    if (nested === undefined) return undefined;
    for (const [name, fieldSchema] of nested) result.set(name, fieldSchema);
  }
  return result;
}

function bestAlternative(
  value: unknown,
  alternatives: JsonSchema[],
  options: ValidateOptions,
  pointer: string,
): SchemaProblem[] {
  let best: SchemaProblem[] | undefined;
  for (const alternative of alternatives) {
    const problems = validateAgainstSchema(value, alternative, options, pointer);
    if (problems.length === 0) return [];
    if (best === undefined || score(problems) < score(best)) best = problems;
  }
  return best ?? [];
}

function score(problems: SchemaProblem[]): number {
  return problems.reduce((sum, p) => sum + (p.kind === 'unknown-field' ? 1 : 1000), 0);
}

function hasNullableBranch(schema: JsonSchema, options: ValidateOptions): boolean {
  const alternatives = schema.oneOf ?? schema.anyOf ?? [];
  return alternatives.some((a) => {
    const r = deref(a, options);
    return r.nullable === true || typeAllows(r.type, 'null');
  });
}

function deref(schema: JsonSchema, options: ValidateOptions): JsonSchema {
  let current = schema;
  for (let depth = 0; current.$ref !== undefined && depth < 20; depth++) {
    const target = options.resolveRef(current.$ref);
    // OpenAPI 3.1 allows siblings next to $ref (e.g. a nullable wrapper); keep them.
    const { $ref: _ignored, ...siblings } = current;
    current = { ...target, ...siblings };
  }
  return current;
}

function typeAllows(type: string | string[] | undefined, name: string): boolean {
  return Array.isArray(type) ? type.includes(name) : type === name;
}

function matchesType(value: unknown, type: string | string[]): boolean {
  const types = Array.isArray(type) ? type : [type];
  return types.some((t) => {
    switch (t) {
      case 'string':
        return typeof value === 'string';
      case 'integer':
        return typeof value === 'number' && Number.isInteger(value);
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'boolean':
        return typeof value === 'boolean';
      case 'array':
        return Array.isArray(value);
      case 'object':
        return isPlainObject(value);
      case 'null':
        return value === null;
      default:
        return true;
    }
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(pointer: string, name: string): string {
  return pointer === '' ? name : `${pointer}.${name}`;
}

function describe(pointer: string): string {
  return pointer === '' ? 'For the body,' : `For '${pointer.split('.').map((p) => (/^\d+$/.test(p) ? `items/${p}` : `properties/${p}`)).join('/')}',`;
}

function article(type: string | string[] | undefined): string {
  const name = Array.isArray(type) ? type.join(' or ') : (type ?? 'valid');
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
