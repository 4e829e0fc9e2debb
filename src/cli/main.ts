import { Command, InvalidArgumentError, Option } from 'commander';
import { type Config, ConfigError, loadConfigFromProcess } from '../app/config.js';
import { startCeos } from '../app/ceos.js';
import { createLogger } from '../app/logger.js';
import { createQueue } from '../app/queue.js';
import { type DatabaseHandle, DatabaseInUseError, connectDatabase } from '../db/connect.js';
import { getDelivery, listDeliveries, replayDelivery } from '../db/deliveries.js';
import { migrateToLatest, pendingMigrations } from '../db/migrate.js';
import type { DeliveryStatus } from '../db/schema.js';
import { registerApiCommands } from './api-commands.js';
import { registerAuditCommands } from './audit-command.js';
import { CliUserError, registerPlanCommands } from './plans-command.js';
import { registerRequestCommands } from './requests-command.js';
import { formatTable } from './format-table.js';
import { registerUsageCommands } from './usage-command.js';
import { registerSecretsCommands } from './secrets-command.js';
import { registerWebhookCommands } from './webhooks-command.js';

const STATUSES: DeliveryStatus[] = ['received', 'processing', 'processed', 'failed', 'dead'];

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Thrown for a failure the user can act on: printed without a stack trace. */
class UserError extends Error {}

async function config(): Promise<Config> {
  return loadConfigFromProcess();
}

async function openDatabase<T>(migrate: boolean, fn: (database: DatabaseHandle) => Promise<T>): Promise<T> {
  const cfg = await config();
  const database = await connectDatabase({
    databaseUrl: cfg.databaseUrl,
    dataDir: cfg.dataDir,
    schema: cfg.databaseSchema,
    poolSize: 2,
  });
  try {
    if (migrate) await migrateToLatest(database.db, database.schema);
    else await refusePendingMigrations(database);
    return await fn(database);
  } finally {
    await database.close();
  }
}

/**
 * Opens the database for a command that reads or writes rows. Only `start` and `migrate` change
 * the schema: a newer CLI must not migrate a database under older running instances, so any other
 * command stops when migrations are pending.
 */
function withDatabase<T>(fn: (database: DatabaseHandle) => Promise<T>): Promise<T> {
  return openDatabase(false, fn);
}

async function refusePendingMigrations(database: DatabaseHandle): Promise<void> {
  const pending = await pendingMigrations(database.db, database.schema);
  if (pending.length === 0) return;
  throw new UserError(
    `the database (schema ${database.schema}) has ${pending.length} pending ${pending.length === 1 ? 'migration' : 'migrations'} ` +
      `(${pending.join(', ')}); run \`ceos migrate\` (npm run ceos -- migrate) first. Only \`ceos start\` and \`ceos migrate\` change the schema.`,
  );
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('must be a whole number from 1 to 10000');
  return n;
}

const program = new Command()
  .name('ceos')
  .description('CEOS, the Copilot Enterprise Orchestration System')
  .showHelpAfterError()
  // Scripts tell a usage mistake (2) from a refusal or failure (1); help and --version exit 0.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

program
  .command('start')
  .description('start the app: webhook intake, workers, API')
  .action(async () => {
    const cfg = await config();
    const log = createLogger(cfg.logLevel);
    const ceos = await startCeos(cfg, { log });
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      ceos.close().then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });

program
  .command('migrate')
  .description('apply pending database migrations (CEOS\'s tables and the job queue\'s)')
  .action(async () => {
    await openDatabase(true, async (database) => {
      // pg-boss installs or upgrades its own schema when it starts; starting it here, without its
      // background work, lets a deployment migrate everything before any instance starts.
      const boss = createQueue(database, createLogger('warn'), { background: false });
      await boss.start();
      await boss.stop({ graceful: false });
      out(`database ${database.kind}, schema ${database.schema}: migrations are current`);
    });
  });

const deliveries = program.command('deliveries').description('inspect and replay stored webhook deliveries');

deliveries
  .command('list')
  .description('list deliveries, newest first')
  .addOption(new Option('--status <status>', 'only deliveries in this status').choices(STATUSES))
  .option('--event <event>', 'only deliveries of this event')
  .option('--limit <n>', 'how many', positiveInt, 50)
  .option('--json', 'print JSON')
  .action(async (opts: { status?: DeliveryStatus; event?: string; limit: number; json?: boolean }) => {
    await withDatabase(async ({ db }) => {
      const rows = await listDeliveries(db, opts);
      if (opts.json) return out(JSON.stringify(rows, null, 2));
      if (rows.length === 0) return out('no deliveries');
      out(
        formatTable(
          ['id', 'event', 'action', 'org', 'status', 'attempts', 'received'],
          rows.map((r) => [r.id, r.event, r.action ?? '', r.org ?? '', r.status, String(r.attempts), new Date(r.received_at).toISOString()]),
        ),
      );
    });
  });

deliveries
  .command('show <guid>')
  .description('show one delivery with its payload')
  .action(async (guid: string) => {
    await withDatabase(async ({ db }) => {
      const row = await getDelivery(db, guid);
      if (!row) throw new UserError(`no delivery ${guid}`);
      // The prune job empties the payloads of old processed deliveries (CEOS_RETAIN_DELIVERY_PAYLOAD_DAYS).
      const payload = row.payload === '' ? null : (JSON.parse(row.payload) as unknown);
      out(JSON.stringify({ ...row, payload, ...(payload === null ? { payload_dropped: true } : {}) }, null, 2));
    });
  });

deliveries
  .command('replay <guid>')
  .description('process a stored delivery again (running instances pick it up at once)')
  .action(async (guid: string) => {
    await withDatabase(async ({ db }) => {
      const row = await getDelivery(db, guid);
      if (row?.payload === '') {
        throw new UserError(`delivery ${guid} cannot be replayed: its payload was dropped by the retention settings (CEOS_RETAIN_DELIVERY_PAYLOAD_DAYS)`);
      }
      const replay = await replayDelivery(db, guid);
      if (!replay.replayed) throw new UserError(replay.message);
      out(replay.message);
    });
  });

registerAuditCommands(program, withDatabase, out);
registerApiCommands(program, withDatabase, out);
registerPlanCommands(program, withDatabase, out, () => createLogger('warn'));
registerRequestCommands(program, withDatabase, out, () => createLogger('warn'));
registerUsageCommands(program, withDatabase, out, () => createLogger('warn'));
registerWebhookCommands(program, withDatabase, out, config);
registerSecretsCommands(program, withDatabase, out, config);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof UserError || error instanceof CliUserError || error instanceof DatabaseInUseError) {
    process.stderr.write(`ceos: ${error.message}\n`);
  } else {
    process.stderr.write(`ceos: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exitCode = 1;
});
