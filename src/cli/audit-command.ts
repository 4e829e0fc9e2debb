import { type Command, InvalidArgumentError } from 'commander';
import { readAuditChain } from '../db/audit-export.js';
import { listAuditEntries, verifyAuditChain } from '../db/audit-log.js';
import type { DatabaseHandle } from '../db/connect.js';
import type { AuditEntry } from '../domain/audit/audit-entry.js';
import { formatTable } from './format-table.js';

/** Opens the database, runs `fn`, and closes it again. */
export type WithDatabase = <T>(fn: (database: DatabaseHandle) => Promise<T>) => Promise<T>;

function listLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('must be a whole number from 1 to 10000');
  return n;
}

function entryId(value: string): string {
  if (!/^[1-9][0-9]{0,18}$/.test(value)) throw new InvalidArgumentError('must be an entry id (a positive whole number)');
  return value;
}

function entryRow(entry: AuditEntry): string[] {
  return [
    entry.id,
    entry.org,
    String(entry.seq),
    entry.createdAt.toISOString(),
    entry.actor,
    entry.action,
    entry.target ?? '',
    entry.reason,
  ];
}

/** Adds `audit verify`, `audit list` and `audit export` to the CLI. */
export function registerAuditCommands(program: Command, withDatabase: WithDatabase, out: (text: string) => void): void {
  const audit = program.command('audit').description('inspect and verify the tamper-evident audit log');

  audit
    .command('verify')
    .description("check every organization's hash chain (exit code 1 when one is broken)")
    .option('--org <org>', 'only this organization')
    .action(async (opts: { org?: string }) => {
      await withDatabase(async ({ db }) => {
        const result = await verifyAuditChain(db, opts);
        const scope = `${result.checked} ${result.checked === 1 ? 'entry' : 'entries'} in ${result.orgs} ${result.orgs === 1 ? 'organization' : 'organizations'}`;
        if (result.ok) {
          out(`audit log intact: ${scope}`);
          return;
        }
        out(`audit log BROKEN (${scope} checked)`);
        for (const broken of result.broken) {
          out(`  ${broken.org}: first broken entry seq ${broken.seq}${broken.id ? ` (id ${broken.id})` : ''}: ${broken.problem}: ${broken.detail}`);
        }
        process.exitCode = 1;
      });
    });

  audit
    .command('list')
    .description('list audit entries, newest first')
    .option('--org <org>', 'only this organization')
    .option('--action <action>', 'only this action, e.g. seat.cancelled')
    .option('--target <target>', 'only entries about this login or object')
    .option('--before <id>', 'only entries older than this id (the next page)', entryId)
    .option('--limit <n>', 'how many', listLimit, 50)
    .option('--json', 'print JSON')
    .action(async (opts: { org?: string; action?: string; target?: string; before?: string; limit: number; json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const entries = await listAuditEntries(db, { ...opts, beforeId: opts.before });
        if (opts.json) return out(JSON.stringify(entries, null, 2));
        if (entries.length === 0) return out('no audit entries');
        out(formatTable(['id', 'org', 'seq', 'time', 'actor', 'action', 'target', 'reason'], entries.map(entryRow)));
      });
    });

  audit
    .command('export')
    .description("print an organization's whole chain as JSON lines, oldest first, exactly as stored (hashes included)")
    .requiredOption('--org <org>', 'the organization (its login, in any case: chains are kept under the lower-cased login)', (v: string) => v.toLowerCase())
    .action(async (opts: { org: string }) => {
      await withDatabase(async ({ db }) => {
        for await (const page of readAuditChain(db, opts.org)) out(page.map((entry) => JSON.stringify(entry)).join('\n'));
      });
    });
}
