import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus metrics of one process, on a registry of its own. */
export interface Metrics {
  registry: Registry;
  deliveriesReceived: Counter<'event'>;
  deliveriesDuplicate: Counter;
  deliveriesRejected: Counter<'reason'>;
  deliveryProcessingSeconds: Histogram<'outcome'>;
  deliveriesDeadLettered: Counter;
  /** Times the delivery worker waited for its budget because this process's intake was saturated. */
  workerYields: Counter;
  jobFailures: Counter<'queue'>;
  queueDepth: Gauge<'status'>;
  githubRateLimitRemaining: Gauge<'resource'>;
  /** GitHub requests the shared budget held back: waited for in the request, or deferred as a rate limit. */
  githubBudgetHolds: Counter<'outcome'>;
  domainEvents: Counter<'type'>;
  intakeWaiting: Gauge<'unit'>;
  oldestDueDeliverySeconds: Gauge;
  reconcileSeconds: Histogram<'org' | 'outcome'>;
  heldPlans: Gauge<'org'>;
  /** Usage collection runs, by organization and outcome (collected, unavailable, skipped, failed). */
  usageCollections: Counter<'org' | 'outcome'>;
  /** Usage rows stored, by organization and table. */
  usageRowsStored: Counter<'org' | 'table'>;
  /** Notification sending attempts, by format and outcome (delivered, failed). */
  notificationAttempts: Counter<'format' | 'outcome'>;
  /** Notification messages dead-lettered after their last attempt, by format. */
  notificationsDeadLettered: Counter<'format'>;
  /** Notification endpoints disabled after days of failures. */
  notificationEndpointsDisabled: Counter;
  /** Notification messages by state (shared by every instance). */
  notificationMessages: Gauge<'state'>;
  /** Where the gauges read at scrape time get their values; each capability fills in its own. */
  sources: MetricSources;
}

/** Readers of the values that gauges take at scrape time, set by the capability that owns each. */
export interface MetricSources {
  /** Deliveries (and their bytes) the intake holds in memory, waiting for a commit. */
  intakeWaiting?: () => { count: number; bytes: number };
  /** Age of the oldest due delivery, in seconds (shared by every instance). */
  oldestDueDeliverySeconds?: () => Promise<number>;
  /** Plans awaiting confirmation, by organization. */
  heldPlans?: () => Promise<Record<string, number>>;
  /** Notification messages by state. */
  notificationMessages?: () => Promise<Record<string, number>>;
}

// A scrape must answer even when a source fails (an unreachable database is /readyz's to report).
async function quietly<T>(read: (() => Promise<T> | T) | undefined, use: (value: T) => void): Promise<void> {
  if (!read) return;
  try {
    use(await read());
  } catch {
    // Left at the last value read.
  }
}

/**
 * Creates the metrics. `queueDepth` is read from the database when scraped, through `readQueueDepth`,
 * so every instance reports the shared queue.
 */
export function createMetrics(readQueueDepth?: () => Promise<Record<string, number>>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ceos_process_' });
  const sources: MetricSources = {};
  return {
    registry,
    sources,
    deliveriesReceived: new Counter({
      name: 'ceos_deliveries_received_total',
      help: 'Webhook deliveries stored, by event.',
      labelNames: ['event'],
      registers: [registry],
    }),
    deliveriesDuplicate: new Counter({
      name: 'ceos_deliveries_duplicate_total',
      help: 'Webhook deliveries whose GUID was already stored.',
      registers: [registry],
    }),
    deliveriesRejected: new Counter({
      name: 'ceos_deliveries_rejected_total',
      help: 'Webhook deliveries refused, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    deliveryProcessingSeconds: new Histogram({
      name: 'ceos_delivery_processing_seconds',
      help: 'Time from receipt to the end of processing, by outcome.',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    deliveriesDeadLettered: new Counter({
      name: 'ceos_deliveries_dead_lettered_total',
      help: 'Deliveries that ran out of attempts.',
      registers: [registry],
    }),
    workerYields: new Counter({
      name: 'ceos_delivery_worker_yields_total',
      help: "Times the delivery worker held back deliveries it could have claimed, because this instance's intake was saturated.",
      registers: [registry],
    }),
    jobFailures: new Counter({
      name: 'ceos_job_failures_total',
      help: 'Failed attempts of deliveries and background jobs, by queue.',
      labelNames: ['queue'],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'ceos_queue_depth',
      help: 'Deliveries waiting, in progress, awaiting retry and dead, by status.',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        if (!readQueueDepth) return;
        try {
          const depth = await readQueueDepth();
          for (const [status, count] of Object.entries(depth)) this.set({ status }, count);
        } catch {
          // An unreachable database is reported by /readyz; the scrape still answers.
        }
      },
    }),
    githubRateLimitRemaining: new Gauge({
      name: 'ceos_github_rate_limit_remaining',
      help: 'Requests left in the current GitHub rate-limit window, by resource.',
      labelNames: ['resource'],
      registers: [registry],
    }),
    githubBudgetHolds: new Counter({
      name: 'ceos_github_budget_holds_total',
      help: 'GitHub requests the budget shared by the instances held back: waited (inside the request) or deferred (answered as a rate limit).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    domainEvents: new Counter({
      name: 'ceos_domain_events_total',
      help: 'Domain events dispatched from the outbox, by type.',
      labelNames: ['type'],
      registers: [registry],
    }),
    intakeWaiting: new Gauge({
      name: 'ceos_intake_waiting',
      help: "Deliveries received by this instance's intake and waiting for their commit, as a count and in bytes (unit).",
      labelNames: ['unit'],
      registers: [registry],
      async collect() {
        await quietly(sources.intakeWaiting, ({ count, bytes }) => {
          this.set({ unit: 'deliveries' }, count);
          this.set({ unit: 'bytes' }, bytes);
        });
      },
    }),
    oldestDueDeliverySeconds: new Gauge({
      name: 'ceos_delivery_oldest_due_seconds',
      help: 'Seconds since the oldest delivery waiting to be processed became due: how far processing lags.',
      registers: [registry],
      async collect() {
        await quietly(sources.oldestDueDeliverySeconds, (seconds) => this.set(seconds));
      },
    }),
    reconcileSeconds: new Histogram({
      name: 'ceos_reconcile_duration_seconds',
      help: 'Duration of reconciliation runs, by organization and outcome (applied, planned, held, failed, ...).',
      labelNames: ['org', 'outcome'],
      buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [registry],
    }),
    heldPlans: new Gauge({
      name: 'ceos_plans_held',
      help: 'Plans held for confirmation (status awaiting_confirmation), by organization.',
      labelNames: ['org'],
      registers: [registry],
      async collect() {
        await quietly(sources.heldPlans, (byOrg) => {
          this.reset();
          for (const [org, count] of Object.entries(byOrg)) this.set({ org }, count);
        });
      },
    }),
    usageCollections: new Counter({
      name: 'ceos_usage_collections_total',
      help: 'Usage collection runs, by organization and outcome (collected, unavailable, skipped, failed).',
      labelNames: ['org', 'outcome'],
      registers: [registry],
    }),
    usageRowsStored: new Counter({
      name: 'ceos_usage_rows_stored_total',
      help: 'Usage rows stored from GitHub\'s reports, by organization and table (usage_user_days, usage_team_days).',
      labelNames: ['org', 'table'],
      registers: [registry],
    }),
    notificationAttempts: new Counter({
      name: 'ceos_notification_attempts_total',
      help: 'Notification sending attempts, by format (standard, slack, teams) and outcome (delivered, failed).',
      labelNames: ['format', 'outcome'],
      registers: [registry],
    }),
    notificationsDeadLettered: new Counter({
      name: 'ceos_notifications_dead_lettered_total',
      help: 'Notification messages dead-lettered after their last attempt, by format.',
      labelNames: ['format'],
      registers: [registry],
    }),
    notificationEndpointsDisabled: new Counter({
      name: 'ceos_notification_endpoints_disabled_total',
      help: 'Notification endpoints disabled after days of failures.',
      registers: [registry],
    }),
    notificationMessages: new Gauge({
      name: 'ceos_notification_messages',
      help: 'Notification messages by state (pending, sending, delivered, dead), across every instance.',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        await quietly(sources.notificationMessages, (byState) => {
          for (const [state, count] of Object.entries(byState)) this.set({ state }, count);
        });
      },
    }),
  };
}
