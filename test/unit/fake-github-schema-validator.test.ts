import { describe, expect, it } from 'vitest';
import { isHardProblem, validateAgainstSchema } from '../fake-github/schema-validator.js';
import type { JsonSchema } from '../fake-github/schema-validator.js';

const components: Record<string, JsonSchema> = {
  '#/components/schemas/user': { type: 'object', properties: { login: { type: 'string' }, id: { type: 'integer' } }, required: ['login'], nullable: true },
};
const resolveRef = (ref: string): JsonSchema => {
  const schema = components[ref];
  if (schema === undefined) throw new Error(ref);
  return schema;
};

const body: JsonSchema = {
  type: 'object',
  properties: {
    selected_usernames: { type: 'array', items: { type: 'string' }, minItems: 1 },
    content: { type: 'string', enum: ['+1', 'rocket'] },
    summary: { type: 'string', maxLength: 5 },
    annotations: { type: 'array', maxItems: 2, items: { type: 'object', properties: { line: { type: 'integer' } }, required: ['line'] } },
    user: { $ref: '#/components/schemas/user' },
    team: { oneOf: [{ type: 'object', properties: { slug: { type: 'string' } } }, { type: 'object', properties: { group: { type: 'string' } } }], nullable: true },
  },
  required: ['selected_usernames'],
};

describe('validateAgainstSchema', () => {
  const cases: { name: string; value: unknown; expected: [string, string][] }[] = [
    { name: 'a valid body', value: { selected_usernames: ['a'], content: 'rocket' }, expected: [] },
    { name: 'a missing required field', value: {}, expected: [['missing', 'selected_usernames']] },
    { name: 'a wrong primitive type', value: { selected_usernames: 'a' }, expected: [['type', 'selected_usernames']] },
    { name: 'a wrong item type', value: { selected_usernames: [1] }, expected: [['type', 'selected_usernames.0']] },
    { name: 'too few items', value: { selected_usernames: [] }, expected: [['limit', 'selected_usernames']] },
    { name: 'a value outside the enum', value: { selected_usernames: ['a'], content: 'thumbsup' }, expected: [['enum', 'content']] },
    { name: 'a string over maxLength', value: { selected_usernames: ['a'], summary: '123456' }, expected: [['limit', 'summary']] },
    {
      name: 'too many items and a bad item',
      value: { selected_usernames: ['a'], annotations: [{ line: 1 }, { line: 'x' }, {}] },
      expected: [['limit', 'annotations'], ['type', 'annotations.1.line'], ['missing', 'annotations.2.line']],
    },
    { name: 'an undeclared field', value: { selected_usernames: ['a'], extra: true }, expected: [['unknown-field', 'extra']] },
    { name: 'a referenced schema', value: { selected_usernames: ['a'], user: { login: 5 } }, expected: [['type', 'user.login']] },
    { name: 'null where the reference is nullable', value: { selected_usernames: ['a'], user: null }, expected: [] },
    { name: 'either branch of oneOf', value: { selected_usernames: ['a'], team: { group: 'g' } }, expected: [] },
    { name: 'null for a nullable oneOf', value: { selected_usernames: ['a'], team: null }, expected: [] },
    { name: 'an integer given as a float', value: { selected_usernames: ['a'], annotations: [{ line: 1.5 }] }, expected: [['type', 'annotations.0.line']] },
  ];
  for (const { name, value, expected } of cases) {
    it(`reports ${name}`, () => {
      const problems = validateAgainstSchema(value, body, { resolveRef, checkRequired: true });
      expect(problems.map((p) => [p.kind, p.pointer])).toEqual(expected);
    });
  }

  it('skips required fields when asked (responses carry only the fields used)', () => {
    expect(validateAgainstSchema({}, body, { resolveRef, checkRequired: false })).toEqual([]);
  });

  it('phrases problems like GitHub and tells hard problems from ignorable ones', () => {
    const [missing] = validateAgainstSchema({}, body, { resolveRef, checkRequired: true });
    expect(missing?.message).toBe('"selected_usernames" wasn\'t supplied.');
    expect(isHardProblem(missing!)).toBe(true);
    const [unknown] = validateAgainstSchema({ selected_usernames: ['a'], x: 1 }, body, { resolveRef, checkRequired: true });
    expect(isHardProblem(unknown!)).toBe(false);
    const [tooLong] = validateAgainstSchema({ selected_usernames: ['a'], summary: '123456' }, body, { resolveRef, checkRequired: true });
    expect(tooLong?.message).toBe('For \'properties/summary\', "123456" is too long (maximum is 5 characters).');
  });
});
