import { codeSpan, shorten } from '../reports/markdown-escape.js';

/** Quotes what someone typed inside an error message, as code, so it cannot ping anyone or break the reply. */
export function quoteInput(text: string): string {
  return codeSpan(shorten(text, 80));
}
