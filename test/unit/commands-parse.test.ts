import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/domain/commands/command-types.js';
import { COMMAND_USAGE } from '../../src/domain/commands/command-usage.js';
import { parseCommandDuration } from '../../src/domain/commands/parse-command-duration.js';
import { parseCommands } from '../../src/domain/commands/parse-commands.js';
import { tokenizeCommand } from '../../src/domain/commands/tokenize-command.js';

function only(body: string) {
  const results = parseCommands(body);
  expect(results).toHaveLength(1);
  return results[0]!;
}

function command(body: string): Command {
  const result = only(body);
  if (result.kind !== 'command') throw new Error(`expected a command, got: ${result.message}`);
  return result.command;
}

function usageError(body: string): string {
  const result = only(body);
  if (result.kind !== 'usage-error') throw new Error(`expected a usage error, got ${JSON.stringify(result.command)}`);
  return result.message;
}

describe('parseCommands: verbs', () => {
  it.each<[string, Command]>([
    ['/copilot help', { verb: 'help' }],
    ['/copilot', { verb: 'help' }],
    ['/copilot status', { verb: 'status', login: null }],
    ['/copilot status @Octocat', { verb: 'status', login: 'Octocat' }],
    ['/copilot plan', { verb: 'plan' }],
    ['/copilot apply', { verb: 'apply' }],
    ['/copilot report', { verb: 'report' }],
    ['/copilot grant @alice', { verb: 'grant', logins: ['alice'], duration: null, reason: null }],
    ['/copilot revoke @bob', { verb: 'revoke', logins: ['bob'], duration: null, reason: null }],
    ['/copilot request', { verb: 'request', reason: null }],
    ['/copilot request --reason "pairing on the API"', { verb: 'request', reason: 'pairing on the API' }],
    ['/copilot approve @ann, @Bo --for 90d --reason ok', { verb: 'approve', logins: ['ann', 'Bo'], duration: { text: '90d', hours: 2160 }, reason: 'ok' }],
    ['/copilot decline @ann --reason "not now"', { verb: 'decline', login: 'ann', reason: 'not now' }],
  ])('%s', (body, expected) => {
    expect(command(body)).toEqual(expected);
  });

  it('is case-insensitive in the prefix and the verb, and keeps the spelling of logins', () => {
    expect(command('/COPILOT Grant @Alice-B')).toEqual({
      verb: 'grant',
      logins: ['Alice-B'],
      duration: null,
      reason: null,
    });
    expect(command('/Copilot STATUS')).toEqual({ verb: 'status', login: null });
    expect(command('/copilot status @mona-lisa_acme')).toEqual({ verb: 'status', login: 'mona-lisa_acme' });
  });

  it('allows leading whitespace and CRLF line ends', () => {
    const results = parseCommands('Thanks!\r\n   /copilot plan\r\n\t/copilot apply\r\n');
    expect(results.map((r) => (r.kind === 'command' ? r.command.verb : r.kind))).toEqual(['plan', 'apply']);
    expect(results.map((r) => r.line)).toEqual([2, 3]);
  });

  it('needs /copilot to be a whole word at the start of the line', () => {
    expect(parseCommands('/copilotx plan\n/copilot-plan\nplease /copilot plan')).toEqual([]);
  });
});

describe('parseCommands: grant and revoke', () => {
  it('takes several users, separated by spaces or commas, and collapses duplicates case-insensitively', () => {
    expect(command('/copilot grant @alice @Bob, @carol,@ALICE @bob')).toEqual({
      verb: 'grant',
      logins: ['alice', 'Bob', 'carol'],
      duration: null,
      reason: null,
    });
  });

  it.each<[string, { text: string; hours: number }]>([
    ['/copilot grant @alice --for 30d', { text: '30d', hours: 720 }],
    ['/copilot grant @alice --for 2W', { text: '2w', hours: 336 }],
    ['/copilot grant @alice --for 12h', { text: '12h', hours: 12 }],
    ['/copilot grant @alice --for=365d', { text: '365d', hours: 8760 }],
    ['/copilot grant --for 1d @alice', { text: '1d', hours: 24 }],
    ['/copilot grant @alice \u2014for 7d', { text: '7d', hours: 168 }],
  ])('reads the duration of %s', (body, duration) => {
    const parsed = command(body);
    expect(parsed).toMatchObject({ verb: 'grant', logins: ['alice'], duration });
  });

  it.each([
    ['/copilot revoke @alice --reason "left the pilot"', 'left the pilot'],
    ['/copilot revoke @alice --reason \u201Cleft the pilot\u201D', 'left the pilot'],
    ['/copilot revoke @alice --reason \u201Cmixed quotes"', 'mixed quotes'],
    ['/copilot revoke @alice --reason offboarding', 'offboarding'],
    ['/copilot revoke @alice --reason="left the pilot"', 'left the pilot'],
    ['/copilot revoke --reason "says \'no\' to AI" @alice', "says 'no' to AI"],
  ])('reads the reason of %s', (body, reason) => {
    expect(command(body)).toMatchObject({ verb: 'revoke', logins: ['alice'], reason });
  });

  it('reads users, duration and reason together', () => {
    expect(command('/copilot grant @alice @bob --for 30d --reason "Q3 pilot"')).toEqual({
      verb: 'grant',
      logins: ['alice', 'bob'],
      duration: { text: '30d', hours: 720 },
      reason: 'Q3 pilot',
    });
  });
});

describe('parseCommands: usage errors', () => {
  it.each([
    ['/copilot frobnicate', /`frobnicate` is not a `\/copilot` command\./],
    ['/copilot gant @alice', /Did you mean `\/copilot grant`\?/],
    ['/copilot plan now', /`\/copilot plan` takes no arguments: remove `now`/],
    ['/copilot apply --force', /takes no arguments/],
    ['/copilot status @alice @bob', /at most one user/],
    ['/copilot grant', /needs at least one user/],
    ['/copilot request @alice', /asks a seat for yourself and takes no user/],
    ['/copilot request --for 30d', /its only option is `--reason`/],
    ['/copilot decline', /needs at least one user/],
    ['/copilot decline @a @b', /`\/copilot decline` takes one user/],
    ['/copilot approve', /needs at least one user/],
    ['/copilot aprove @a', /Did you mean `\/copilot approve`\?/],
    ['/copilot grant --for 30d', /needs at least one user/],
    ['/copilot grant alice', /Write users with `@`: `@alice` instead of `alice`/],
    ['/copilot grant @-alice', /`@-alice` is not a valid GitHub login/],
    ['/copilot grant @alice-', /is not a valid GitHub login/],
    ['/copilot grant @al--ice', /is not a valid GitHub login/],
    [`/copilot grant @${'a'.repeat(40)}`, /is not a valid GitHub login/],
    ['/copilot grant @_alice', /is not a valid GitHub login/],
    ['/copilot grant @alice_', /is not a valid GitHub login/],
    ['/copilot grant @al-_ice', /is not a valid GitHub login/],
    ['/copilot grant @my-org/eng', /is a team.*`grant` list/],
    ['/copilot grant @alice --for 30', /`30` is not a duration/],
    ['/copilot grant @alice --for 30 days', /`30` is not a duration/],
    ['/copilot grant @alice --for -3d', /`-3d` is not a duration/],
    ['/copilot grant @alice --for 0d', /is empty: give at least `1h`/],
    ['/copilot grant @alice --for 366d', /too long: the longest is `365d`/],
    ['/copilot grant @alice --for 53w', /too long/],
    ['/copilot grant @alice --for', /`--for` needs a duration/],
    ['/copilot grant @alice --reason', /`--reason` needs a reason/],
    ['/copilot grant @alice --reason ""', /`--reason` is empty/],
    ['/copilot grant @alice --reason "unfinished', /quote before `unfinished` is not closed/],
    ['/copilot grant @alice --for 1d --for 2d', /`--for` is given twice/],
    ['/copilot grant @alice --until friday', /`--until` is not an option of `\/copilot grant`/],
    ['/copilot grant @alice --reason joins the pilot', /`the` follows the reason: put a reason of several words in quotes, for example `--reason "joins the pilot"`/],
    ['/copilot grant --reason joins the pilot @alice', /for example `--reason "joins the pilot"`/],
  ])('%s', (body, message) => {
    expect(usageError(body)).toMatch(message);
  });

  it('bounds the reason and the number of users', () => {
    expect(usageError(`/copilot grant @alice --reason "${'x'.repeat(501)}"`)).toMatch(
      /501 characters long: keep it to 500/,
    );
    const users = Array.from({ length: 101 }, (_, i) => `@user${i}`).join(' ');
    expect(usageError(`/copilot grant ${users}`)).toMatch(/names 101 users: give at most 100/);
    expect(command(`/copilot grant ${users.replace(' @user100', '')}`)).toMatchObject({ verb: 'grant' });
  });

  it('quotes what was typed so a crafted word cannot ping or break the reply', () => {
    const message = usageError('/copilot gr`ant');
    expect(message).toContain('``gr`ant``');
    expect(usageError('/copilot grant @alice --reason x @team/evil')).toMatch(/`@team\/evil` is a team/);
  });

  it('reports the line of each command, good or bad', () => {
    const results = parseCommands('/copilot plan\n/copilot nope\n\n/copilot report');
    expect(results.map((r) => [r.kind, r.line, r.source])).toEqual([
      ['command', 1, '/copilot plan'],
      ['usage-error', 2, '/copilot nope'],
      ['command', 4, '/copilot report'],
    ]);
  });
});

describe('parseCommands: text that is not a command', () => {
  it('ignores lines inside fenced code blocks', () => {
    const body = [
      'Try this:',
      '```',
      '/copilot apply',
      '```',
      '~~~~md',
      '/copilot grant @alice',
      '```',
      '/copilot grant @bob',
      '~~~~',
      '/copilot plan',
    ].join('\n');
    expect(parseCommands(body).map((r) => r.kind === 'command' && r.command.verb)).toEqual(['plan']);
  });

  it('ignores an unclosed fence to the end of the comment', () => {
    expect(parseCommands('```\n/copilot apply')).toEqual([]);
  });

  it('ignores quoted lines and HTML comments', () => {
    const body = [
      '> /copilot apply',
      '  > /copilot apply',
      '<!-- /copilot apply -->',
      '<!--',
      '/copilot grant @alice',
      '-->',
      '/copilot status',
    ].join('\n');
    expect(parseCommands(body).map((r) => r.kind === 'command' && r.command.verb)).toEqual(['status']);
  });

  it('finds no commands in an ordinary comment', () => {
    expect(parseCommands('LGTM, ship it. We use copilot a lot.')).toEqual([]);
    expect(parseCommands('')).toEqual([]);
  });
});

describe('tokenizeCommand', () => {
  it('keeps quoted text, plain or smart, in one word and joins it to what it touches', () => {
    expect(tokenizeCommand(' a  "b c"  \u201Cd e\u201D f"g h"')).toEqual({
      ok: true,
      tokens: [
        { value: 'a', quoted: false, startsQuoted: false },
        { value: 'b c', quoted: true, startsQuoted: true },
        { value: 'd e', quoted: true, startsQuoted: true },
        { value: 'fg h', quoted: true, startsQuoted: false },
      ],
    });
  });

  it('keeps apostrophes inside words', () => {
    expect(tokenizeCommand("don't stop")).toEqual({
      ok: true,
      tokens: [
        { value: "don't", quoted: false, startsQuoted: false },
        { value: 'stop', quoted: false, startsQuoted: false },
      ],
    });
  });
});

describe('parseCommandDuration', () => {
  it.each([
    ['1h', 1],
    ['24H', 24],
    ['8760h', 8760],
    ['52w', 8736],
  ])('%s is %i hours', (text, hours) => {
    expect(parseCommandDuration(text)).toMatchObject({ ok: true, duration: { hours } });
  });

  it.each(['8761h', '1.5d', 'd', '3m', '1y', ''])('rejects %j', (text) => {
    expect(parseCommandDuration(text).ok).toBe(false);
  });
});

describe('COMMAND_USAGE', () => {
  it('names every command', () => {
    for (const verb of ['help', 'status', 'plan', 'apply', 'grant', 'revoke', 'report', 'request', 'approve', 'decline']) {
      expect(COMMAND_USAGE).toContain(`/copilot ${verb}`);
    }
  });
});
