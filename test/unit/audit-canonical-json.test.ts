import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/domain/audit/canonical-json.js';

describe('canonicalJson', () => {
  const cases: [string, unknown, string][] = [
    ['null', null, 'null'],
    ['true', true, 'true'],
    ['false', false, 'false'],
    ['integer', 42, '42'],
    ['negative zero as zero', -0, '0'],
    ['fraction', 0.1 + 0.2, '0.30000000000000004'],
    ['large number in exponent form', 1e21, '1e+21'],
    ['NaN as null', Number.NaN, 'null'],
    ['Infinity as null', Number.POSITIVE_INFINITY, 'null'],
    ['string with escapes', 'a"b\\c\n\u0001', '"a\\"b\\\\c\\n\\u0001"'],
    ['non-ASCII kept as is', 'Zoë ✓', '"Zoë ✓"'],
    ['lone surrogate escaped', '\ud800', '"\\ud800"'],
    ['empty object', {}, '{}'],
    ['empty array', [], '[]'],
    ['keys sorted', { b: 1, a: 2, c: 3 }, '{"a":2,"b":1,"c":3}'],
    ['keys sorted recursively', { z: { y: 1, x: [{ b: 1, a: 2 }] }, a: null }, '{"a":null,"z":{"x":[{"a":2,"b":1}],"y":1}}'],
    ['keys sorted by code unit, not locale', { b: 1, B: 2, a: 3, _: 4, '10': 5, '9': 6 }, '{"10":5,"9":6,"B":2,"_":4,"a":3,"b":1}'],
    ['undefined members left out', { a: undefined, b: 1 }, '{"b":1}'],
    ['undefined array items as null', [undefined, 1, () => 1], '[null,1,null]'],
    ['dates through toJSON', { at: new Date(Date.UTC(2026, 10, 29, 12, 0, 0, 7)) }, '{"at":"2026-11-29T12:00:00.007Z"}'],
    ['array order kept', [3, 1, 2], '[3,1,2]'],
  ];

  it.each(cases)('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('gives the same text whatever order keys were inserted in', () => {
    const one = { org: 'acme', seq: 1, details: { b: [1, { d: 1, c: 2 }], a: 'x' } };
    const two = { details: { a: 'x', b: [1, { c: 2, d: 1 }] }, seq: 1, org: 'acme' };
    expect(canonicalJson(one)).toBe(canonicalJson(two));
  });

  it('parses back to the same value (for plain JSON data)', () => {
    const value = { list: [1, 'two', { three: 3 }], nested: { deep: { deeper: true } }, n: -1.5e-7 };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });

  it('allows the same object twice when it is not circular', () => {
    const shared = { a: 1 };
    expect(canonicalJson({ x: shared, y: shared })).toBe('{"x":{"a":1},"y":{"a":1}}');
  });

  it('refuses what has no JSON form', () => {
    expect(() => canonicalJson(10n)).toThrow(/bigint/);
    expect(() => canonicalJson(undefined)).toThrow(/no JSON form/);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => canonicalJson(circular)).toThrow(/circular/);
  });
});
