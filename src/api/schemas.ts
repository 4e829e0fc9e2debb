import { z } from 'zod';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './cursor.js';

/** An organization login in a path. */
export const orgParam = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'must be an organization login').describe('Organization login');

/** `{org}` alone. */
export const orgParams = z.strictObject({ org: orgParam });

/** A uuid in a path. */
export const uuid = z.string().uuid('must be a uuid');

/** `limit` and `cursor` of every list. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE).describe(`Items per page (at most ${MAX_PAGE_SIZE})`),
  cursor: z.string().max(500).optional().describe('The `next` of the previous page'),
};

/** Dates as ISO 8601 text, whatever the driver returned. */
export function iso(value: Date | string): string;
export function iso(value: Date | string | null | undefined): string | null;
export function iso(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return new Date(value).toISOString();
}

/** A moment as the API writes it: ISO 8601 in UTC. */
export const timestamp = z.iso.datetime().describe('ISO 8601, UTC');

/** A page of a list: `{items, next}`, `next` being the cursor of the following page or null on the last. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last') });
}
