import { type Command, InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import { createQueue } from '../app/queue.js';
import { appendAudit } from '../db/audit-log.js';
import { findInstallationByOrg } from '../db/installations.js';
import { readUsageCollectionStatus } from '../db/usage-collection-status.js';
import { lastDataDay } from '../db/usage-writes.js';
import { collectionDays } from '../domain/usage/collection-days.js';
import { createUsageQueues, enqueueUsageCollection } from '../jobs/collect-usage-queue.js';
import type { WithDatabase } from './audit-command.js';
import { CliUserError } from './plans-command.js';

function dayOption(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidArgumentError('must be a day as YYYY-MM-DD');
  }
  return value;
}

/**
 * Adds `usage refresh` (queue a collection of GitHub's usage reports for a running instance) and
 * `usage status` (whether GitHub gives the reports, and what has been collected).
 */
export function registerUsageCommands(program: Command, withDatabase: WithDatabase, out: (text: string) => void, log: () => Logger): void {
  const usage = program.command('usage').description("collect and inspect organizations' Copilot usage");

  usage
    .command('refresh <org>')
    .description('queue a collection of the usage reports; without --from/--to, from the last day with data (or 28 days back) to yesterday')
    .option('--from <day>', 'first day (YYYY-MM-DD, UTC)', dayOption)
    .option('--to <day>', 'last day (YYYY-MM-DD, UTC; yesterday at the latest)', dayOption)
    .option('--as <login>', 'who asks, recorded in the audit log', 'cli')
    .action(async (org: string, opts: { from?: string; to?: string; as: string }) => {
      await withDatabase(async (database) => {
        const installation = await findInstallationByOrg(database.db, org);
        if (!installation || installation.status !== 'active') {
          throw new CliUserError(`CEOS is not installed on ${org} (or its installation is suspended)`);
        }
        const now = new Date();
        const window = collectionDays({ now, lastDataDay: await lastDataDay(database.db, installation.org), from: opts.from, to: opts.to });
        if (!window.ok) throw new CliUserError(window.problem);
        const boss = createQueue(database, log(), { background: false });
        await boss.start();
        try {
          // The queues may not exist yet when no instance has run on this database.
          await createUsageQueues(boss);
          const jobId = await enqueueUsageCollection(boss, {
            org: installation.org,
            installationId: Number(installation.id),
            trigger: 'cli',
            actor: opts.as,
            from: window.from,
            to: window.to,
          });
          await appendAudit(database.db, {
            org: installation.org,
            actor: opts.as,
            actorType: 'user',
            action: 'usage.refresh_requested',
            target: jobId,
            reason: `usage collection of ${window.from} to ${window.to} requested from the command line`,
            details: { jobId, from: window.from, to: window.to, via: 'cli' },
            at: now,
          });
          out(
            `usage collection of ${installation.account_login} queued (job ${jobId}): ${window.from} to ${window.to}, ${window.days.length} day${window.days.length === 1 ? '' : 's'}; see \`ceos usage status ${installation.account_login}\``,
          );
        } finally {
          await boss.stop({ graceful: false, close: true });
        }
      });
    });

  usage
    .command('status <org>')
    .description('whether GitHub gives CEOS the usage reports, and what has been collected')
    .option('--json', 'print JSON')
    .action(async (org: string, opts: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const installation = await findInstallationByOrg(db, org);
        if (!installation) throw new CliUserError(`CEOS is not installed on ${org}`);
        const s = await readUsageCollectionStatus(db, installation.org);
        if (opts.json) return out(JSON.stringify(s, null, 2));
        const state =
          s.status === 'never'
            ? 'not collected yet'
            : s.status === 'unavailable'
              ? `UNAVAILABLE since ${s.statusAt?.toISOString() ?? '?'}: GitHub answered ${s.httpStatus}: ${s.message ?? ''}`
              : `ok (last attempt ${s.lastAttemptAt?.toISOString() ?? '?'})`;
        out(
          [
            `usage collection for ${installation.account_login}: ${state}`,
            `newest day with data: ${s.lastDataDay ?? 'none'}`,
            `days collected: ${s.daysWithData} with data, ${s.daysWithoutData} without (no report from GitHub: no data, not zero usage)`,
          ].join('\n'),
        );
      });
    });
}
