import { once } from 'node:events';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { generateApiKey } from '../api/api-key-token.js';
import { seatFromRow, seatItem, seatQuery } from '../api/org-views.js';
import { API_ROLES } from '../api/roles.js';
import type { ApiKeyRole } from '../db/api-keys-schema.js';
import { type SeatPageFilter, listSeatsPage } from '../db/api-listings.js';
import { listApiKeys } from '../db/api-keys.js';
import { findInstallationByOrg, type Installation } from '../db/installations.js';
import { listActiveOverrides } from '../db/overrides.js';
import type { Database } from '../db/schema.js';
import { isValidGitHubLogin } from '../domain/commands/github-login.js';
import { liftSeatOverride } from '../operations/lift-seat-override.js';
import { createApiKey, revokeApiKeyAudited } from '../operations/manage-api-keys.js';
import { REDRIVE_BATCH, redriveDeadLetters } from '../operations/redrive-dead-letters.js';
import { grantSeats, revokeSeats } from '../operations/seat-overrides.js';
import { planFromMirror } from '../reporting/command-status.js';
import type { WithDatabase } from './audit-command.js';
import { formatTable, streamingTable } from './format-table.js';
import { CliUserError } from './plans-command.js';
import type { Kysely } from 'kysely';

/** How the CLI is named in audit entries and on overrides. */
const CLI_ACTOR = 'cli';

/** `90d`, `90` (days) → 90. */
function days(value: string): number {
  const match = /^(\d{1,4})d?$/.exec(value.trim());
  const n = match ? Number(match[1]) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > 3650) throw new InvalidArgumentError('must be a number of days from 1 to 3650, such as 90d');
  return n;
}

function wholeDays(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 3650) throw new InvalidArgumentError('must be a whole number of days from 0 to 3650');
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

async function governedOrg(db: Kysely<Database>, org: string): Promise<Installation> {
  const installation = await findInstallationByOrg(db, org);
  if (!installation || installation.account_type === 'Enterprise') throw new CliUserError(`no organization ${org} is governed by CEOS`);
  return installation;
}

/** Seats read per query by `ceos seats`. */
const SEAT_PAGE = 1000;

/** An organization's seats matching a filter, a page at a time, in login order (keyset pagination on the lower-cased login). */
async function* seatPages(db: Kysely<Database>, org: string, filter: Omit<SeatPageFilter, 'limit' | 'afterLogin'>) {
  let afterLogin: string | undefined;
  for (;;) {
    const rows = await listSeatsPage(db, org, { ...filter, limit: SEAT_PAGE, ...(afterLogin !== undefined ? { afterLogin } : {}) });
    if (rows.length > 0) yield rows;
    if (rows.length < SEAT_PAGE) return;
    afterLogin = rows[rows.length - 1]!.login_key;
  }
}

/** Waits while stdout's buffer is full, so a slow reader holds the listing back instead of memory filling up. */
async function drained(): Promise<void> {
  if (process.stdout.writableNeedDrain) await once(process.stdout, 'drain');
}

const iso = (value: Date | string | null) => (value === null ? '' : new Date(value).toISOString());

/**
 * Adds `keys create|list|revoke|generate`, `seats`, `plan` and `overrides list|add|lift`: the
 * management API's operations, run on the database directly (not over HTTP).
 */
export function registerApiCommands(program: Command, withDatabase: WithDatabase, out: (text: string) => void): void {
  const keys = program.command('keys').description('management API keys');

  keys
    .command('create')
    .description('create an API key; it is printed once and only its hash is kept')
    .addOption(new Option('--role <role>', 'what the key may do').choices(API_ROLES).makeOptionMandatory())
    .option('--org <org>', 'limit the key to this organization (repeatable)', collect)
    .option('--expires <days>', 'expire after this many days, such as 90d', days)
    .option('--name <name>', 'a name to tell keys apart')
    .option('--json', 'print JSON')
    .action(async (opts: { role: ApiKeyRole; org?: string[]; expires?: number; name?: string; json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const key = await createApiKey(db, { role: opts.role, ...(opts.org ? { orgs: opts.org } : {}), ...(opts.expires ? { expiresInDays: opts.expires } : {}), ...(opts.name ? { name: opts.name } : {}), actor: CLI_ACTOR });
        if (opts.json) return out(JSON.stringify(key, null, 2));
        out(`${key.key}\n\nAPI key ${key.id} (${key.role}${key.orgs ? ` for ${key.orgs.join(', ')}` : ''}${key.expires_at ? `, expires ${iso(key.expires_at)}` : ''}). Store it now: it is not shown again.`);
      });
    });

  keys
    .command('list')
    .description('list API keys (never the keys themselves)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const rows = await listApiKeys(db, { limit: 10_000 });
        if (opts.json) return out(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return out('no API keys');
        out(
          formatTable(
            ['id', 'name', 'role', 'orgs', 'prefix', 'created', 'last used', 'expires', 'revoked'],
            rows.map((k) => [k.id, k.name, k.role, k.orgs?.join(',') ?? 'all', k.prefix, iso(k.created_at), iso(k.last_used_at), iso(k.expires_at), iso(k.revoked_at)]),
          ),
        );
      });
    });

  keys
    .command('revoke <id>')
    .description('revoke an API key at once')
    .action(async (id: string) => {
      await withDatabase(async ({ db }) => {
        const key = await revokeApiKeyAudited(db, id, CLI_ACTOR);
        if (!key) throw new CliUserError(`no API key ${id} in use (unknown, or revoked already)`);
        out(`API key ${key.id} (${key.name}) revoked`);
      });
    });

  keys
    .command('generate')
    .description('print a new random key without storing it (for CEOS_BOOTSTRAP_ADMIN_KEY)')
    .action(() => out(generateApiKey().key));

  program
    .command('seats <org>')
    .description("an organization's Copilot seats, from CEOS's mirror, in login order")
    .option('--inactive <days>', 'only seats unused for at least this many days', wholeDays)
    .option('--team <slug>', 'only seats of members of this team (child teams included)')
    .addOption(new Option('--state <state>', 'only seats in this state').choices(['active', 'inactive', 'pending_cancellation']))
    .option('--json', 'print one JSON array')
    .option('--jsonl', 'print JSON lines, one seat a line')
    .action(async (org: string, opts: { inactive?: number; team?: string; state?: 'active' | 'inactive' | 'pending_cancellation'; json?: boolean; jsonl?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const installation = await governedOrg(db, org);
        const now = new Date();
        const filter = await seatQuery(db, installation.org, { ...(opts.inactive !== undefined ? { inactiveDays: opts.inactive } : {}), ...(opts.team ? { team: opts.team } : {}), ...(opts.state ? { state: opts.state } : {}) }, now);
        if (filter === 'unknown_team') throw new CliUserError(`no team ${opts.team} in ${installation.account_login}`);
        const format = opts.jsonl ? 'jsonl' : opts.json ? 'json' : 'table';
        const table = streamingTable(['login', 'inactive days', 'last activity', 'team', 'pending cancellation']);
        let count = 0;
        let held = '';
        // Page by page in login order, as the API does: a large organization is never held in memory whole.
        for await (const rows of seatPages(db, installation.org, filter)) {
          const items = rows.map((r) => seatItem(seatFromRow(r), now));
          if (format === 'jsonl') {
            out(items.map((s) => JSON.stringify(s)).join('\n'));
          } else if (format === 'json') {
            // One item is held back, so the last one is printed without a trailing comma.
            const lines = items.map((s) => `  ${JSON.stringify(s)}`);
            out([count === 0 ? '[' : `${held},`, ...lines.slice(0, -1).map((l) => `${l},`)].join('\n'));
            held = lines[lines.length - 1]!;
          } else {
            out(table.rows(items.map((s) => [s.login, String(s.inactive_days), s.last_activity_at ?? 'never', s.assigning_team ?? '', s.pending_cancellation_date ?? ''])));
          }
          count += items.length;
          await drained();
        }
        if (format === 'json') out(count === 0 ? '[]' : `${held}\n]`);
        else if (format === 'table' && count === 0) out(`no seats match in ${installation.account_login}`);
      });
    });

  program
    .command('plan <org>')
    .description('dry run: the plan reconciling now would make, from the mirror; nothing is stored or changed')
    .option('--json', 'print JSON')
    .action(async (org: string, opts: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const installation = await governedOrg(db, org);
        const { plan } = await planFromMirror(db, installation.org, installation.account_login, new Date());
        if (opts.json) return out(JSON.stringify(plan, null, 2));
        const rows = (entries: typeof plan.toAdd) => formatTable(['login', 'reason'], entries.map((e) => [e.login, e.reason.text]));
        out(
          [
            `dry run for ${installation.account_login}: ${plan.status} (${plan.mode} mode)${plan.blocked ? `, blocked: ${plan.blocked.reason}` : ''}`,
            `seats ${plan.seats.before.total} → ${plan.seats.after.total}`,
            plan.toAdd.length ? `to add (${plan.toAdd.length}):\n${rows(plan.toAdd)}` : 'to add: none',
            plan.toCancel.length ? `to cancel (${plan.toCancel.length}):\n${rows(plan.toCancel)}` : 'to cancel: none',
            plan.safeguard?.held.length ? `held by the safeguard (${plan.safeguard.held.length}): confirmation needed` : '',
          ]
            .filter(Boolean)
            .join('\n\n'),
        );
      });
    });

  const deliveries = program.commands.find((c) => c.name() === 'deliveries') ?? program.command('deliveries').description('stored webhook deliveries');
  deliveries
    .command('redrive')
    .description(`put dead letters back in line, oldest first (at most ${REDRIVE_BATCH} per call)`)
    .option('--event <event>', 'only dead letters of this event')
    .option('--org <org>', 'only dead letters of this organization')
    .option('--json', 'print JSON')
    .action(async (opts: { event?: string; org?: string; json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const result = await redriveDeadLetters(db, { ...(opts.event ? { event: opts.event } : {}), ...(opts.org ? { orgs: [opts.org.toLowerCase()] } : {}), actor: CLI_ACTOR, details: { via: 'cli' } });
        if (opts.json) return out(JSON.stringify(result, null, 2));
        out(`${result.ids.length} dead ${result.ids.length === 1 ? 'letter' : 'letters'} queued for processing${result.more ? '; more are left, run it again' : ''}`);
      });
    });

  const overrides = program.command('overrides').description('manual seat overrides');

  overrides
    .command('list <org>')
    .description('the overrides in force')
    .option('--json', 'print JSON')
    .action(async (org: string, opts: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const installation = await governedOrg(db, org);
        const rows = await listActiveOverrides(db, installation.org);
        if (opts.json) return out(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return out(`no overrides in force in ${installation.account_login}`);
        out(formatTable(['id', 'kind', 'login', 'actor', 'reason', 'expires'], rows.map((o) => [o.id, o.kind, o.login, o.actor, o.reason, iso(o.expires_at) || 'never'])));
      });
    });

  overrides
    .command('add <org> <logins...>')
    .description('grant or revoke seats whatever the policy says (applied at the next reconciliation)')
    .addOption(new Option('--kind <kind>', 'grant or revoke').choices(['grant', 'revoke']).makeOptionMandatory())
    .requiredOption('--reason <text>', 'why, for the audit log')
    .option('--expires <days>', 'stop applying after this many days, such as 30d', days)
    .option('--json', 'print JSON')
    .action(async (org: string, logins: string[], opts: { kind: 'grant' | 'revoke'; reason: string; expires?: number; json?: boolean }) => {
      const bad = logins.filter((l) => !isValidGitHubLogin(l.replace(/^@/, '')));
      if (bad.length > 0) throw new CliUserError(`not GitHub logins: ${bad.join(', ')}`);
      await withDatabase(async ({ db }) => {
        const installation = await governedOrg(db, org);
        const record = opts.kind === 'grant' ? grantSeats : revokeSeats;
        const expiresAt = opts.expires ? new Date(Date.now() + opts.expires * 86_400_000) : null;
        const rows = await record(db, { org: installation.org, logins: logins.map((l) => l.replace(/^@/, '')), actor: CLI_ACTOR, reason: opts.reason, expiresAt, details: { via: 'cli' } });
        if (opts.json) return out(JSON.stringify(rows, null, 2));
        out(`${rows.length} ${opts.kind} ${rows.length === 1 ? 'override' : 'overrides'} recorded in ${installation.account_login} (${rows.map((r) => r.id).join(', ')}); \`ceos reconcile ${installation.account_login}\` applies them now`);
      });
    });

  overrides
    .command('lift <org> <id>')
    .description('lift an override in force')
    .action(async (org: string, id: string) => {
      await withDatabase(async ({ db }) => {
        const installation = await governedOrg(db, org);
        if (!/^[0-9a-f-]{36}$/i.test(id)) throw new CliUserError(`no override ${id} in force in ${installation.account_login}`);
        const lifted = await liftSeatOverride(db, { org: installation.org, id, actor: CLI_ACTOR, via: 'cli' });
        if (!lifted) throw new CliUserError(`no override ${id} in force in ${installation.account_login}`);
        out(`override ${lifted.id} (${lifted.kind} ${lifted.login}) lifted`);
      });
    });
}
