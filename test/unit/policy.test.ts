import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cronExpressionProblem } from '../../src/domain/policy/cron-expression.js';
import { parsePolicy } from '../../src/domain/policy/parse-policy.js';
import type { PolicyError } from '../../src/domain/policy/parse-policy.js';
import { POLICY_DEFAULTS } from '../../src/domain/policy/policy-schema.js';
import { POLICY_JSON_SCHEMA_PATH, policyJsonSchemaText } from '../../src/domain/policy/write-json-schema.js';

const FULL = `version: 1
mode: enforce
seats:
  grant:
    teams: [engineering]
    users: [octocat]
  deny:
    teams: [contractors]
    users: [mallory]
  max: 500
inactivity:
  revoke_after_days: 60
  exempt: { teams: [leadership], users: [] }
budget:
  seat_price_usd: 19
  monthly_limit_usd: 9500
schedule: "0 */6 * * *"
commands:
  teams: [copilot-admins]
  repositories: [.github]
`;

function errorsOf(text: string): PolicyError[] {
  const result = parsePolicy(text);
  if (result.ok) throw new Error('expected the policy to be rejected');
  return result.errors;
}

describe('parsePolicy: valid policies', () => {
  it('parses the full example', () => {
    const result = parsePolicy(FULL);
    expect(result).toEqual({
      ok: true,
      policy: {
        version: 1,
        mode: 'enforce',
        seats: { grant: { teams: ['engineering'], users: ['octocat'] }, deny: { teams: ['contractors'], users: ['mallory'] }, max: 500 },
        inactivity: { revoke_after_days: 60, exempt: { teams: ['leadership'], users: [] } },
        budget: { seat_price_usd: 19, monthly_limit_usd: 9500 },
        schedule: '0 */6 * * *',
        commands: { teams: ['copilot-admins'], repositories: ['.github'] },
      },
    });
  });

  it('applies the defaults to a minimal policy', () => {
    const result = parsePolicy('version: 1\nseats:\n  grant:\n    teams: [eng]\n');
    expect(result.ok && result.policy).toEqual({
      version: 1,
      mode: POLICY_DEFAULTS.mode,
      seats: { grant: { teams: ['eng'], users: [] } },
      schedule: POLICY_DEFAULTS.schedule,
    });
    expect(POLICY_DEFAULTS).toMatchObject({ mode: 'report', schedule: '0 */6 * * *', commandRepositories: ['.github'] });
  });

  it('defaults commands.repositories to .github', () => {
    const result = parsePolicy('version: 1\nseats: { grant: {} }\ncommands: { teams: [admins] }\n');
    expect(result.ok && result.policy.commands).toEqual({ teams: ['admins'], repositories: ['.github'] });
  });

  it('keeps logins and slugs as written, including EMU logins', () => {
    const result = parsePolicy('version: 1\nseats:\n  grant:\n    users: [OctoCat, mona_acme]\n    teams: [Platform.Team]\n');
    expect(result.ok && result.policy.seats.grant).toEqual({ users: ['OctoCat', 'mona_acme'], teams: ['Platform.Team'] });
  });

  it('accepts a comment line pointing editors at the JSON Schema', () => {
    const result = parsePolicy('# yaml-language-server: $schema=https://example.test/copilot-policy.schema.json\nversion: 1\nseats: { grant: {} }\n');
    expect(result.ok).toBe(true);
  });
});

describe('parsePolicy: unknown keys at every level', () => {
  it.each([
    { text: 'version: 1\nmod: enforce\nseats: { grant: {} }\n', at: [2, 1], path: 'mod', message: 'unknown key "mod" at the top level; did you mean "mode"?' },
    { text: 'version: 1\nseats:\n  grant: {}\n  maxx: 3\n', at: [4, 3], path: 'seats.maxx', message: 'unknown key "maxx" in seats; did you mean "max"?' },
    { text: 'version: 1\nseats:\n  grant:\n    user: [a]\n', at: [4, 5], path: 'seats.grant.user', message: 'unknown key "user" in seats.grant; did you mean "users"?' },
    { text: 'version: 1\nseats:\n  grant: {}\n  deny: { team: [x] }\n', at: [4, 11], path: 'seats.deny.team', message: 'unknown key "team" in seats.deny; did you mean "teams"?' },
    {
      text: 'version: 1\nseats: { grant: {} }\ninactivity:\n  revoke_after_days: 3\n  revoke_afterdays: 60\n',
      at: [5, 3],
      path: 'inactivity.revoke_afterdays',
      message: 'unknown key "revoke_afterdays" in inactivity; did you mean "revoke_after_days"?',
    },
    {
      text: 'version: 1\nseats: { grant: {} }\ninactivity:\n  revoke_after_days: 3\n  exempt:\n    Teams: [x]\n',
      at: [6, 5],
      path: 'inactivity.exempt.Teams',
      message: 'unknown key "Teams" in inactivity.exempt; did you mean "teams"?',
    },
    { text: 'version: 1\nseats: { grant: {} }\nbudget:\n  monthly-limit-usd: 3\n', at: [4, 3], path: 'budget.monthly-limit-usd', message: 'unknown key "monthly-limit-usd" in budget; did you mean "monthly_limit_usd"?' },
    { text: 'version: 1\nseats: { grant: {} }\ncommands:\n  repos: [x]\n', at: [4, 3], path: 'commands.repos', message: 'unknown key "repos" in commands; did you mean "repositories"?' },
    { text: 'version: 1\nseats: { grant: {} }\nfrobnicate: true\n', at: [3, 1], path: 'frobnicate', message: expect.stringContaining('unknown key "frobnicate" at the top level; allowed keys are "version", "mode"') },
  ])('rejects $path', ({ text, at, path, message }) => {
    const errors = errorsOf(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: at[0], column: at[1], path, message });
  });

  it('reports every unknown key of one mapping, each at its own position', () => {
    const errors = errorsOf('version: 1\nseats: { grant: {} }\nfoo: 1\nbar: 2\n');
    expect(errors.map((e) => [e.line, e.path])).toEqual([
      [3, 'foo'],
      [4, 'bar'],
    ]);
  });
});

describe('parsePolicy: invalid values', () => {
  it.each([
    { text: 'version: 2\nseats: { grant: {} }\n', at: [1, 10], path: 'version', message: 'version must be 1 (the only policy version CEOS understands)' },
    { text: 'seats: { grant: {} }\n', at: [1, 1], path: 'version', message: 'version is required: start the file with "version: 1"' },
    { text: 'version: 1\nmode: enforced\nseats: { grant: {} }\n', at: [2, 7], path: 'mode', message: 'mode must be "enforce" (apply changes) or "report" (only plan and report)' },
    { text: 'version: 1\nmode: report\n', at: [1, 1], path: 'seats', message: expect.stringContaining('seats is required') },
    { text: 'version: 1\nseats:\n  max: 3\n', at: [2, 1], path: 'seats.grant', message: expect.stringContaining('seats.grant is required') },
    { text: 'version: 1\nseats:\n  grant: {}\n  max: 0\n', at: [4, 8], path: 'seats.max', message: 'seats.max must be a positive whole number' },
    { text: 'version: 1\nseats:\n  grant: {}\n  max: 2.5\n', at: [4, 8], path: 'seats.max', message: 'seats.max must be a positive whole number' },
    { text: 'version: 1\nseats:\n  grant: {}\n  max: "ten"\n', at: [4, 8], path: 'seats.max', message: 'seats.max must be a positive whole number' },
    { text: 'version: 1\nseats:\n  grant:\n    teams: engineering\n', at: [4, 12], path: 'seats.grant.teams', message: 'seats.grant.teams must be a list of team slugs' },
    { text: 'version: 1\nseats:\n  grant:\n    users: [ok, "@octocat"]\n', at: [4, 17], path: 'seats.grant.users[1]', message: 'seats.grant.users[1]: write the login "@octocat" without "@"' },
    { text: 'version: 1\nseats:\n  grant:\n    users: [bad login]\n', at: [4, 13], path: 'seats.grant.users[0]', message: 'seats.grant.users[0]: "bad login" is not a valid GitHub login' },
    { text: 'version: 1\nseats:\n  grant:\n    teams: [acme/eng]\n', at: [4, 13], path: 'seats.grant.teams[0]', message: expect.stringContaining('write the team slug without the organization: "eng"') },
    { text: 'version: 1\nseats: { grant: {} }\ninactivity:\n', at: [3, 1], path: 'inactivity', message: expect.stringContaining('inactivity must be a mapping') },
    { text: 'version: 1\nseats: { grant: {} }\ninactivity:\n  exempt: {}\n', at: [3, 1], path: 'inactivity.revoke_after_days', message: 'inactivity.revoke_after_days is required' },
    { text: 'version: 1\nseats: { grant: {} }\ninactivity:\n  revoke_after_days: -5\n', at: [4, 22], path: 'inactivity.revoke_after_days', message: 'inactivity.revoke_after_days must be a positive whole number of days' },
    { text: 'version: 1\nseats: { grant: {} }\ninactivity:\n  revoke_after_days: 30\n  warn_before_days: 30\n', at: [5, 21], path: 'inactivity.warn_before_days', message: 'inactivity.warn_before_days (30) must be less than inactivity.revoke_after_days (30)' },
    { text: 'version: 1\nseats: { grant: {} }\ninactivity:\n  revoke_after_days: 30\n  warn_before_days: 0\n', at: [5, 21], path: 'inactivity.warn_before_days', message: 'inactivity.warn_before_days must be a positive whole number' },
    { text: 'version: 1\nseats: { grant: {} }\nbudget:\n  seat_price_usd: 0\n', at: [4, 19], path: 'budget.seat_price_usd', message: 'budget.seat_price_usd must be a positive amount in US dollars' },
    { text: 'version: 1\nseats: { grant: {} }\ncommands:\n  repositories: [acme/.github]\n', at: [4, 18], path: 'commands.repositories[0]', message: expect.stringContaining('not a repository name') },
    { text: 'version: 1\nseats: { grant: {} }\nschedule: "0 */6 * *"\n', at: [3, 11], path: 'schedule', message: expect.stringContaining('schedule must be a cron expression with 5 fields') },
    { text: 'version: 1\nseats: { grant: {} }\nschedule: "0 25 * * *"\n', at: [3, 11], path: 'schedule', message: expect.stringContaining('hour value 25 is out of range 0-23') },
    { text: 'version: 1\nseats: { grant: {} }\nschedule: 5\n', at: [3, 11], path: 'schedule', message: expect.stringContaining('schedule must be a cron expression in quotes') },
  ])('$path: $message', ({ text, at, path, message }) => {
    const errors = errorsOf(text);
    expect(errors[0]).toMatchObject({ line: at[0], column: at[1], path, message });
  });

  it('gives the end of the offending value', () => {
    const [error] = errorsOf('version: 1\nseats:\n  grant: {}\n  max: 1234.5\n');
    expect(error).toMatchObject({ line: 4, column: 8, endLine: 4, endColumn: 14 });
  });

  it('reports several problems at once, in file order', () => {
    const errors = errorsOf('version: 1\nmode: on\nseats:\n  grant: {}\n  max: -1\nschedule: "* *"\n');
    expect(errors.map((e) => e.path)).toEqual(['mode', 'seats.max', 'schedule']);
  });
});

describe('parsePolicy: YAML syntax errors', () => {
  it.each([
    { name: 'unclosed flow sequence', text: 'version: 1\nseats: [\n', line: 3 },
    { name: 'duplicate key', text: 'version: 1\nseats:\n  grant: {}\n  grant: {}\n', line: 4 },
    { name: 'tab indentation', text: 'version: 1\nseats:\n\tgrant: {}\n', line: 3 },
    { name: 'bad indentation', text: 'version: 1\nseats:\n  grant: {}\n   max: 3\n', line: 4 },
  ])('$name', ({ text, line }) => {
    const errors = errorsOf(text);
    expect(errors[0]?.line).toBe(line);
    expect(errors[0]?.column).toBeGreaterThanOrEqual(1);
    expect(errors[0]?.message).toMatch(/^YAML syntax error: /);
  });

  it.each([
    { text: '', message: 'the policy file is empty; start it with "version: 1"' },
    { text: '# only a comment\n', message: 'the policy file is empty; start it with "version: 1"' },
    { text: '- version: 1\n', message: 'the policy must be a mapping of keys, starting with "version: 1"' },
  ])('rejects a file that is not a policy: $message', ({ text, message }) => {
    expect(errorsOf(text)).toEqual([expect.objectContaining({ line: 1, column: 1, path: '', message })]);
  });
});

describe('cron expressions', () => {
  it.each(['0 */6 * * *', '*/15 * * * *', '0 9-17 * * MON-FRI', '30 2 1,15 * *', '0 0 * JAN,jul 0', '0 0 * * 7'])('accepts %s', (expr) => {
    expect(cronExpressionProblem(expr)).toBeNull();
  });

  it.each([
    ['', '0 fields'],
    ['* * * * * *', '6 fields'],
    ['60 * * * *', 'minute value 60 is out of range 0-59'],
    ['* * 0 * *', 'day-of-month value 0 is out of range 1-31'],
    ['* * * 13 *', 'month value 13 is out of range 1-12'],
    ['* * * * 8', 'day-of-week value 8 is out of range 0-7'],
    ['*/0 * * * *', 'the step in "*/0" must be a positive whole number'],
    ['5-1 * * * *', 'minute range "5-1" runs backwards'],
    ['@daily', '1 field'],
    ['x * * * *', '"x" is not a valid minute value'],
  ])('rejects "%s" (%s)', (expr, problem) => {
    expect(cronExpressionProblem(expr)).toContain(problem);
  });
});

describe('JSON Schema', () => {
  it('matches the committed schema file', () => {
    expect(readFileSync(POLICY_JSON_SCHEMA_PATH, 'utf8')).toBe(policyJsonSchemaText());
  });

  it('forbids unknown keys and describes defaults', () => {
    const schema = JSON.parse(policyJsonSchemaText()) as { additionalProperties: boolean; required: string[]; properties: Record<string, { default?: unknown }> };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['version', 'seats']);
    expect(schema.properties.mode?.default).toBe('report');
    expect(schema.properties.schedule?.default).toBe('0 */6 * * *');
  });
});
