import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus metrics of one process, on a registry of its own. */
export interface Metrics {
  registry: Registry;
  deliveriesReceived: Counter<'event'>;
  deliveriesDuplicate: Counter;
  deliveriesRejected: Counter<'reason'>;
  deliveryProcessingSeconds: Histogram<'outcome'>;
  deliveriesDeadLettered: Counter;
  jobFailures: Counter<'queue'>;
  queueDepth: Gauge<'status'>;
  githubRateLimitRemaining: Gauge<'resource'>;
  domainEvents: Counter<'type'>;
}

/**
 * Creates the metrics. `queueDepth` is read from the database when scraped, through `readQueueDepth`,
 * so every instance reports the shared queue.
 */
export function createMetrics(readQueueDepth?: () => Promise<Record<string, number>>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ceos_process_' });
  return {
    registry,
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
    domainEvents: new Counter({
      name: 'ceos_domain_events_total',
      help: 'Domain events dispatched from the outbox, by type.',
      labelNames: ['type'],
      registers: [registry],
    }),
  };
}
