/** The longest summary (and text) a check run accepts. */
export const CHECK_RUN_SUMMARY_LIMIT = 65_535;

/** The longest issue comment GitHub accepts. */
export const ISSUE_COMMENT_LIMIT = 65_536;

/**
 * Size of a string in UTF-8 bytes. Limits are checked in bytes: that is never less than
 * the characters GitHub counts, so a body that fits in bytes fits whatever GitHub counts.
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Cuts text to at most `maxBytes` UTF-8 bytes, at a line break when there is one. */
export function cutToBytes(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const size = utf8Length(ch);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += ch.length;
  }
  const cut = text.slice(0, end);
  const lastBreak = cut.lastIndexOf('\n');
  return lastBreak > 0 ? cut.slice(0, lastBreak) : cut;
}
