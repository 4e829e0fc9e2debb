import type { FastifyInstance } from 'fastify';
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { ApplicationFunction, Probot } from 'probot';
import { type DatabaseHandle, connectDatabase } from '../db/connect.js';
import { countQueuedDeliveries } from '../db/deliveries.js';
import { DomainEventBus } from '../db/domain-events.js';
import { migrateToLatest, pendingMigrations } from '../db/migrate.js';
import type { DeliveryWorker } from '../engine/delivery-worker.js';
import { currentDeadline } from '../engine/job-deadline.js';
import type { DeliveryInbox } from '../intake/delivery-inbox.js';
import { WEBHOOK_PATH } from '../intake/webhook-route.js';
import type { ReconcileReporter } from '../jobs/reconcile-worker.js';
import { appCredentialsCapability } from './capabilities/app-credentials.js';
import { apiCapability } from './capabilities/api.js';
import { checksCapability } from './capabilities/checks.js';
import { commandsCapability } from './capabilities/commands.js';
import { dashboardCapability } from './capabilities/dashboard.js';
import { deliveriesCapability } from './capabilities/deliveries.js';
import { domainEventsCapability } from './capabilities/domain-events.js';
import { governanceCapability } from './capabilities/governance.js';
import { intakeCapability } from './capabilities/intake.js';
import { lifecycleCapability } from './capabilities/lifecycle.js';
import { notificationsCapability } from './capabilities/notifications.js';
import { platformCapability } from './capabilities/platform.js';
import { usageCapability } from './capabilities/usage.js';
import { webhookProxyCapability } from './capabilities/webhook-proxy.js';
import { type Capability, type CapabilityContext, type CapabilityOptions, type CapabilityParts, ProcessSignals } from './capability.js';
import { type Config, hasAppCredentials } from './config.js';
import { configurationWarning } from './startup-report.js';
import { type Metrics, createMetrics } from './metrics.js';
import { createProbot } from './probot.js';
import { createSharedRateLimit } from '../github/shared-rate-limit.js';
import { createQueue } from './queue.js';
import { startTracing } from './tracing.js';
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

/** Raised by a start with CEOS_MIGRATE_ON_START=false on a database with pending migrations. */
export class PendingMigrationsError extends Error {
  override name = 'PendingMigrationsError';
  constructor(
    readonly schema: string,
    readonly pending: string[],
  ) {
    super(
      `the database (schema ${schema}) has ${pending.length} pending ${pending.length === 1 ? 'migration' : 'migrations'} ` +
        `(${pending.join(', ')}) and CEOS_MIGRATE_ON_START is false; run \`ceos migrate\` first`,
    );
  }
}

/** What tests and tools may change about a process beyond its configuration. */
export interface StartOptions extends CapabilityOptions {
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
  /** Capabilities started after the product's own (integrations that plug in from outside). */
  extraCapabilities?: readonly Capability[];
}

/** Stops registered in start order, run in reverse, each at most once, failures not stopping the rest. */
class ShutdownStack {
  private readonly steps: { name: string; run: () => Promise<void> }[] = [];
  constructor(private readonly log: Logger) {}

  push(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      await step.run().catch((error: unknown) => this.log.warn({ err: error, step: step.name }, 'shutdown step failed'));
    }
  }
}

/**
 * Starts CEOS: the database and its migrations, the job queue, then each capability in the order
 * listed here (queues, workers, schedules), then the HTTP server with every capability's routes
 * and readiness checks, so nothing is accepted before it can be recorded. Without GitHub App
 * credentials it still starts and stores verified deliveries, but processes none until it is
 * configured.
 */
export async function startCeos(config: Config, options: StartOptions): Promise<Ceos> {
  const { log } = options;
  const database = await connectDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    schema: config.databaseSchema,
    poolSize: config.databasePoolSize,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    log,
    // A job or delivery past its deadline stops waiting on the database too.
    querySignal: () => currentDeadline()?.signal,
  });
  const shutdown = new ShutdownStack(log);
  shutdown.push('database', () => database.close());
  try {
    // Before anything that makes spans; stopped (its last spans exported) once the job queue has stopped.
    const tracing = await startTracing(config.tracing, log);
    shutdown.push('tracing', () => tracing.shutdown());
    if (config.migrateOnStart) {
      const applied = await migrateToLatest(database.db, database.schema);
      if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
    } else {
      // Another step migrates (the Helm chart's hook Job): an instance of a newer release must not
      // run on an older schema, nor migrate it under the instances still running.
      const pending = await pendingMigrations(database.db, database.schema);
      if (pending.length > 0) throw new PendingMigrationsError(database.schema, pending);
    }

    const metrics = createMetrics(() => countQueuedDeliveries(database.db));
    const boss = createQueue(database, log, { traceContext: tracing.enabled });
    await boss.start();
    shutdown.push('job queue', () => boss.stop({ graceful: true, timeout: config.shutdownTimeoutSeconds * 1000 }));

    const canProcess = hasAppCredentials(config);
    const ctx: CapabilityContext = {
      config,
      log,
      database,
      db: database.db,
      boss,
      metrics,
      events: new DomainEventBus(),
      policyLocation: { repository: config.policyRepository, path: config.policyPath },
      appId: config.appId ? Number(config.appId) : undefined,
      processes: config.workersEnabled && canProcess,
      signals: new ProcessSignals(),
      options,
    };

    // The capabilities, in start order. Each declares its parts in its own module.
    const intake = intakeCapability();
    const deliveries = deliveriesCapability();
    const capabilities: Capability[] = [
      platformCapability,
      appCredentialsCapability,
      intake,
      deliveries,
      governanceCapability,
      checksCapability,
      commandsCapability,
      domainEventsCapability,
      notificationsCapability,
      usageCapability,
      // After every capability that creates queues: it sets how long pg-boss keeps their finished jobs.
      lifecycleCapability,
      webhookProxyCapability,
      apiCapability,
      dashboardCapability,
      ...(options.extraCapabilities ?? []),
    ];

    const parts: (CapabilityParts & { name: string })[] = [];
    for (const capability of capabilities) parts.push({ name: capability.name, ...(await capability.register(ctx)) });
    for (const part of parts) {
      for (const queue of part.queues ?? []) await boss.createQueue(queue.name, queue.options);
    }
    for (const part of parts) {
      await part.start?.();
      if (part.shutdown) shutdown.push(part.name, part.shutdown);
    }

    let probot: Probot | undefined;
    if (ctx.processes) {
      const handlers = parts.flatMap((p) => (p.handlers ? [p.handlers] : []));
      if (options.extraHandlers) handlers.push(options.extraHandlers);
      const appFn: ApplicationFunction = async (app, opts) => {
        for (const handler of handlers) await handler(app, opts);
      };
      probot = await createProbot(config, appFn, metrics, log, {
        throttle: options.throttle,
        sharedRateLimit:
          config.githubBudget.store === 'database'
            ? createSharedRateLimit({
                db: database.db,
                limits: {
                  perMinute: config.githubBudget.writesPerMinute,
                  perHour: config.githubBudget.writesPerHour,
                  intervalMs: config.githubBudget.writeIntervalMs,
                },
                log: log.child({ component: 'github-budget' }),
                onHold: (outcome) => metrics.githubBudgetHolds.inc({ outcome }),
              })
            : undefined,
      });
      const workerCtx = { ...ctx, probot };
      for (const part of parts) await part.startWorkers?.(workerCtx);
      for (const part of parts) {
        const schedules = typeof part.schedules === 'function' ? part.schedules(workerCtx) : (part.schedules ?? []);
        for (const s of schedules) await boss.schedule(s.queue, s.cron, s.data, s.key ? { key: s.key } : undefined);
      }
    }
    const warning = configurationWarning(config);
    if (warning) log.warn(warning);

    const server = await buildServer({
      log,
      metrics,
      bodyLimit: config.webhookMaxBytes,
      requestTimeoutMs: config.httpRequestTimeoutMs,
      connectionTimeoutMs: config.httpConnectionTimeoutMs,
      readiness: parts.flatMap((p) => p.readiness ?? []),
      plugins: parts.flatMap((p) => (p.routes ? [p.routes] : [])),
    });
    // Closing the server first stops new requests and waits for those in flight; the capabilities
    // then stop in reverse order (the intake flushing what those requests submitted first).
    shutdown.push('http server', () => server.close());

    let url = '';
    if (options.listen !== false) {
      url = await server.listen({ port: config.port, host: config.host });
      log.info({ url, webhooks: `${url}${WEBHOOK_PATH}`, database: database.kind }, 'CEOS is listening');
      for (const part of parts) await part.onListening?.(url);
    } else {
      await server.ready();
    }

    let closing: Promise<void> | undefined;
    return {
      config,
      database,
      server,
      boss,
      metrics,
      inbox: intake.inbox(),
      events: ctx.events,
      worker: deliveries.worker(),
      probot,
      url,
      close() {
        closing ??= shutdown.run();
        return closing;
      },
    };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
}
