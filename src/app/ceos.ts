import type { FastifyInstance } from 'fastify';
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { ApplicationFunction, Probot } from 'probot';
import { type DatabaseHandle, connectDatabase, pingDatabase } from '../db/connect.js';
import {
  DELIVERIES_CHANNEL,
  type NewDelivery,
  countQueuedDeliveries,
  insertDeliveries,
  preparedDeliveryInsert,
} from '../db/deliveries.js';
import { DOMAIN_EVENTS_CHANNEL, DomainEventBus } from '../db/domain-events.js';
import { DomainEventDispatcher } from '../engine/domain-event-dispatcher.js';
import { migrateToLatest, pendingMigrations } from '../db/migrate.js';
import { createAppFunction } from '../handlers/index.js';
import { type DeliveryInbox, createDeliveryInbox } from '../intake/delivery-inbox.js';
import { WEBHOOK_PATH } from '../intake/webhook-route.js';
import { DeliveryWorker } from '../engine/delivery-worker.js';
import { RECOVER_DELIVERIES_QUEUE, recoverDeliveries } from '../jobs/recover-deliveries.js';
import { type ReconcileReporter, createReconcileQueues, startReconcileWorkers } from '../jobs/reconcile-worker.js';
import { createCommandQueue } from '../jobs/command-queue.js';
import { createCommandReplier, failCommandRun } from '../reporting/command-reply.js';
import { startCommandWorker } from '../jobs/copilot-command.js';
import { createPolicyCheckQueue } from '../jobs/policy-check-queue.js';
import { startPolicyCheckWorker } from '../jobs/policy-check.js';
import { createReconcileReporter } from '../reporting/report-reconciliation.js';
import { type Config, hasAppCredentials } from './config.js';
import { type Metrics, createMetrics } from './metrics.js';
import { createProbot } from './probot.js';
import { createQueue } from './queue.js';
import { buildServer } from './server.js';

/** A running CEOS process. */
export interface Ceos {
  config: Config;
  database: DatabaseHandle;
  server: FastifyInstance;
  boss: PgBoss;
  metrics: Metrics;
  inbox: DeliveryInbox;
  /** In-process subscribers to domain events (seat changes, finished reconciliations, violations). */
  events: DomainEventBus;
  /** Present when this process runs workers and the GitHub App is configured. */
  worker?: DeliveryWorker;
  probot?: Probot;
  /** Base URL the server listens on. */
  url: string;
  /** Stops accepting, finishes in-flight work within the configured bound, closes pools. */
  close(): Promise<void>;
}

/** What tests and tools may change about a process beyond its configuration. */
export interface StartOptions {
  log: Logger;
  /** Octokit throttling and retries (off in tests that assert exact request sequences). */
  throttle?: boolean;
  /** Whether to listen on HTTP (tests may use `server.inject` instead). */
  listen?: boolean;
  /** How often idle workers look for retries and expired leases. */
  pollIntervalMs?: number;
  /** Extra handlers loaded beside the product's (tests observe processing through them). */
  extraHandlers?: ApplicationFunction;
  /** Reports finished reconciliation runs (check runs and command replies). */
  reporter?: ReconcileReporter;
}

/**
 * Starts CEOS: database and migrations, job queue, workers, HTTP server, in that order, so that
 * nothing is accepted before it can be recorded. Without GitHub App credentials it still starts
 * and stores verified deliveries, but processes none until it is configured.
 */
export async function startCeos(config: Config, options: StartOptions): Promise<Ceos> {
  const { log } = options;
  const database = await connectDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    schema: config.databaseSchema,
    poolSize: config.databasePoolSize,
  });
  const cleanups: (() => Promise<void>)[] = [() => database.close()];
  const undo = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const applied = await migrateToLatest(database.db, database.schema);
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');

    const metrics = createMetrics(() => countQueuedDeliveries(database.db));
    const boss = createQueue(database, log);
    await boss.start();
    cleanups.push(() => boss.stop({ graceful: true, timeout: config.shutdownTimeoutSeconds * 1000 }));
    await boss.createQueue(RECOVER_DELIVERIES_QUEUE, {
      policy: 'singleton',
      retryLimit: 3,
      retryDelay: 60,
      retryBackoff: true,
      expireInSeconds: 600,
    });
    await createReconcileQueues(boss);
    await createPolicyCheckQueue(boss);
    await createCommandQueue(boss);
    const policyLocation = { repository: config.policyRepository, path: config.policyPath };
    const appId = config.appId ? Number(config.appId) : undefined;

    const canProcess = hasAppCredentials(config);
    let worker: DeliveryWorker | undefined;
    let probot: Probot | undefined;
    if (config.workersEnabled && canProcess) {
      const productHandlers = createAppFunction({ db: database.db, boss, log, policyLocation });
      const extra = options.extraHandlers;
      const appFn: ApplicationFunction = extra
        ? async (app, opts) => {
            await productHandlers(app, opts);
            await extra(app, opts);
          }
        : productHandlers;
      probot = await createProbot(config, appFn, metrics, log, {
        throttle: options.throttle,
      });
      const receive = probot.receive.bind(probot);
      worker = new DeliveryWorker(
        database.db,
        (delivery) => receive(delivery as Parameters<typeof receive>[0]),
        {
          concurrency: config.workerConcurrency,
          leaseSeconds: config.deliveryLeaseSeconds,
          maxAttempts: config.deliveryMaxAttempts,
          retryBaseSeconds: config.deliveryRetryBaseSeconds,
          pollIntervalMs: options.pollIntervalMs ?? 2000,
        },
        metrics,
        log.child({ component: 'deliveries' }),
      );
      const activeWorker = worker;
      const unlisten = await database.listen(DELIVERIES_CHANNEL, () => activeWorker.wake());
      cleanups.push(unlisten);
      activeWorker.start();
      cleanups.push(() => activeWorker.stop(config.shutdownTimeoutSeconds * 1000));

      const app = probot;
      await boss.work(RECOVER_DELIVERIES_QUEUE, async () => {
        const result = await recoverDeliveries({ octokit: await app.auth(), db: database.db, log, now: new Date() });
        log.info(result, 'missed-delivery recovery finished');
        return result;
      });
      await startReconcileWorkers({
        boss,
        db: database.db,
        probot: app,
        log,
        metrics,
        policyLocation,
        batchSize: config.seatBatchSize,
        resyncSchedule: config.resyncSchedule,
        reporter:
          options.reporter ??
          createReconcileReporter({
            log,
            policyLocation,
            appId,
            commandReply: createCommandReplier({ db: database.db, log }),
          }),
        onLastAttemptFailed: (job, error, octokit) => failCommandRun({ db: database.db, log }, job, error, octokit),
      });
      await startPolicyCheckWorker({ boss, db: database.db, probot: app, log, policyLocation, appId });
      await startCommandWorker({ boss, db: database.db, probot: app, log });
      // Scheduled in the database, so one run happens per schedule however many instances run.
      await boss.schedule(RECOVER_DELIVERIES_QUEUE, config.recoverySchedule);
      await boss.send(RECOVER_DELIVERIES_QUEUE, {}, { singletonKey: 'startup', singletonSeconds: 60 });
    } else if (!canProcess) {
      log.warn(
        'GitHub App credentials are not configured (APP_ID and PRIVATE_KEY or PRIVATE_KEY_PATH): ' +
          'verified deliveries are stored but not processed until they are. See "Registering the GitHub App" in the README.',
      );
    }

    // The outbox's one subscriber today: a structured log line and a counter per event. Notification
    // channels (chat, e-mail) attach here.
    const bus = new DomainEventBus();
    bus.subscribe('*', (event) => {
      metrics.domainEvents.inc({ type: event.type });
      log.info({ event: event.type, org: event.org, ...event.payload }, 'domain event');
    });
    if (config.workersEnabled) {
      const dispatcher = new DomainEventDispatcher(database.db, bus, log);
      const unlistenEvents = await database.listen(DOMAIN_EVENTS_CHANNEL, () => dispatcher.wake());
      dispatcher.start();
      cleanups.push(async () => {
        await unlistenEvents();
        await dispatcher.stop();
      });
    }

    const pool = database.pool;
    const insert = pool ? preparedDeliveryInsert(pool) : (rows: readonly NewDelivery[]) => insertDeliveries(database.db, rows);
    const inbox = createDeliveryInbox(insert, () => worker?.wake(), {
      maxBatch: config.intakeMaxBatch,
      maxBatchBytes: 8 * 1024 * 1024,
      maxInFlight: config.intakeMaxInFlight,
    });
    const server = await buildServer({
      log,
      metrics,
      inbox,
      webhookSecrets: config.webhookSecrets,
      webhookMaxBytes: config.webhookMaxBytes,
      readiness: [
        async () => ({ name: 'database', ok: await pingDatabase(database.db) }),
        async () => {
          // Caught here so the failing check keeps its name when the database is unreachable.
          const pending = await pendingMigrations(database.db, database.schema).catch(() => undefined);
          if (!pending) return { name: 'migrations', ok: false, detail: 'migration state unreadable' };
          return { name: 'migrations', ok: pending.length === 0, detail: pending.length ? `pending: ${pending.join(', ')}` : undefined };
        },
        async () => ({
          name: 'queue',
          ok: !config.workersEnabled || !canProcess || Boolean(worker?.running),
          detail: worker?.running || !config.workersEnabled ? undefined : 'workers not running',
        }),
        async () => ({
          name: 'github_app',
          ok: canProcess && config.webhookSecrets.length > 0,
          detail: canProcess && config.webhookSecrets.length > 0 ? undefined : 'APP_ID, PRIVATE_KEY and WEBHOOK_SECRET must be set',
        }),
      ],
    });
    // Closing the server first stops new requests and waits for those in flight; the inbox then
    // flushes what they submitted before workers and pools stop.
    cleanups.push(async () => {
      await server.close();
      await inbox.idle();
    });

    let url = '';
    if (options.listen !== false) {
      url = await server.listen({ port: config.port, host: config.host });
      log.info({ url, webhooks: `${url}${WEBHOOK_PATH}`, database: database.kind }, 'CEOS is listening');
    } else {
      await server.ready();
    }

    if (config.webhookProxyUrl && url) {
      const { SmeeClient } = await import('smee-client');
      const smee = new SmeeClient({
        source: config.webhookProxyUrl,
        target: `${url.replace('0.0.0.0', '127.0.0.1')}${WEBHOOK_PATH}`,
        logger: {
          info: (...args: unknown[]) => log.info({ detail: args.map(String).join(' ') }, 'webhook proxy'),
          error: (...args: unknown[]) => log.error({ detail: args.map(String).join(' ') }, 'webhook proxy'),
        },
      });
      await smee.start();
      cleanups.push(() => smee.stop());
      log.info({ source: config.webhookProxyUrl }, 'forwarding webhooks from the development proxy');
    }

    let closing: Promise<void> | undefined;
    return {
      config,
      database,
      server,
      boss,
      metrics,
      inbox,
      events: bus,
      worker,
      probot,
      url,
      close() {
        closing ??= undo();
        return closing;
      },
    };
  } catch (error) {
    await undo();
    throw error;
  }
}
