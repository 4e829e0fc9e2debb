// A mention is `@` not preceded by a word character (so e-mail addresses stay as they are),
// then a login, optionally followed by `/team`.
const MENTION = /(?<![A-Za-z0-9_`])@[A-Za-z0-9](?:[A-Za-z0-9-]*)(?:\/[A-Za-z0-9_.-]+)?/g;

// Characters that start emphasis, links, code, tables, strikethrough, headings or HTML.
const SPECIAL = /[\\`*_[\]|~#<>&]/g;

const ENTITIES: Readonly<Record<string, string>> = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };

/**
 * Makes user-written text (reasons, names) safe to put inline in markdown, tables included:
 * line breaks become spaces, markdown and HTML characters are escaped, and `@mentions`
 * are wrapped in code so nobody is pinged by a crafted reason.
 */
export function escapeMarkdown(text: string): string {
  const flat = flattenLines(text);
  let out = '';
  let last = 0;
  for (const match of flat.matchAll(MENTION)) {
    out += escapePlain(flat.slice(last, match.index)) + codeSpan(match[0]);
    last = match.index + match[0].length;
  }
  return out + escapePlain(flat.slice(last));
}

/** Wraps text in a code span that survives backticks and pipes in the text, also inside tables. */
export function codeSpan(text: string): string {
  const flat = flattenLines(text).replace(/\|/g, '\\|');
  const longestRun = Math.max(0, ...Array.from(flat.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** Shows a login without pinging its owner. */
export function formatLogin(login: string): string {
  return codeSpan(`@${login}`);
}

/** Shows a team slug without pinging the team. */
export function formatTeam(slug: string): string {
  return codeSpan(slug);
}

/** Shortens text to at most `max` characters, ending with `…` when cut. */
export function shorten(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

function escapePlain(text: string): string {
  return text.replace(SPECIAL, (ch) => ENTITIES[ch] ?? `\\${ch}`);
}

function flattenLines(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ');
}
