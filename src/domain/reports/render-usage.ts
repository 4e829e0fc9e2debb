import { COMMAND_USAGE } from '../commands/command-usage.js';
import { codeSpan, shorten } from './markdown-escape.js';

/** The reply to a command that could not be understood: what is wrong, then the usage text. */
export function renderUsage(message: string, source?: string): string {
  const quote = source === undefined ? '' : `> ${codeSpan(shorten(source, 300))}\n\n`;
  return `${quote}😕 ${message}\n\n${COMMAND_USAGE}`;
}
