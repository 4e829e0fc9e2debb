/** Lays rows out in aligned columns for a terminal. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * A table printed as its rows arrive: the columns take the width of the headers and the first
 * rows, and a longer cell later only pushes its line out, so nothing has to be held back.
 */
export function streamingTable(headers: string[]): { rows(rows: string[][]): string } {
  let widths: number[] | undefined;
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths![i]!))
      .join('  ')
      .trimEnd();
  return {
    rows(rows) {
      if (widths !== undefined) return rows.map(line).join('\n');
      widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
      return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
    },
  };
}
