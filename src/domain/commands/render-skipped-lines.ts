import { plural } from '../reports/format-values.js';

/** The most `/copilot` lines of one comment that are carried out; the rest get one note. */
export const MAX_COMMANDS_PER_COMMENT = 10;

/** What a comment held past the limit. */
export interface SkippedLines {
  /** `/copilot` lines in the comment, all told. */
  total: number;
  /** 1-based line of the first line not acted on. */
  firstLine: number;
}

/** The one note that answers a comment's `/copilot` lines past MAX_COMMANDS_PER_COMMENT. */
export function renderSkippedLines(input: SkippedLines): string {
  const skipped = input.total - MAX_COMMANDS_PER_COMMENT;
  return (
    `⚠️ This comment has ${plural(input.total, '`/copilot` line')}; CEOS carries out at most ${MAX_COMMANDS_PER_COMMENT} per comment, ` +
    `so ${skipped === 1 ? 'the one' : `the ${skipped}`} from line ${input.firstLine} on ${skipped === 1 ? 'was' : 'were'} not acted on. ` +
    'Post them in a new comment if they are still wanted.'
  );
}
