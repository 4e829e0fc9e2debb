import { afterEach, describe, expect, it } from 'vitest';
import { replaceSeats } from '../../src/db/mirror.js';
import type { CopilotSeat } from '../../src/domain/plan-types.js';
import { seedOrg } from '../helpers/api.js';
import { runCli } from '../helpers/cli.js';
import { backend, cliDatabase } from '../helpers/database.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const DAY = 86_400_000;
// More than two of the command's pages (1,000 seats each), so every page boundary is crossed.
const SEATS = 2_345;

/** `User0001`…: mixed case, so the order is the case-insensitive one the API pages by. */
function seats(now: Date): CopilotSeat[] {
  return Array.from({ length: SEATS }, (_, i) => {
    const idle = i % 3 === 0 ? 60 : 2;
    const last = new Date(now.getTime() - idle * DAY).toISOString();
    return {
      assigneeLogin: `${i % 2 === 0 ? 'User' : 'user'}${String(i).padStart(4, '0')}`,
      assigneeId: 10_000 + i,
      assigningTeamSlug: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      lastActivityAt: last,
      lastActivityEditor: 'vscode',
      lastAuthenticatedAt: last,
      pendingCancellationDate: null,
      planType: 'business',
    };
  });
}

describe(`ceos seats on a large organization (${backend})`, () => {
  it('pages through the mirror in login order and streams every seat once, as a table, a JSON array or JSON lines', async () => {
    const { env, open } = cliDatabase((cleanup) => cleanups.push(cleanup));
    const database = await open();
    const now = new Date();
    try {
      await seedOrg(database.db, 'Initech', 3, now);
      await replaceSeats(database.db, 'initech', seats(now), now);
    } finally {
      await database.close();
    }
    const expected = seats(now)
      .map((s) => s.assigneeLogin)
      .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));

    const json = await runCli(['seats', 'Initech', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const all = JSON.parse(json.stdout) as { login: string; inactive_days: number }[];
    expect(all.map((s) => s.login)).toEqual(expected);

    const inactive = await runCli(['seats', 'initech', '--inactive', '30', '--jsonl'], env);
    expect(inactive.code, inactive.stderr).toBe(0);
    const lines = inactive.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { login: string; inactive_days: number });
    expect(lines.map((s) => s.login)).toEqual(expected.filter((l) => Number(l.slice(4)) % 3 === 0));
    expect(lines.every((s) => s.inactive_days >= 30)).toBe(true);

    const table = await runCli(['seats', 'initech', '--state', 'active'], env);
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^login\s+inactive days\s+last activity/);
    expect(rows[1]).toMatch(/^-+\s+-+/);
    expect(rows.slice(2).map((r) => r.split(/\s+/)[0])).toEqual(expected.filter((l) => Number(l.slice(4)) % 3 !== 0));

    // An empty listing is still valid JSON, and a table says so.
    const none = await runCli(['seats', 'initech', '--inactive', '365', '--json'], env);
    expect(JSON.parse(none.stdout)).toEqual([]);
    expect((await runCli(['seats', 'initech', '--inactive', '365'], env)).stdout).toMatch(/no seats match in Initech/);
  }, 120_000);
});
