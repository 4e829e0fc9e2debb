import type { z } from 'zod';
import { ApiError } from './api-error.js';

/** Largest page a list returns. */
export const MAX_PAGE_SIZE = 100;

/** Page size when `limit` is not given. */
export const DEFAULT_PAGE_SIZE = 50;

/**
 * Encodes where the next page starts. Cursors are opaque to clients: base64url JSON today, which
 * only this module reads, so the encoding can change without breaking anyone.
 */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Decodes a cursor made by `encodeCursor` and checks its shape; anything else is a 400. */
export function decodeCursor<T extends z.ZodType>(cursor: string | undefined, shape: T): z.output<T> | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const result = shape.safeParse(parsed);
  if (!result.success) throw badCursor();
  return result.data;
}

function badCursor(): ApiError {
  return new ApiError(400, 'bad_cursor', 'querystring.cursor: not a cursor this API gave out; start again without it.');
}

/** A page of `items` from rows fetched with `limit + 1`: the extra row only says that there is a next page. */
export function page<R, I>(rows: readonly R[], limit: number, toItem: (row: R) => I, position: (row: R) => unknown): { items: I[]; next: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(toItem), next: rows.length > limit && last !== undefined ? encodeCursor(position(last)) : null };
}
