import { describe, expect, it } from 'vitest';
import { batchAnnotations } from '../../src/domain/reports/batch-annotations.js';
import { fitSummary, type SummarySection } from '../../src/domain/reports/fit-summary.js';
import { codeSpan, escapeMarkdown, formatLogin, shorten } from '../../src/domain/reports/markdown-escape.js';
import { cutToBytes, utf8Length } from '../../src/domain/reports/markdown-size.js';
import { tableSection } from '../../src/domain/reports/table-section.js';

describe('escapeMarkdown', () => {
  it.each([
    ['plain words', 'plain words'],
    ['a | b', 'a \\| b'],
    ['**bold** _em_ ~~gone~~', '\\*\\*bold\\*\\* \\_em\\_ \\~\\~gone\\~\\~'],
    ['[click](https://evil.example)', '\\[click\\](https://evil.example)'],
    ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['line one\nline two\r\nthree', 'line one line two three'],
    ['# heading', '\\# heading'],
    ['`code`', '\\`code\\`'],
    ['back\\slash', 'back\\\\slash'],
    ['AT&T', 'AT&amp;T'],
  ])('%j', (input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });

  it.each([
    ['ask @alice first', 'ask `@alice` first'],
    ['ping @acme/security-team now', 'ping `@acme/security-team` now'],
    ['(@bob)', '(`@bob`)'],
    ['mail bob@example.com', 'mail bob@example.com'],
  ])('neutralises mentions in %j', (input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });

  it('keeps a crafted reason inside its table cell and pings nobody', () => {
    const reason = 'ok | `@evil` |\n| injected | row |\n@everyone';
    const escaped = escapeMarkdown(reason);
    expect(escaped).not.toMatch(/[\r\n]/);
    // Every pipe left is escaped, so the row keeps its cells.
    expect(escaped.replace(/\\\|/g, '')).not.toContain('|');
    // Every mention sits inside a code span.
    expect(escaped.replace(/`@[^`]*`/g, '')).not.toMatch(/@\w/);
  });
});

describe('codeSpan and formatLogin', () => {
  it.each([
    ['alice', '`alice`'],
    ['a`b', '``a`b``'],
    ['`x`', '`` `x` ``'],
    ['a|b', '`a\\|b`'],
  ])('%j', (input, expected) => {
    expect(codeSpan(input)).toBe(expected);
  });

  it('shows a login as code so it does not ping', () => {
    expect(formatLogin('dependabot[bot]')).toBe('`@dependabot[bot]`');
  });

  it('shortens with an ellipsis only when needed', () => {
    expect(shorten('abcdef', 6)).toBe('abcdef');
    expect(shorten('abcdefg', 6)).toBe('abcde…');
  });
});

describe('utf8Length and cutToBytes', () => {
  it('counts UTF-8 bytes', () => {
    expect(utf8Length('abc')).toBe(3);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('…')).toBe(3);
    expect(utf8Length('🚀')).toBe(4);
    expect(utf8Length('a🚀é…')).toBe(new TextEncoder().encode('a🚀é…').length);
  });

  it('cuts at a line break without splitting characters', () => {
    expect(cutToBytes('one\ntwo\nthree', 9)).toBe('one\ntwo');
    expect(cutToBytes('🚀🚀🚀', 9)).toBe('🚀🚀');
  });
});

describe('batchAnnotations', () => {
  it.each<[number, number[]]>([
    [0, []],
    [1, [1]],
    [50, [50]],
    [51, [50, 1]],
    [120, [50, 50, 20]],
  ])('%i annotations make requests of %j', (count, sizes) => {
    const annotations = Array.from({ length: count }, (_, i) => i);
    const batches = batchAnnotations(annotations);
    expect(batches.map((b) => b.length)).toEqual(sizes);
    expect(batches.flat()).toEqual(annotations);
  });

  it('takes a smaller batch size but never more than the API allows', () => {
    expect(batchAnnotations([1, 2, 3], 2)).toEqual([[1, 2], [3]]);
    expect(() => batchAnnotations([1], 51)).toThrow(/from 1 to 50/);
    expect(() => batchAnnotations([1], 0)).toThrow(RangeError);
  });
});

function bigTable(count: number, name = 'Rows'): SummarySection {
  return tableSection({
    heading: `### ${name}`,
    columns: ['User', 'Reason'],
    rows: Array.from({ length: count }, (_, i) => [`\`@user-${i}\``, `granted by team \`team-${i % 7}\``]),
    foldLabel: `Show ${count}`,
    empty: 'None.',
  });
}

describe('tableSection', () => {
  it('folds long tables into <details> and leaves short ones open', () => {
    const short = bigTable(3);
    const long = bigTable(21);
    expect(short).toMatchObject({ kind: 'table', tail: '' });
    expect(short.kind === 'table' && short.head).not.toContain('<details>');
    expect(long.kind === 'table' && long.head).toContain('<details><summary>Show 21</summary>');
    expect(long).toMatchObject({ tail: '</details>' });
  });

  it('says so instead of showing an empty table', () => {
    expect(bigTable(0)).toEqual({ kind: 'text', markdown: '### Rows\n\nNone.' });
  });
});

describe('fitSummary', () => {
  it('keeps everything when it fits', () => {
    const result = fitSummary([{ kind: 'text', markdown: 'Hello' }, bigTable(2)]);
    expect(result.omittedRows).toBe(0);
    expect(result.markdown).toContain('`@user-1`');
    expect(result.markdown).not.toContain('not shown');
  });

  it('cuts at a row boundary, says how many rows are left out and where the full plan is', () => {
    const sections = [{ kind: 'text', markdown: '**Verdict** first' } as const, bigTable(20_000)];
    const result = fitSummary(sections, { fullReport: { planId: 'plan-42', url: 'https://ceos.example/plans/42' } });
    expect(utf8Length(result.markdown)).toBeLessThanOrEqual(65_535);
    expect(result.omittedRows).toBeGreaterThan(0);
    const shown = result.markdown.split('\n').filter((line) => line.startsWith('| `@user-')).length;
    expect(shown + result.omittedRows).toBe(20_000);
    expect(result.markdown).toContain(`… and ${result.omittedRows.toLocaleString('en-US')} more rows not shown.`);
    expect(result.markdown).toContain('https://ceos.example/plans/42');
    expect(result.markdown).toContain('`plan-42`');
    expect(result.markdown).toContain('**Verdict** first');
    expect(result.markdown.trimEnd().endsWith('</details>')).toBe(true);
    // Every row shown is whole.
    for (const line of result.markdown.split('\n').filter((l) => l.startsWith('| `@user-'))) {
      expect(line).toMatch(/^\| `@user-\d+` \| granted by team `team-\d` \|$/);
    }
  });

  it('gives every table some rows before filling the first one', () => {
    const result = fitSummary([bigTable(5_000, 'First'), bigTable(5_000, 'Second')], { limit: 20_000 });
    const second = result.markdown.slice(result.markdown.indexOf('### Second'));
    expect(second.split('\n').filter((l) => l.startsWith('| `@user-')).length).toBeGreaterThanOrEqual(10);
    expect(utf8Length(result.markdown)).toBeLessThanOrEqual(20_000);
    expect(result.markdown.match(/more rows not shown/g)).toHaveLength(2);
  });

  it('respects a smaller limit such as an issue comment', () => {
    for (const limit of [2_000, 10_000, 65_536]) {
      expect(utf8Length(fitSummary([bigTable(10_000)], { limit }).markdown)).toBeLessThanOrEqual(limit);
    }
  });

  it('stays within the limit even when the text alone is too long', () => {
    const result = fitSummary([{ kind: 'text', markdown: 'x'.repeat(100_000) }], { limit: 1_000 });
    expect(utf8Length(result.markdown)).toBeLessThanOrEqual(1_000);
    expect(result.markdown).toContain('the rest of this report is not shown');
  });

  it('counts multi-byte characters so GitHub never sees too long a body', () => {
    const rows = Array.from({ length: 30_000 }, () => ['🚀 éé …', 'x']);
    const table = tableSection({ heading: 'T', columns: ['a', 'b'], rows, foldLabel: 'f', empty: '' });
    const result = fitSummary([table]);
    expect(utf8Length(result.markdown)).toBeLessThanOrEqual(65_535);
  });
});
