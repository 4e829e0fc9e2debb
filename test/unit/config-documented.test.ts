import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import dotenv from 'dotenv';
import { CONFIG_VARIABLES, loadConfig } from '../../src/app/config.js';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

// The README's table and .env.example both say they list every variable CEOS reads: a variable
// added to the configuration without them fails here.
describe('every configuration variable is documented', () => {
  it('has a line of its own in .env.example', () => {
    const assigned = new Set([...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    expect(CONFIG_VARIABLES.filter((name) => !assigned.has(name))).toEqual([]);
  });

  it('copied as it is, .env.example is a valid configuration', () => {
    expect(() => loadConfig(dotenv.parse(read('.env.example')))).not.toThrow();
  });

  it("is named in the README's configuration table", () => {
    const readme = read('README.md');
    expect(CONFIG_VARIABLES.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});
