import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { PgBoss, Queue } from 'pg-boss';
import type { Logger } from 'pino';
import type { ApplicationFunction, Probot } from 'probot';
import type { DatabaseHandle } from '../db/connect.js';
import type { DomainEventBus } from '../db/domain-events.js';
import type { Database } from '../db/schema.js';
import type { PolicyLocation } from '../jobs/reconcile-org.js';
import type { ReadinessCheck } from '../routes/operations.js';
import type { Config } from './config.js';
import type { Metrics } from './metrics.js';

/** What every capability may use: the process's shared parts, passed in, never imported. */
export interface CapabilityContext {
  config: Config;
  log: Logger;
  database: DatabaseHandle;
  db: Kysely<Database>;
  boss: PgBoss;
  metrics: Metrics;
  /** In-process subscribers to domain events; notification channels subscribe here. */
  events: DomainEventBus;
  /** Where each organization keeps its policy. */
  policyLocation: PolicyLocation;
  /** The GitHub App's id, when configured. */
  appId: number | undefined;
  /** Whether this process runs workers and the GitHub App is configured, so work can be processed. */
  processes: boolean;
  /** In-process nudges between capabilities (e.g. the intake telling workers that deliveries were stored). */
  signals: ProcessSignals;
  /** Test and tool options given to `startCeos`. */
  options: CapabilityOptions;
}

/** Names of the in-process signals. */
export type SignalName = 'deliveries.stored';

/**
 * In-process nudges between capabilities. They only make work start sooner: the durable path is
 * always the database (rows, and its NOTIFY), so a signal that nobody hears loses nothing.
 */
export class ProcessSignals {
  private readonly listeners = new Map<SignalName, Set<() => void>>();

  /** Calls `listener` on every `emit(name)`; returns the function that stops it. */
  on(name: SignalName, listener: () => void): () => void {
    const set = this.listeners.get(name) ?? new Set();
    set.add(listener);
    this.listeners.set(name, set);
    return () => set.delete(listener);
  }

  emit(name: SignalName): void {
    for (const listener of this.listeners.get(name) ?? []) listener();
  }
}

/** Options of a start that capabilities may read (tests observe and steer through them). */
export interface CapabilityOptions {
  /** Octokit throttling and retries (off in tests that assert exact request sequences). */
  throttle?: boolean;
  /** How often idle workers look for retries and expired leases. */
  pollIntervalMs?: number;
  /** Extra handlers loaded beside the product's. */
  extraHandlers?: ApplicationFunction;
  /** Anything a capability documents as its own option (e.g. a test reporter). */
  [key: string]: unknown;
}

/** What a capability's workers get once the Probot instance exists. */
export interface WorkerContext extends CapabilityContext {
  probot: Probot;
}

/** A queue a capability owns, created at start with a deliberate policy. */
export interface QueueSpec {
  name: string;
  options: Omit<Queue, 'name'>;
}

/** A cron schedule kept by pg-boss in the database, so it fires once per cluster. */
export interface ScheduleSpec {
  queue: string;
  cron: string;
  data?: object;
  /** pg-boss schedule key, for more than one schedule per queue. */
  key?: string;
}

/**
 * Everything one capability adds to the process, declared in one place. The composition root
 * (`ceos.ts`) creates every capability's queues, then starts handlers and workers, schedules,
 * routes and readiness checks, and on stop runs the shutdowns in reverse start order.
 */
export interface CapabilityParts {
  /** Queues created at start, before any worker (dead-letter queues first). */
  queues?: QueueSpec[];
  /** Starts what runs whether or not this process processes work (it decides from the context). */
  start?: () => Promise<void>;
  /** Webhook handlers (Probot app function), loaded when this process processes deliveries. */
  handlers?: ApplicationFunction;
  /** Starts the capability's workers; only called when this process processes work. */
  startWorkers?: (ctx: WorkerContext) => Promise<void>;
  /** Schedules; only registered when this process processes work. */
  schedules?: ScheduleSpec[] | ((ctx: WorkerContext) => ScheduleSpec[]);
  /** HTTP routes, registered as an encapsulated Fastify plugin. */
  routes?: (server: FastifyInstance) => Promise<void>;
  /** Checks `/readyz` runs. */
  readiness?: ReadinessCheck[];
  /** Told the server's URL once it listens (not called when it does not). */
  onListening?: (url: string) => Promise<void>;
  /** Stops what the capability started; called once, in reverse start order. */
  shutdown?: () => Promise<void>;
}

/** One capability of CEOS: a name and a function that declares its parts. */
export interface Capability {
  name: string;
  register(ctx: CapabilityContext): Promise<CapabilityParts> | CapabilityParts;
}

/** Declares a capability (a typed identity, so each module reads the same way). */
export function defineCapability(capability: Capability): Capability {
  return capability;
}
