import { codeSpan } from './markdown-escape.js';
import { CHECK_RUN_SUMMARY_LIMIT, cutToBytes, utf8Length } from './markdown-size.js';

/** A piece of a report: free markdown, kept whole, or a table whose rows may be cut. */
export type SummarySection =
  | {
      kind: 'text';
      /** Markdown shown as it is. */
      markdown: string;
    }
  | {
      kind: 'table';
      /** Markdown before the rows: heading, `<details>` opening, table header and separator. */
      head: string;
      /** One markdown line per row. */
      rows: readonly string[];
      /** Markdown after the rows, such as `</details>`; kept even when rows are cut. */
      tail: string;
    };

/** Where the whole report can be read when the summary leaves rows out. */
export interface FullReportLink {
  /** Id of the stored plan or report. */
  planId?: string | null;
  /** Address of the full report. */
  url?: string | null;
}

/** Options of `fitSummary`. */
export interface FitSummaryOptions {
  /** Size limit in UTF-8 bytes; the check run summary limit unless told. */
  limit?: number;
  /** Where the full report is, named in the note under a cut table. */
  fullReport?: FullReportLink;
  /** Rows each table keeps before any table gets more, so a long first table cannot hide the next ones. */
  minRowsPerTable?: number;
}

/** A summary that fits its limit. */
export interface FittedSummary {
  /** The markdown. */
  markdown: string;
  /** Rows left out across all tables (0 when everything fits). */
  omittedRows: number;
}

const SECTION_SEPARATOR = '\n\n';
const NUMBER = new Intl.NumberFormat('en-US');

/**
 * Joins report sections into markdown of at most `limit` UTF-8 bytes. Text sections are
 * kept whole; tables are cut at a row boundary, each cut table ending with a note that
 * says how many rows it leaves out and where the full report is.
 */
export function fitSummary(sections: readonly SummarySection[], options: FitSummaryOptions = {}): FittedSummary {
  const limit = options.limit ?? CHECK_RUN_SUMMARY_LIMIT;
  const minRows = options.minRowsPerTable ?? 10;
  const whole = render(sections, sections.map((s) => (s.kind === 'table' ? s.rows.length : 0)), options.fullReport);
  if (utf8Length(whole) <= limit) return { markdown: whole, omittedRows: 0 };

  // Fixed cost: everything but the rows, with room for a note under every table, sized for
  // the largest count it could show.
  let budget = limit - utf8Length(render(sections, sections.map(() => 0), options.fullReport, true));
  const kept = sections.map(() => 0);
  const take = (index: number, upTo: number): boolean => {
    const section = sections[index];
    if (section?.kind !== 'table') return true;
    while ((kept[index] as number) < Math.min(upTo, section.rows.length)) {
      const size = utf8Length(section.rows[kept[index] as number] as string) + 1;
      if (size > budget) return false;
      budget -= size;
      kept[index] = (kept[index] as number) + 1;
    }
    return true;
  };
  let room = true;
  for (let i = 0; i < sections.length && room; i++) room = take(i, minRows);
  for (let i = 0; i < sections.length && room; i++) room = take(i, Number.POSITIVE_INFINITY);

  const markdown = render(sections, kept, options.fullReport);
  const omittedRows = sections.reduce(
    (sum, s, i) => sum + (s.kind === 'table' ? s.rows.length - (kept[i] as number) : 0),
    0,
  );
  if (utf8Length(markdown) <= limit) return { markdown, omittedRows };

  // Only reachable when the text sections alone are over the limit.
  const note = `\n\n${omissionNote(Number.NaN, options.fullReport)}`;
  return { markdown: cutToBytes(markdown, limit - utf8Length(note)) + note, omittedRows };
}

function render(
  sections: readonly SummarySection[],
  kept: readonly number[],
  fullReport: FullReportLink | undefined,
  reserveNotes = false,
): string {
  return sections
    .map((section, index) => {
      if (section.kind === 'text') return section.markdown;
      const shown = kept[index] as number;
      const omitted = section.rows.length - shown;
      const lines = [section.head, ...section.rows.slice(0, shown)];
      let out = lines.join('\n');
      if (reserveNotes || omitted > 0) {
        out += `\n\n${omissionNote(reserveNotes ? section.rows.length : omitted, fullReport)}`;
      }
      return section.tail === '' ? out : `${out}\n\n${section.tail}`;
    })
    .join(SECTION_SEPARATOR);
}

function omissionNote(omitted: number, fullReport: FullReportLink | undefined): string {
  const what = Number.isNaN(omitted)
    ? '… the rest of this report is not shown.'
    : `… and ${NUMBER.format(omitted)} more ${omitted === 1 ? 'row' : 'rows'} not shown.`;
  return `_${what}${whereToRead(fullReport)}_`;
}

function whereToRead(fullReport: FullReportLink | undefined): string {
  const planId = fullReport?.planId ?? null;
  const url = fullReport?.url ?? null;
  if (url !== null && planId !== null) return ` The full plan ${codeSpan(planId)} is at ${url}.`;
  if (url !== null) return ` The full report is at ${url}.`;
  if (planId !== null) return ` The full plan is stored as plan ${codeSpan(planId)}.`;
  return ' GitHub limits how long this text can be.';
}
