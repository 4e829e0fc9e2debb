import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../src/api/route-table.js';
import { API_ROLES, roleAllows } from '../../src/api/roles.js';

describe('docs/api.md', () => {
  it("has the route × role table of the route table, row for row", () => {
    const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const rows = doc.split('\n').filter((line) => /^\| `(GET|POST|DELETE) \/api\/v1/.test(line));
    const expected = API_ROUTES.map(
      (r) => `| \`${r.method} /api/v1${r.url.replace(/:(\w+)/g, '{$1}')}\` | ${API_ROLES.map((role) => (roleAllows(role, r.permission) ? '✓' : '')).join(' | ')} |`,
    );
    expect(rows).toEqual(expected);
  });
});
