import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { API_KEY_PATTERN } from '../api/api-key-token.js';
import { cidrProblem } from '../api/client-networks.js';
import { cronExpressionProblem } from '../domain/policy/cron-expression.js';
import { parseEncryptionKey } from '../security/secret-box.js';

/**
 * The process configuration. It is parsed once at boot from the environment; nothing else in the
 * code base reads `process.env`.
 */
export interface Config {
  /** GitHub App id; absent until the app is registered. */
  appId: string | undefined;
  /** GitHub App private key (PEM), from PRIVATE_KEY or the file at PRIVATE_KEY_PATH. */
  privateKey: string | undefined;
  /** Webhook secrets accepted, current first (WEBHOOK_SECRET, then WEBHOOK_SECRET_PREVIOUS). */
  webhookSecrets: string[];
  /** REST base URL of GitHub (github.com or a GitHub Enterprise Server). */
  githubApiUrl: string;
  /** GraphQL endpoint of the same GitHub. */
  githubGraphqlUrl: string;
  /** smee.io channel to forward webhooks from, in development. */
  webhookProxyUrl: string | undefined;
  port: number;
  host: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** PostgreSQL connection string; undefined selects the embedded PGlite database. */
  databaseUrl: string | undefined;
  /** Size of the PostgreSQL connection pool used by the app (pg-boss has its own). */
  databasePoolSize: number;
  /** Milliseconds to wait for a new PostgreSQL connection before the query fails. */
  databaseConnectTimeoutMs: number;
  /** PostgreSQL `statement_timeout` of the app's connections, in milliseconds; 0 for none. */
  databaseStatementTimeoutMs: number;
  /** Schema that holds CEOS's tables; pg-boss uses `${databaseSchema}_jobs`. */
  databaseSchema: string;
  /** Whether `ceos start` applies pending migrations (false: it refuses to start until `ceos migrate` has run). */
  migrateOnStart: boolean;
  /** Directory of the embedded database. */
  dataDir: string;
  /** Whether this process runs workers (intake-only instances set it to false). */
  workersEnabled: boolean;
  /** Deliveries processed at once by this process. */
  workerConcurrency: number;
  /** Seconds a claimed delivery stays leased to a worker before another may take it over; extended while it runs. */
  deliveryLeaseSeconds: number;
  /** Seconds one attempt of a delivery may run before it is aborted and retried. */
  deliveryDeadlineSeconds: number;
  /** Deliveries processed at once while this process's intake is saturated (the intake goes first). */
  workerBusyConcurrency: number;
  /** Deliveries started per second while this process's intake is saturated. */
  workerBusyRate: number;
  /** Seconds the oldest claimed delivery may wait before the worker stops yielding to the intake. */
  workerMaxLagSeconds: number;
  /** Attempts before a delivery is dead-lettered. */
  deliveryMaxAttempts: number;
  /** Base of the exponential retry backoff, in seconds. */
  deliveryRetryBaseSeconds: number;
  /** Cron schedule of the missed-delivery recovery job. */
  recoverySchedule: string;
  /** Seconds SIGTERM waits for in-flight work before closing anyway. */
  shutdownTimeoutSeconds: number;
  /** Largest webhook body accepted, in bytes (GitHub caps payloads at 25 MB). */
  webhookMaxBytes: number;
  /** Commits of grouped deliveries allowed in flight at once (intake group commit). */
  intakeMaxInFlight: number;
  /** Most deliveries grouped into one commit. */
  intakeMaxBatch: number;
  /** Most deliveries waiting for an intake commit; past it a delivery is answered 503 at once. */
  intakeMaxWaiting: number;
  /** Most payload bytes waiting for an intake commit; past it a delivery is answered 503 at once. */
  intakeMaxWaitingBytes: number;
  /** Milliseconds from a delivery's arrival to its commit before it is answered 503 (GitHub waits 10 s). */
  intakeCommitDeadlineMs: number;
  /** Milliseconds a client has to send a whole HTTP request (Fastify `requestTimeout`). */
  httpRequestTimeoutMs: number;
  /** Milliseconds an HTTP connection may stay inactive before it is closed (Fastify `connectionTimeout`). */
  httpConnectionTimeoutMs: number;
  /** Repository of each organization that holds its policy. */
  policyRepository: string;
  /** Path of the policy file in that repository. */
  policyPath: string;
  /** Usernames per Copilot seat add/cancel request. */
  seatBatchSize: number;
  /** Cron schedule of the full resync (members, teams, seats) of every organization. */
  resyncSchedule: string;
  /** Hours a mirror of members and teams may age before a plan that cancels seats re-syncs it first. */
  mirrorMaxAgeHours: number;
  /** Cron schedule of the prune job that applies `retention`. */
  pruneSchedule: string;
  /** Copilot usage collection (see docs/analytics.md, "Collection"). */
  usage: UsageConfig;
  /** How long each kind of data is kept (see docs/operations.md, "Retention"). */
  retention: RetentionConfig;
  /** The management API's settings (see docs/api.md). */
  api: ApiConfig;
  /** The web dashboard's sign-in and sessions (see docs/dashboard.md). */
  dashboard: DashboardConfig;
  /** OpenTelemetry traces (see docs/operations.md, "Traces"). */
  tracing: TracingConfig;
  /** GitHub's rate limits as every instance shares them (see docs/operations.md, "Several instances"). */
  githubBudget: GitHubBudgetConfig;
  /** Notification webhooks and the encryption of stored secrets (see docs/notifications.md). */
  notifications: NotificationsConfig;
}

/** Settings of notification webhooks and of secrets at rest. */
export interface NotificationsConfig {
  /** Key that seals stored secrets (`CEOS_ENCRYPTION_KEY`, 32 bytes in base64); without it no subscription can be created. */
  encryptionKey: string | undefined;
  /** Earlier keys still accepted for opening values (`CEOS_ENCRYPTION_KEYS_PREVIOUS`, comma-separated), until `ceos secrets rotate` re-seals them. */
  previousEncryptionKeys: string[];
  /** Whether webhook targets may resolve to private, loopback or link-local addresses (`CEOS_WEBHOOK_ALLOW_PRIVATE`). */
  allowPrivateTargets: boolean;
  /** Milliseconds one notification request may take (`CEOS_WEBHOOK_TIMEOUT_MS`). */
  timeoutMs: number;
  /** Requests in flight to one endpoint, across every instance (`CEOS_WEBHOOK_CONCURRENCY_PER_ENDPOINT`). */
  concurrencyPerEndpoint: number;
}

/** How GitHub's per-installation rate limits are kept when several instances share them. */
export interface GitHubBudgetConfig {
  /** `database`: every instance on the database shares one budget per installation; `process`: each its own. */
  store: 'database' | 'process';
  /** Content-creating requests (POST, PATCH, PUT, DELETE) per installation in any minute (GitHub's secondary limit: 80). */
  writesPerMinute: number;
  /** The same in any hour (GitHub: 500). */
  writesPerHour: number;
  /** Least milliseconds between two content-creating starts of one installation, across instances (GitHub: a second). */
  writeIntervalMs: number;
}

/** Where traces are exported; without an endpoint no tracing SDK is loaded. */
export interface TracingConfig {
  /** OTLP/HTTP traces URL: `OTEL_EXPORTER_OTLP_ENDPOINT` with `v1/traces` appended; undefined turns tracing off. */
  tracesUrl: string | undefined;
  /** OTLP encoding (`OTEL_EXPORTER_OTLP_PROTOCOL`): protobuf, the specification's default, or JSON. */
  protocol: 'http/protobuf' | 'http/json';
  /** `service.name` of the exported spans (`OTEL_SERVICE_NAME`). */
  serviceName: string;
}

/** Settings of the web dashboard: sessions, and sign-in with GitHub. */
export interface DashboardConfig {
  /** Secret that signs session cookies (`CEOS_SESSION_SECRET`); without it one is made per start and sessions end at restart. */
  sessionSecret: string | undefined;
  /** Hours a session lasts from sign-in (`CEOS_SESSION_HOURS`); never longer than the key it was opened with. */
  sessionHours: number;
  /** The URL people open CEOS at (`CEOS_PUBLIC_URL`): the OAuth callback and the origin requests must come from. */
  publicUrl: string | undefined;
  /** Whether to believe `X-Forwarded-Proto` from a proxy in front (`CEOS_TRUST_FORWARDED_PROTO`). */
  trustForwardedProto: boolean;
  /** OAuth client id of the GitHub App (`GITHUB_CLIENT_ID`); with the secret, "Sign in with GitHub" is offered. */
  githubClientId: string | undefined;
  /** OAuth client secret of the GitHub App (`GITHUB_CLIENT_SECRET`). */
  githubClientSecret: string | undefined;
  /** Web URL of GitHub (github.com or the GitHub Enterprise Server host), where people authorize the app. */
  githubWebUrl: string;
}

/** Settings of the daily Copilot usage collection. */
export interface UsageConfig {
  /** Whether usage reports are collected (the daily schedule, the backfill on install, refreshes). */
  enabled: boolean;
  /** Cron schedule (UTC) of the daily collection of every organization. */
  schedule: string;
}

/** Settings of the management API under `/api/v1`. */
export interface ApiConfig {
  /** An admin key that start-up makes sure exists with exactly this value (`CEOS_BOOTSTRAP_ADMIN_KEY`), for automation. */
  bootstrapAdminKey: string | undefined;
  /** Origins allowed to call the API from a browser; empty: CORS off. */
  corsOrigins: string[];
  /** Networks (CIDR) allowed to reach `/api/v1` and `/docs`; empty: any. */
  allowCidrs: string[];
  /** Requests a minute per API key. */
  rateLimitPerKey: number;
  /** Requests a minute per client address for requests without a valid key. */
  rateLimitPerAddress: number;
  /** Where rate-limit counters live: `memory` (each instance its own) or `database` (shared by instances). */
  rateLimitStore: 'memory' | 'database';
}

/** How long each kind of data is kept, in days, and how the prune job deletes. */
export interface RetentionConfig {
  /** Days after processing that a processed delivery keeps its payload. */
  deliveryPayloadDays: number;
  /** Days after processing that a processed delivery's row is kept (its GUID, status and summary). */
  deliveryDays: number;
  /** Days after receipt that a dead letter is kept unless replayed. */
  deadLetterDays: number;
  /** Days after dispatch that a domain event is kept in the outbox. */
  domainEventDays: number;
  /** Days after creation that a plan (and its per-user changes) is kept. */
  planDays: number;
  /** Days after an organization uninstalls the app that its mirror is purged. */
  uninstalledMirrorDays: number;
  /** Days after they finish that pg-boss keeps completed and failed jobs. */
  jobDays: number;
  /** Rows per delete (or payload drop), each batch its own short transaction. */
  batchSize: number;
}

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

// Checked at start, so a typo fails here, naming the variable, rather than when pg-boss first
// reads the schedule. Five-field cron only: a subset of what pg-boss's cron-parser accepts.
const cron = z.string().superRefine((value, ctx) => {
  const problem = cronExpressionProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const commaList = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean));

// An IPv4 or IPv6 network in CIDR notation, checked with the same parser the API's filter uses.
const cidrList = commaList.superRefine((list, ctx) => {
  for (const cidr of list) {
    const problem = cidrProblem(cidr);
    if (problem) ctx.addIssue({ code: 'custom', message: `${cidr}: ${problem}` });
  }
});

const days = (fallback: number) => z.coerce.number().int().min(1).max(3650).default(fallback);

const EnvSchema = z.object({
  APP_ID: optionalText.pipe(z.string().regex(/^\d+$/, 'must be the numeric GitHub App id').optional()),
  PRIVATE_KEY: optionalText,
  PRIVATE_KEY_PATH: optionalText,
  WEBHOOK_SECRET: optionalText,
  WEBHOOK_SECRET_PREVIOUS: optionalText,
  GHE_HOST: optionalText.pipe(
    z
      .string()
      .regex(/^[a-zA-Z0-9.-]+(:\d+)?$/, 'must be a host name (and optional port), without a scheme')
      .optional(),
  ),
  GHE_PROTOCOL: z.enum(['https', 'http']).default('https'),
  WEBHOOK_PROXY_URL: optionalText.pipe(z.url().optional()),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string')
      .optional(),
  ),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,40}$/, 'must be a lower-case SQL identifier')
    .default('ceos'),
  // Off where a separate step migrates first (the Helm chart's hook Job), so instances never race it.
  CEOS_MIGRATE_ON_START: boolean.default(true),
  CEOS_DATA_DIR: z.string().default('./.data'),
  CEOS_WORKERS: boolean.default(true),
  CEOS_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  CEOS_DELIVERY_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  CEOS_DELIVERY_DEADLINE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  CEOS_WORKER_BUSY_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(4),
  CEOS_WORKER_BUSY_RATE: z.coerce.number().min(1).max(100_000).default(50),
  CEOS_WORKER_MAX_LAG_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  CEOS_DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  CEOS_DELIVERY_RETRY_BASE_SECONDS: z.coerce.number().min(0).max(3600).default(5),
  CEOS_RECOVERY_SCHEDULE: cron.default('*/15 * * * *'),
  CEOS_SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().min(0).max(600).default(25),
  CEOS_WEBHOOK_MAX_BYTES: z.coerce.number().int().min(1024).default(25 * 1024 * 1024),
  CEOS_INTAKE_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(64).default(1),
  CEOS_INTAKE_MAX_BATCH: z.coerce.number().int().min(1).max(5000).default(500),
  CEOS_INTAKE_MAX_WAITING: z.coerce.number().int().min(1).max(1_000_000).default(2000),
  CEOS_INTAKE_MAX_WAITING_BYTES: z.coerce.number().int().min(1024).default(64 * 1024 * 1024),
  CEOS_INTAKE_COMMIT_DEADLINE_MS: z.coerce.number().int().min(100).max(9500, 'must stay below GitHub\'s 10 s timeout (at most 9500)').default(5000),
  CEOS_HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  CEOS_HTTP_CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
  CEOS_POLICY_REPOSITORY: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be a repository name').default('.github'),
  CEOS_POLICY_PATH: z
    .string()
    .regex(/^[^/][A-Za-z0-9._/-]*\.ya?ml$/, 'must be a relative path to a .yml or .yaml file')
    .default('.github/copilot-policy.yml'),
  CEOS_SEAT_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
  CEOS_RESYNC_SCHEDULE: cron.default('17 3 * * *'),
  CEOS_MIRROR_MAX_AGE_HOURS: z.coerce.number().positive().max(24 * 365).default(24),
  CEOS_PRUNE_SCHEDULE: cron.default('41 * * * *'),
  CEOS_USAGE_COLLECTION: boolean.default(true),
  CEOS_USAGE_SCHEDULE: cron.default('23 6 * * *'),
  CEOS_RETAIN_DELIVERY_PAYLOAD_DAYS: days(7),
  CEOS_RETAIN_DELIVERY_DAYS: days(30),
  CEOS_RETAIN_DEAD_LETTER_DAYS: days(90),
  CEOS_RETAIN_DOMAIN_EVENT_DAYS: days(7),
  CEOS_RETAIN_PLAN_DAYS: days(180),
  CEOS_UNINSTALLED_MIRROR_DAYS: days(30),
  CEOS_RETAIN_JOB_DAYS: days(7),
  CEOS_PRUNE_BATCH_SIZE: z.coerce.number().int().min(100).max(50_000).default(2000),
  CEOS_BOOTSTRAP_ADMIN_KEY: optionalText.pipe(
    z
      .string()
      .regex(API_KEY_PATTERN, 'must be "ceos_" followed by at least 43 base64url characters (32 random bytes); make one with `ceos keys generate`')
      .optional(),
  ),
  CEOS_CORS_ORIGINS: commaList.pipe(z.array(z.url('must be a comma-separated list of origins such as https://dashboard.example.com'))),
  CEOS_API_ALLOW_CIDRS: cidrList,
  CEOS_API_RATE_LIMIT_PER_KEY: z.coerce.number().int().min(1).max(1_000_000).default(600),
  CEOS_API_RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(60),
  CEOS_API_RATE_LIMIT_STORE: optionalText.pipe(z.enum(['memory', 'database'], 'must be memory or database').default('memory')),
  CEOS_SESSION_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)').optional()),
  CEOS_SESSION_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
  CEOS_PUBLIC_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://ceos.example.com' }).optional()),
  CEOS_TRUST_FORWARDED_PROTO: boolean.default(false),
  GITHUB_CLIENT_ID: optionalText,
  GITHUB_CLIENT_SECRET: optionalText,
  // The OpenTelemetry SDK's standard variables; only HTTP exporters ship, so gRPC is refused here.
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://otel-collector:4318' }).optional()),
  OTEL_EXPORTER_OTLP_PROTOCOL: optionalText.pipe(z.enum(['http/protobuf', 'http/json'], 'must be http/protobuf or http/json (gRPC is not supported)').default('http/protobuf')),
  OTEL_SERVICE_NAME: optionalText.pipe(z.string().default('ceos')),
  CEOS_GITHUB_BUDGET_STORE: optionalText.pipe(z.enum(['database', 'process'], 'must be database or process').optional()),
  CEOS_GITHUB_WRITES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(80),
  CEOS_GITHUB_WRITES_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(500),
  CEOS_GITHUB_WRITE_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  CEOS_ENCRYPTION_KEY: optionalText.superRefine((v, ctx) => {
    const key = v === undefined ? undefined : parseEncryptionKey(v);
    if (typeof key === 'string') ctx.addIssue({ code: 'custom', message: key });
  }),
  CEOS_ENCRYPTION_KEYS_PREVIOUS: commaList.superRefine((list, ctx) => {
    list.forEach((v, i) => {
      const key = parseEncryptionKey(v);
      if (typeof key === 'string') ctx.addIssue({ code: 'custom', message: `key ${i + 1}: ${key}` });
    });
  }),
  CEOS_WEBHOOK_ALLOW_PRIVATE: boolean.default(false),
  CEOS_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  CEOS_WEBHOOK_CONCURRENCY_PER_ENDPOINT: z.coerce.number().int().min(1).max(64).default(4),
});

/** Every environment variable the configuration reads (deployment files are checked against it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

/** Raised when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses the environment into a Config, failing with a message that names each bad variable.
 * `env` is passed in so tests can build configurations without touching the process.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.PRIVATE_KEY && e.PRIVATE_KEY_PATH) {
    throw new ConfigError('Invalid configuration:\n  PRIVATE_KEY_PATH: set either PRIVATE_KEY or PRIVATE_KEY_PATH, not both');
  }
  let privateKey = e.PRIVATE_KEY?.replace(/\\n/g, '\n');
  if (e.PRIVATE_KEY_PATH) {
    try {
      privateKey = readFileSync(path.resolve(e.PRIVATE_KEY_PATH), 'utf8');
    } catch (error) {
      throw new ConfigError(
        `Invalid configuration:\n  PRIVATE_KEY_PATH: cannot read ${e.PRIVATE_KEY_PATH} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  if (e.CEOS_RETAIN_DELIVERY_PAYLOAD_DAYS > e.CEOS_RETAIN_DELIVERY_DAYS) {
    throw new ConfigError(
      'Invalid configuration:\n  CEOS_RETAIN_DELIVERY_PAYLOAD_DAYS: must not exceed CEOS_RETAIN_DELIVERY_DAYS (a payload cannot outlive its row)',
    );
  }
  if (privateKey && !privateKey.includes('PRIVATE KEY-----')) {
    throw new ConfigError('Invalid configuration:\n  PRIVATE_KEY: is not a PEM private key (expected "-----BEGIN ... PRIVATE KEY-----")');
  }
  const githubApiUrl = e.GHE_HOST ? `${e.GHE_PROTOCOL}://${e.GHE_HOST}/api/v3` : 'https://api.github.com';
  if (Boolean(e.GITHUB_CLIENT_ID) !== Boolean(e.GITHUB_CLIENT_SECRET)) {
    throw new ConfigError(`Invalid configuration:\n  ${e.GITHUB_CLIENT_ID ? 'GITHUB_CLIENT_SECRET' : 'GITHUB_CLIENT_ID'}: set both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, or neither`);
  }
  const githubGraphqlUrl = e.GHE_HOST ? `${e.GHE_PROTOCOL}://${e.GHE_HOST}/api/graphql` : 'https://api.github.com/graphql';
  return {
    appId: e.APP_ID,
    privateKey,
    webhookSecrets: [e.WEBHOOK_SECRET, e.WEBHOOK_SECRET_PREVIOUS].filter((s): s is string => Boolean(s)),
    githubApiUrl,
    githubGraphqlUrl,
    webhookProxyUrl: e.WEBHOOK_PROXY_URL,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseConnectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    databaseSchema: e.DATABASE_SCHEMA,
    migrateOnStart: e.CEOS_MIGRATE_ON_START,
    dataDir: e.CEOS_DATA_DIR,
    workersEnabled: e.CEOS_WORKERS,
    workerConcurrency: e.CEOS_WORKER_CONCURRENCY,
    deliveryLeaseSeconds: e.CEOS_DELIVERY_LEASE_SECONDS,
    deliveryDeadlineSeconds: e.CEOS_DELIVERY_DEADLINE_SECONDS,
    workerBusyConcurrency: e.CEOS_WORKER_BUSY_CONCURRENCY,
    workerBusyRate: e.CEOS_WORKER_BUSY_RATE,
    workerMaxLagSeconds: e.CEOS_WORKER_MAX_LAG_SECONDS,
    deliveryMaxAttempts: e.CEOS_DELIVERY_MAX_ATTEMPTS,
    deliveryRetryBaseSeconds: e.CEOS_DELIVERY_RETRY_BASE_SECONDS,
    recoverySchedule: e.CEOS_RECOVERY_SCHEDULE,
    shutdownTimeoutSeconds: e.CEOS_SHUTDOWN_TIMEOUT_SECONDS,
    webhookMaxBytes: e.CEOS_WEBHOOK_MAX_BYTES,
    intakeMaxInFlight: e.CEOS_INTAKE_MAX_IN_FLIGHT,
    intakeMaxBatch: e.CEOS_INTAKE_MAX_BATCH,
    intakeMaxWaiting: e.CEOS_INTAKE_MAX_WAITING,
    intakeMaxWaitingBytes: e.CEOS_INTAKE_MAX_WAITING_BYTES,
    intakeCommitDeadlineMs: e.CEOS_INTAKE_COMMIT_DEADLINE_MS,
    httpRequestTimeoutMs: e.CEOS_HTTP_REQUEST_TIMEOUT_MS,
    httpConnectionTimeoutMs: e.CEOS_HTTP_CONNECTION_TIMEOUT_MS,
    policyRepository: e.CEOS_POLICY_REPOSITORY,
    policyPath: e.CEOS_POLICY_PATH,
    seatBatchSize: e.CEOS_SEAT_BATCH_SIZE,
    resyncSchedule: e.CEOS_RESYNC_SCHEDULE,
    mirrorMaxAgeHours: e.CEOS_MIRROR_MAX_AGE_HOURS,
    pruneSchedule: e.CEOS_PRUNE_SCHEDULE,
    usage: { enabled: e.CEOS_USAGE_COLLECTION, schedule: e.CEOS_USAGE_SCHEDULE },
    retention: {
      deliveryPayloadDays: e.CEOS_RETAIN_DELIVERY_PAYLOAD_DAYS,
      deliveryDays: e.CEOS_RETAIN_DELIVERY_DAYS,
      deadLetterDays: e.CEOS_RETAIN_DEAD_LETTER_DAYS,
      domainEventDays: e.CEOS_RETAIN_DOMAIN_EVENT_DAYS,
      planDays: e.CEOS_RETAIN_PLAN_DAYS,
      uninstalledMirrorDays: e.CEOS_UNINSTALLED_MIRROR_DAYS,
      jobDays: e.CEOS_RETAIN_JOB_DAYS,
      batchSize: e.CEOS_PRUNE_BATCH_SIZE,
    },
    api: {
      bootstrapAdminKey: e.CEOS_BOOTSTRAP_ADMIN_KEY,
      corsOrigins: e.CEOS_CORS_ORIGINS,
      allowCidrs: e.CEOS_API_ALLOW_CIDRS,
      rateLimitPerKey: e.CEOS_API_RATE_LIMIT_PER_KEY,
      rateLimitPerAddress: e.CEOS_API_RATE_LIMIT_PER_ADDRESS,
      rateLimitStore: e.CEOS_API_RATE_LIMIT_STORE,
    },
    dashboard: {
      sessionSecret: e.CEOS_SESSION_SECRET,
      sessionHours: e.CEOS_SESSION_HOURS,
      publicUrl: e.CEOS_PUBLIC_URL ? new URL(e.CEOS_PUBLIC_URL).origin : undefined,
      trustForwardedProto: e.CEOS_TRUST_FORWARDED_PROTO,
      githubClientId: e.GITHUB_CLIENT_ID,
      githubClientSecret: e.GITHUB_CLIENT_SECRET,
      githubWebUrl: e.GHE_HOST ? `${e.GHE_PROTOCOL}://${e.GHE_HOST}` : 'https://github.com',
    },
    tracing: {
      // The specification's rule for the signal-less variable: the path of the signal is appended.
      tracesUrl: e.OTEL_EXPORTER_OTLP_ENDPOINT ? new URL('v1/traces', e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/?$/, '/')).href : undefined,
      protocol: e.OTEL_EXPORTER_OTLP_PROTOCOL,
      serviceName: e.OTEL_SERVICE_NAME,
    },
    githubBudget: {
      // Shared by default where instances can share a database; the embedded one has one process.
      store: e.CEOS_GITHUB_BUDGET_STORE ?? (e.DATABASE_URL ? 'database' : 'process'),
      writesPerMinute: e.CEOS_GITHUB_WRITES_PER_MINUTE,
      writesPerHour: e.CEOS_GITHUB_WRITES_PER_HOUR,
      writeIntervalMs: e.CEOS_GITHUB_WRITE_INTERVAL_MS,
    },
    notifications: {
      encryptionKey: e.CEOS_ENCRYPTION_KEY?.trim(),
      previousEncryptionKeys: e.CEOS_ENCRYPTION_KEYS_PREVIOUS,
      allowPrivateTargets: e.CEOS_WEBHOOK_ALLOW_PRIVATE,
      timeoutMs: e.CEOS_WEBHOOK_TIMEOUT_MS,
      concurrencyPerEndpoint: e.CEOS_WEBHOOK_CONCURRENCY_PER_ENDPOINT,
    },
  };
}

/** Whether the GitHub App is registered well enough to call GitHub and process deliveries. */
export function hasAppCredentials(config: Config): boolean {
  return Boolean(config.appId && config.privateKey);
}

/**
 * Reads the environment of this process (with a `.env` file, if present, filling in what is
 * unset) and parses it. This is the only place that touches `process.env`.
 */
export async function loadConfigFromProcess(): Promise<Config> {
  const dotenv = await import('dotenv');
  dotenv.config({ quiet: true });
  return loadConfig(process.env);
}
