import type { CommandDuration } from './command-types.js';
import { quoteInput } from './quote-input.js';

/** The longest `--for` accepted, in hours (365 days). */
export const MAX_COMMAND_DURATION_HOURS = 365 * 24;

const HOURS_PER_UNIT: Readonly<Record<string, number>> = { h: 1, d: 24, w: 24 * 7 };

/** The result of reading a `--for` value. */
export type ParseDurationResult = { ok: true; duration: CommandDuration } | { ok: false; message: string };

/** Reads a `--for` value written as a whole number of hours, days or weeks: `12h`, `30d`, `2w`. */
export function parseCommandDuration(text: string): ParseDurationResult {
  const match = /^(\d{1,6})([hdw])$/i.exec(text.trim());
  if (match === null) {
    return {
      ok: false,
      message: `${quoteInput(text)} is not a duration: write a whole number followed by \`h\`, \`d\` or \`w\`, for example \`--for 30d\`.`,
    };
  }
  const amount = Number(match[1]);
  const unit = (match[2] as string).toLowerCase();
  const hours = amount * (HOURS_PER_UNIT[unit] as number);
  if (hours === 0) {
    return { ok: false, message: `${quoteInput(`--for ${text}`)} is empty: give at least \`1h\`.` };
  }
  if (hours > MAX_COMMAND_DURATION_HOURS) {
    return {
      ok: false,
      message: `${quoteInput(`--for ${text}`)} is too long: the longest is \`365d\`. Leave \`--for\` out for an override that lasts until it is removed.`,
    };
  }
  return { ok: true, duration: { text: `${amount}${unit}`, hours } };
}
