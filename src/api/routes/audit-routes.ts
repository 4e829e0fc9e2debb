import { Readable } from 'node:stream';
import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { AuditLogTable } from '../../db/audit-schema.js';
import { listAuditPage } from '../../db/api-listings.js';
import { verifyAuditChain } from '../../db/audit-log.js';
import { defineRoute } from '../api-route.js';
import { decodeCursor, page } from '../cursor.js';
import { brokenAuditEntryBody } from '../response-schemas.js';
import { iso, pageOf, pageQuery, timestamp } from '../schemas.js';

const auditItemBody = z.object({
  id: z.string().describe('Global order across organizations'),
  org: z.string(),
  seq: z.number().int().describe("1-based position in the organization's chain"),
  actor: z.string().describe('A login, `api-key:<id>`, `schedule` or `ceos`'),
  actor_type: z.enum(['user', 'api_key', 'schedule', 'app']),
  action: z.string(),
  target: z.string().nullable(),
  reason: z.string(),
  details: z.record(z.string(), z.unknown()),
  created_at: timestamp,
  prev_hash: z.string(),
  hash: z.string(),
});

const EXPORT_BATCH = 1000;

function auditItem(row: Selectable<AuditLogTable>) {
  return {
    id: row.id,
    org: row.org,
    seq: Number(row.seq),
    actor: row.actor,
    actor_type: row.actor_type,
    action: row.action,
    target: row.target,
    reason: row.reason,
    details: row.details,
    created_at: iso(row.created_at),
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

const CSV_COLUMNS = ['id', 'org', 'seq', 'created_at', 'actor', 'actor_type', 'action', 'target', 'reason', 'details', 'prev_hash', 'hash'] as const;

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // Quoted when needed; a leading = + - @ is prefixed so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Organizations a listing covers: the filter, within what the key may see. */
function scopeOrgs(filter: string | undefined, allowed: readonly string[] | null): string[] | undefined {
  if (filter === undefined) return allowed === null ? undefined : [...allowed];
  const org = filter.toLowerCase();
  return allowed === null || allowed.includes(org) ? [org] : [];
}

/** The audit log: list (JSON, JSON lines or CSV by `Accept`) and verify the hash chains. */
export const auditRoutes = [
  defineRoute({
    method: 'GET',
    url: '/audit',
    permission: 'read_sensitive',
    org: false,
    tag: 'audit',
    summary: 'List audit entries, newest first',
    description:
      'Filters: `org`, `actor`, `action`, `from` and `to` (ISO 8601; `to` exclusive). With `Accept: application/x-ndjson` (JSON lines) or `text/csv` every matching entry is streamed, ' +
      'without pagination; otherwise a page of `{items, next}`. An org-limited key sees only its organizations.',
    querystring: z.strictObject({
      ...pageQuery,
      org: z.string().min(1).max(100).optional(),
      actor: z.string().min(1).max(200).optional(),
      action: z.string().min(1).max(100).optional(),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
    }),
    response: pageOf(auditItemBody).describe('A page of entries; with `Accept: application/x-ndjson` or `text/csv`, every matching entry instead, one a line'),
    async handler({ query, principal, deps, request, reply }) {
      const filter = {
        orgs: scopeOrgs(query.org, principal.orgs),
        ...(query.actor ? { actor: query.actor } : {}),
        ...(query.action ? { action: query.action } : {}),
        ...(query.from ? { from: new Date(query.from) } : {}),
        ...(query.to ? { to: new Date(query.to) } : {}),
      };
      const accept = request.headers.accept ?? '';
      const format = /text\/csv/.test(accept) ? 'csv' : /application\/(x-ndjson|jsonl|x-jsonlines)/.test(accept) ? 'jsonl' : 'json';
      if (format !== 'json') {
        const db = deps.db;
        async function* lines(): AsyncGenerator<string> {
          if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\n`;
          let beforeId: string | undefined;
          for (;;) {
            const rows = await listAuditPage(db, { ...filter, limit: EXPORT_BATCH, ...(beforeId ? { beforeId } : {}) });
            for (const row of rows) {
              const item = auditItem(row);
              yield format === 'csv' ? `${CSV_COLUMNS.map((c) => csvCell(item[c])).join(',')}\n` : `${JSON.stringify(item)}\n`;
            }
            if (rows.length < EXPORT_BATCH) return;
            beforeId = rows[rows.length - 1]!.id;
          }
        }
        return reply
          .code(200)
          .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
          .send(Readable.from(lines()));
      }
      const before = decodeCursor(query.cursor, z.object({ before: z.string().regex(/^\d+$/) }));
      const rows = await listAuditPage(deps.db, { ...filter, limit: query.limit + 1, ...(before ? { beforeId: before.before } : {}) });
      return page(rows, query.limit, auditItem, (r) => ({ before: r.id }));
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/audit/verify',
    permission: 'read_sensitive',
    org: false,
    tag: 'audit',
    summary: 'Verify the audit hash chains',
    description: 'Every organization the key may see, or `org` alone. `ok` is false when any chain is broken; `broken` names the first broken entry of each.',
    querystring: z.strictObject({ org: z.string().min(1).max(100).optional() }),
    response: z.object({
      ok: z.boolean(),
      checked: z.number().int().describe('Entries checked'),
      orgs: z.number().int().describe('Organizations whose chains were checked'),
      broken: z.array(brokenAuditEntryBody).describe('The first broken entry of each broken chain'),
      firstBroken: brokenAuditEntryBody.optional(),
    }),
    async handler({ query, principal, deps }) {
      const orgs = scopeOrgs(query.org, principal.orgs);
      if (orgs === undefined) return verifyAuditChain(deps.db);
      const results = await Promise.all(orgs.map((org) => verifyAuditChain(deps.db, { org })));
      const broken = results.flatMap((r) => r.broken);
      return { ok: broken.length === 0, checked: results.reduce((n, r) => n + r.checked, 0), orgs: orgs.length, broken, ...(broken[0] ? { firstBroken: broken[0] } : {}) };
    },
  }),
];
