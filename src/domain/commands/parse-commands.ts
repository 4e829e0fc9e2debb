import type { Command, CommandDuration, CommandVerb, ParsedCommandLine } from './command-types.js';
import { isValidGitHubLogin, uniqueLogins } from './github-login.js';
import { parseCommandDuration } from './parse-command-duration.js';
import { tokenizeCommand, type CommandToken } from './tokenize-command.js';
import { quoteInput } from './quote-input.js';

/** The most users one `grant` or `revoke` may name. */
export const MAX_LOGINS_PER_COMMAND = 100;

/** The longest `--reason` accepted, in characters. */
export const MAX_REASON_LENGTH = 500;

const VERBS: readonly CommandVerb[] = ['help', 'status', 'plan', 'apply', 'grant', 'revoke', 'report', 'confirm', 'request', 'approve', 'decline'];

const PLAN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type LineResult = { ok: true; command: Command } | { ok: false; message: string };

/**
 * Finds the `/copilot` lines of a comment and parses each one.
 * Lines inside fenced code blocks, HTML comments and block quotes are not commands:
 * people quote earlier commands when they discuss them.
 */
export function parseCommands(body: string): ParsedCommandLine[] {
  const results: ParsedCommandLine[] = [];
  const lines = body.split(/\r\n|\r|\n/);
  let fence: { char: string; length: number } | null = null;
  let inHtmlComment = false;

  lines.forEach((raw, index) => {
    let text = raw.trim();
    if (fence !== null) {
      const close = /^(`{3,}|~{3,})\s*$/.exec(text);
      if (close !== null && close[1]?.[0] === fence.char && (close[1]?.length ?? 0) >= fence.length) fence = null;
      return;
    }
    if (inHtmlComment) {
      const end = text.indexOf('-->');
      if (end === -1) return;
      inHtmlComment = false;
      text = text.slice(end + 3).trim();
    }
    const open = /^(`{3,}|~{3,})([^`]*)$/.exec(text);
    if (open?.[1] !== undefined) {
      fence = { char: open[1][0] as string, length: open[1].length };
      return;
    }
    text = text.replace(/<!--[\s\S]*?-->/g, '');
    const unclosed = text.indexOf('<!--');
    if (unclosed !== -1) {
      inHtmlComment = true;
      text = text.slice(0, unclosed);
    }
    text = text.trim();
    if (text.startsWith('>')) return;
    const match = /^\/copilot(?=\s|$)(.*)$/i.exec(text);
    if (match === null) return;

    const line = index + 1;
    const parsed = parseCommandLine(match[1] ?? '');
    results.push(
      parsed.ok
        ? { kind: 'command', command: parsed.command, line, source: text }
        : { kind: 'usage-error', message: parsed.message, line, source: text },
    );
  });
  return results;
}

function parseCommandLine(rest: string): LineResult {
  const tokenized = tokenizeCommand(rest);
  if (!tokenized.ok) return tokenized;
  const [first, ...args] = tokenized.tokens;
  if (first === undefined) return { ok: true, command: { verb: 'help' } };

  const verb = first.value.toLowerCase();
  switch (verb) {
    case 'help':
    case 'plan':
    case 'apply':
    case 'report':
      return args.length === 0
        ? { ok: true, command: { verb } }
        : {
            ok: false,
            message: `\`/copilot ${verb}\` takes no arguments: remove ${quoteInput(args.map((a) => a.value).join(' '))}.`,
          };
    case 'status':
      return parseStatus(args);
    case 'grant':
    case 'revoke':
      return parseOverride(verb, args);
    case 'confirm':
      return parseConfirm(args);
    case 'approve':
      return parseOverride(verb, args);
    case 'request':
    case 'decline':
      return parseRequestVerb(verb, args);
    default:
      return { ok: false, message: unknownVerbMessage(first.value) };
  }
}

function parseStatus(args: readonly CommandToken[]): LineResult {
  if (args.length === 0) return { ok: true, command: { verb: 'status', login: null } };
  if (args.length > 1) {
    return {
      ok: false,
      message: '`/copilot status` takes at most one user: `/copilot status @octocat`.',
    };
  }
  const login = readLogin(args[0] as CommandToken, 'status', false);
  if (!login.ok) return login;
  return { ok: true, command: { verb: 'status', login: login.login } };
}

function parseConfirm(args: readonly CommandToken[]): LineResult {
  if (args.length === 0) return { ok: true, command: { verb: 'confirm', planId: null } };
  const id = (args[0] as CommandToken).value;
  if (args.length > 1 || !PLAN_ID.test(id)) {
    return {
      ok: false,
      message: `\`/copilot confirm\` takes at most one plan id, as \`/copilot status\` shows it (e.g. \`/copilot confirm 3f2b8c1e-5d4a-4e2b-9c1f-7a6b5c4d3e2f\`); ${quoteInput(args.map((a) => a.value).join(' '))} is not one.`,
    };
  }
  return { ok: true, command: { verb: 'confirm', planId: id.toLowerCase() } };
}

/**
 * `request [--reason "…"]` takes no user; `decline @login [--reason "…"]` exactly one. Both are
 * read with the grammar of `grant` (the same quoting and option rules), then checked.
 */
function parseRequestVerb(verb: 'request' | 'decline', args: readonly CommandToken[]): LineResult {
  const atLogins = args.filter((a) => a.value.startsWith('@'));
  if (verb === 'request' && atLogins.length > 0) {
    return { ok: false, message: '`/copilot request` asks a seat for yourself and takes no user: `/copilot request --reason "joining the pilot"`.' };
  }
  const parsed = parseOverride(verb, verb === 'request' ? [{ value: '@placeholder', quoted: false, startsQuoted: false }, ...args] : args, ['reason']);
  if (!parsed.ok) return parsed;
  const { logins, reason } = parsed.command as { logins: string[]; reason: string | null };
  if (verb === 'request') return { ok: true, command: { verb, reason } };
  if (logins.length !== 1) return { ok: false, message: '`/copilot decline` takes one user: `/copilot decline @octocat --reason "not in the pilot"`.' };
  return { ok: true, command: { verb, login: logins[0]!, reason } };
}

function parseOverride(verb: 'grant' | 'revoke' | 'approve' | 'request' | 'decline', args: readonly CommandToken[], options: readonly string[] = ['for', 'reason']): LineResult {
  const logins: string[] = [];
  let duration: CommandDuration | null = null;
  let reason: string | null = null;
  const seenOptions = new Set<string>();
  let bareReasonJustRead = false;

  for (let i = 0; i < args.length; i++) {
    const token = args[i] as CommandToken;
    const option = readOptionName(token);
    if (option !== null) {
      bareReasonJustRead = false;
      if (!options.includes(option.name)) {
        return {
          ok: false,
          message:
            options.length === 1
              ? `\`--${option.name}\` is not an option of \`/copilot ${verb}\`: its only option is \`--reason\`.`
              : `\`--${option.name}\` is not an option of \`/copilot ${verb}\`: the options are \`--for\` and \`--reason\`.`,
        };
      }
      if (seenOptions.has(option.name)) {
        return { ok: false, message: `\`--${option.name}\` is given twice: give it once.` };
      }
      seenOptions.add(option.name);
      let value: CommandToken | undefined = option.inlineValue;
      if (value === undefined) {
        const next = args[i + 1];
        if (next !== undefined && readOptionName(next) === null) {
          value = next;
          i++;
        }
      }
      if (value === undefined) {
        return {
          ok: false,
          message:
            option.name === 'for'
              ? '`--for` needs a duration, for example `--for 30d`.'
              : '`--reason` needs a reason, for example `--reason "joins the pilot"`.',
        };
      }
      if (option.name === 'for') {
        const parsed = parseCommandDuration(value.value);
        if (!parsed.ok) return parsed;
        duration = parsed.duration;
      } else {
        const text = value.value.trim();
        if (text === '') return { ok: false, message: '`--reason` is empty: say why, or leave the option out.' };
        if (text.length > MAX_REASON_LENGTH) {
          return {
            ok: false,
            message: `The reason is ${text.length} characters long: keep it to ${MAX_REASON_LENGTH}.`,
          };
        }
        reason = text;
        bareReasonJustRead = !value.quoted;
      }
      continue;
    }

    if (bareReasonJustRead && !token.value.startsWith('@')) {
      const words = [reason ?? ''];
      for (const next of args.slice(i)) {
        if (next.value.startsWith('@') || readOptionName(next) !== null) break;
        words.push(next.value);
      }
      return {
        ok: false,
        message: `${quoteInput(token.value)} follows the reason: put a reason of several words in quotes, for example ${quoteInput(`--reason "${words.join(' ')}"`)}.`,
      };
    }
    bareReasonJustRead = false;
    for (const part of token.quoted ? [token.value] : token.value.split(',')) {
      if (part === '') continue;
      const login = readLogin({ ...token, value: part }, verb, true);
      if (!login.ok) return login;
      logins.push(login.login);
    }
  }

  const unique = uniqueLogins(logins);
  if (unique.length === 0) {
    return {
      ok: false,
      message: `\`/copilot ${verb}\` needs at least one user, for example \`/copilot ${verb} @octocat --for 30d\`.`,
    };
  }
  if (unique.length > MAX_LOGINS_PER_COMMAND) {
    return {
      ok: false,
      message: `\`/copilot ${verb}\` names ${unique.length} users: give at most ${MAX_LOGINS_PER_COMMAND} per command, or add a team to the policy instead.`,
    };
  }
  return { ok: true, command: { verb, logins: unique, duration, reason } as Command };
}

type LoginResult = { ok: true; login: string } | { ok: false; message: string };

// Logins must carry `@`: a bare word is far more often a stray word ("for", "30")
// than a user, and granting a seat to the wrong account is worse than asking again.
function readLogin(token: CommandToken, verb: string, isOverride: boolean): LoginResult {
  const text = token.value;
  if (!text.startsWith('@')) {
    if (isValidGitHubLogin(text)) {
      return { ok: false, message: `Write users with \`@\`: ${quoteInput(`@${text}`)} instead of ${quoteInput(text)}.` };
    }
    return { ok: false, message: `${quoteInput(text)} is not a user: write users as \`@login\`.` };
  }
  const login = text.slice(1);
  if (login.includes('/')) {
    return {
      ok: false,
      message: isOverride
        ? `${quoteInput(text)} is a team: \`/copilot ${verb}\` takes users. To give a team seats, add it to the policy's \`grant\` list.`
        : `${quoteInput(text)} is a team: \`/copilot status\` takes one user.`,
    };
  }
  if (!isValidGitHubLogin(login)) {
    return {
      ok: false,
      message: `${quoteInput(text)} is not a valid GitHub login: logins are up to 39 letters, digits or single hyphens, do not start or end with a hyphen, and may end in an \`_shortcode\` for managed users.`,
    };
  }
  return { ok: true, login };
}

interface OptionName {
  name: string;
  inlineValue: CommandToken | undefined;
}

// Editors turn `--` into an en or em dash, so those count as the option prefix too.
function readOptionName(token: CommandToken): OptionName | null {
  if (token.startsQuoted) return null;
  const match = /^(?:--|\u2014|\u2013)([A-Za-z][A-Za-z-]*)(?:=([\s\S]*))?$/.exec(token.value);
  if (match === null) return null;
  const name = (match[1] as string).toLowerCase();
  const inline = match[2];
  return {
    name,
    inlineValue: inline === undefined ? undefined : { value: inline, quoted: token.quoted, startsQuoted: false },
  };
}

function unknownVerbMessage(verb: string): string {
  const suggestion = closestVerb(verb.toLowerCase());
  const hint = suggestion === null ? '' : ` Did you mean \`/copilot ${suggestion}\`?`;
  return `${quoteInput(verb)} is not a \`/copilot\` command.${hint}`;
}

function closestVerb(word: string): CommandVerb | null {
  let best: CommandVerb | null = null;
  let bestDistance = 3;
  for (const verb of VERBS) {
    const distance = editDistance(word, verb);
    if (distance < bestDistance) {
      best = verb;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
