import type { SummarySection } from './fit-summary.js';

/** Rows shown open; longer tables are folded into `<details>` so the summary stays readable. */
export const COLLAPSE_AFTER_ROWS = 20;

/** A table to put in a report. */
export interface TableSpec {
  /** Markdown heading line, e.g. `### Seats to add (12)`. */
  heading: string;
  /** Column titles (markdown). */
  columns: readonly string[];
  /** Cells, already escaped markdown, one array per row. */
  rows: readonly (readonly string[])[];
  /** Shown in the `<details>` summary when the table is folded, e.g. `Show 1,234 seats to add`. */
  foldLabel: string;
  /** Sentence shown instead of an empty table. */
  empty: string;
}

/** Builds a report section holding a markdown table, folded when long and cuttable by `fitSummary`. */
export function tableSection(spec: TableSpec): SummarySection {
  if (spec.rows.length === 0) return { kind: 'text', markdown: `${spec.heading}\n\n${spec.empty}` };
  const header = `${tableRow(spec.columns)}\n${tableRow(spec.columns.map(() => '---'))}`;
  const rows = spec.rows.map(tableRow);
  if (spec.rows.length <= COLLAPSE_AFTER_ROWS) {
    return { kind: 'table', head: `${spec.heading}\n\n${header}`, rows, tail: '' };
  }
  return {
    kind: 'table',
    head: `${spec.heading}\n\n<details><summary>${spec.foldLabel}</summary>\n\n${header}`,
    rows,
    tail: '</details>',
  };
}

function tableRow(cells: readonly string[]): string {
  // A line break would end the row early; cells are escaped, so only breaks are left to fix.
  return `| ${cells.map((cell) => cell.replace(/[\r\n]+/g, ' ')).join(' | ')} |`;
}
