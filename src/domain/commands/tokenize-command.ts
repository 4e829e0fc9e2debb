import { quoteInput } from './quote-input.js';

/** A word of a command line; quoted parts are joined to the word they touch. */
export interface CommandToken {
  /** The word with its quotes removed. */
  value: string;
  /** Whether any part of the word was quoted. */
  quoted: boolean;
  /** Whether the word begins with a quote, so `"--for"` is text, not a flag. */
  startsQuoted: boolean;
}

/** The result of splitting a command line into words. */
export type TokenizeResult = { ok: true; tokens: CommandToken[] } | { ok: false; message: string };

// Phone and desktop editors turn " into smart quotes; each opener closes with its
// typographic partner or a plain quote, so a mixed pair still works.
const CLOSERS: Readonly<Record<string, readonly string[]>> = {
  '"': ['"'],
  '\u201C': ['\u201D', '"'],
  '\u201D': ['\u201D', '"'],
  '\u201E': ['\u201C', '\u201D', '"'],
};

/** Splits a command line on whitespace, keeping "quoted text" (plain or smart quotes) in one word. */
export function tokenizeCommand(text: string): TokenizeResult {
  const tokens: CommandToken[] = [];
  let value = '';
  let quoted = false;
  let startsQuoted = false;
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    const closers = CLOSERS[ch];
    if (closers !== undefined) {
      let end = -1;
      for (let j = i + 1; j < text.length; j++) {
        if (closers.includes(text[j] as string)) {
          end = j;
          break;
        }
      }
      if (end === -1) {
        const after = text.slice(i + 1, i + 21).trim();
        const where = after === '' ? 'at the end of the line' : `before ${quoteInput(after)}`;
        return { ok: false, message: `The quote ${where} is not closed: end the quoted text with \`"\`.` };
      }
      if (!inWord) startsQuoted = true;
      value += text.slice(i + 1, end);
      quoted = true;
      inWord = true;
      i = end + 1;
      continue;
    }
    if (/\s/u.test(ch)) {
      if (inWord) tokens.push({ value, quoted, startsQuoted });
      value = '';
      quoted = false;
      startsQuoted = false;
      inWord = false;
    } else {
      value += ch;
      inWord = true;
    }
    i++;
  }
  if (inWord) tokens.push({ value, quoted, startsQuoted });
  return { ok: true, tokens };
}
