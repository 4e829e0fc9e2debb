/**
 * The lines of an NDJSON body as they arrive: only the current chunk and one partial line are
 * held, never the file. Empty lines (a trailing newline, CRLF endings) are skipped; each line
 * comes with its 1-based number, for errors that say where.
 */
export async function* ndjsonLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<{ text: string; line: number }> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let rest = '';
  let line = 0;
  for await (const chunk of body) {
    const text = rest + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      line += 1;
      const content = text.slice(start, nl).trim();
      start = nl + 1;
      if (content !== '') yield { text: content, line };
    }
    rest = text.slice(start);
  }
  const last = (rest + decoder.decode()).trim();
  if (last !== '') yield { text: last, line: line + 1 };
}
