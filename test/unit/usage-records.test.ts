import { describe, expect, it } from 'vitest';
import { type TeamUsage, UsageRecordError, addToTeams, parseOrgUsageLine, parseUserTeamLine, parseUserUsageLine } from '../../src/domain/usage/parse-usage-records.js';
import { ndjsonLines } from '../../src/github/usage-ndjson-lines.js';
import { orgDayRecord, userDayRecord, userTeamRecord } from '../fake-github/usage-fixtures.js';

const DAY = '2026-11-28';

describe('parsing the users report', () => {
  it("reads GitHub's record, ignoring fields it does not know", () => {
    const line = JSON.stringify({ ...userDayRecord({ id: 42, login: 'octocat', day: DAY, interactions: 7, generations: 9, acceptances: 5, locSuggested: 30, locAdded: 21, agent: true }), a_field_added_next_year: { x: 1 } });
    expect(parseUserUsageLine(line, 1, DAY)).toEqual({
      userId: 42,
      login: 'octocat',
      day: DAY,
      interactions: 7,
      codeGenerations: 9,
      codeAcceptances: 5,
      locSuggested: 30,
      locAdded: 21,
      usedChat: true,
      usedAgent: true,
      ide: 'vscode',
    });
  });

  it('names the editor with the most code generation, then the most interactions', () => {
    const record = {
      ...userDayRecord({ id: 1, login: 'a', day: DAY }),
      totals_by_ide: [
        { ide: 'vscode', code_generation_activity_count: 3, user_initiated_interaction_count: 1 },
        { ide: 'jetbrains', code_generation_activity_count: 5, user_initiated_interaction_count: 0 },
        { ide: 'neovim', code_generation_activity_count: 5, user_initiated_interaction_count: 2 },
      ],
    };
    expect(parseUserUsageLine(JSON.stringify(record), 1, DAY).ide).toBe('neovim');
    expect(parseUserUsageLine(JSON.stringify({ ...record, totals_by_ide: [] }), 1, DAY).ide).toBeNull();
  });

  it('treats a missing count as 0 and a missing flag as false', () => {
    const parsed = parseUserUsageLine(JSON.stringify({ user_id: '7', user_login: 'x', day: DAY }), 1, DAY);
    expect(parsed).toMatchObject({ userId: 7, interactions: 0, codeGenerations: 0, locAdded: 0, usedChat: false, usedAgent: false, ide: null });
  });

  const malformed: [string, string, RegExp][] = [
    ['not JSON', '{"user_id": 1,', /users report, line 3: not JSON/],
    ['a count as text', JSON.stringify({ user_id: 1, user_login: 'a', day: DAY, loc_added_sum: '12' }), /line 3: loc_added_sum: /],
    ['a negative count', JSON.stringify({ user_id: 1, user_login: 'a', day: DAY, code_generation_activity_count: -1 }), /code_generation_activity_count/],
    ['no user id', JSON.stringify({ user_login: 'a', day: DAY }), /user_id/],
    ['a record of another day', JSON.stringify({ user_id: 1, user_login: 'a', day: '2026-11-27' }), /record of 2026-11-27 in the report of 2026-11-28/],
    ['an array', '[1,2]', /record: /],
  ];
  for (const [name, line, message] of malformed) {
    it(`refuses ${name} with the line it is on`, () => {
      expect(() => parseUserUsageLine(line, 3, DAY)).toThrow(UsageRecordError);
      expect(() => parseUserUsageLine(line, 3, DAY)).toThrow(message);
    });
  }
});

describe('parsing the organization and user-teams reports', () => {
  it('reads the organization record, keeping the breakdowns as sent', () => {
    const parsed = parseOrgUsageLine(JSON.stringify(orgDayRecord(DAY, { dau: 10, wau: 14, mau: 20, interactions: 50, generations: 80, acceptances: 30, locSuggested: 400, locAdded: 250 })), 1, DAY);
    expect(parsed).toMatchObject({ day: DAY, dailyActiveUsers: 10, weeklyActiveUsers: 14, monthlyActiveUsers: 20, interactions: 50, codeGenerations: 80, codeAcceptances: 30, locSuggested: 400, locAdded: 250 });
    expect(parsed.byIde).toEqual([{ ide: 'vscode', code_generation_activity_count: 80, user_initiated_interaction_count: 50 }]);
    expect(parseOrgUsageLine(JSON.stringify({ day: DAY }), 1, DAY)).toMatchObject({ dailyActiveUsers: null, byIde: null, interactions: 0 });
  });

  it('reads a user-team pair and refuses one without a slug', () => {
    expect(parseUserTeamLine(JSON.stringify(userTeamRecord({ id: 5, login: 'e', day: DAY, teamId: 9, slug: 'eng' })), 1, DAY)).toEqual({ userId: 5, login: 'e', day: DAY, teamId: 9, slug: 'eng' });
    expect(() => parseUserTeamLine(JSON.stringify({ user_id: 5, user_login: 'e', day: DAY }), 2, DAY)).toThrow(/user_teams report, line 2: slug/);
  });
});

describe('team numbers from the user-teams join', () => {
  it('adds each person to every team they are in that day', () => {
    const teams = new Map<string, TeamUsage>();
    const counts = (n: number) => ({ interactions: n, codeGenerations: 2 * n, codeAcceptances: n, locSuggested: 10 * n, locAdded: 5 * n });
    addToTeams(teams, [{ slug: 'eng', teamId: 1 }, { slug: 'web', teamId: 2 }], counts(1));
    addToTeams(teams, [{ slug: 'eng', teamId: 1 }], counts(3));
    addToTeams(teams, [], counts(100));
    expect([...teams.values()]).toEqual([
      { slug: 'eng', teamId: 1, activeUsers: 2, interactions: 4, codeGenerations: 8, codeAcceptances: 4, locSuggested: 40, locAdded: 20 },
      { slug: 'web', teamId: 2, activeUsers: 1, interactions: 1, codeGenerations: 2, codeAcceptances: 1, locSuggested: 10, locAdded: 5 },
    ]);
  });
});

describe('NDJSON lines from a stream', () => {
  async function* chunks(...parts: string[]) {
    for (const part of parts) yield new TextEncoder().encode(part);
  }
  async function collect(body: AsyncIterable<Uint8Array>) {
    const out: { text: string; line: number }[] = [];
    for await (const line of ndjsonLines(body)) out.push(line);
    return out;
  }

  it('joins lines split across chunks, skips blank lines, numbers them and keeps a last line without newline', async () => {
    expect(await collect(chunks('{"a":', '1}\n\n{"b":2}\r\n{"c"', ':3}'))).toEqual([
      { text: '{"a":1}', line: 1 },
      { text: '{"b":2}', line: 3 },
      { text: '{"c":3}', line: 4 },
    ]);
  });

  it('decodes a character split between chunks', async () => {
    const bytes = new TextEncoder().encode('{"login":"zoë"}\n');
    const at = bytes.indexOf(0xc3) + 1;
    async function* split() {
      yield bytes.slice(0, at);
      yield bytes.slice(at);
    }
    expect(await collect(split())).toEqual([{ text: '{"login":"zoë"}', line: 1 }]);
  });
});
