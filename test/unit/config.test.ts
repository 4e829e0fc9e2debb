import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, hasAppCredentials, loadConfig } from '../../src/app/config.js';
import { testPrivateKey } from '../helpers/app-key.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ceos-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

describe('loadConfig', () => {
  it('starts from defaults for an empty environment: github.com, embedded database, workers on', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      appId: undefined,
      privateKey: undefined,
      webhookSecrets: [],
      githubApiUrl: 'https://api.github.com',
      githubGraphqlUrl: 'https://api.github.com/graphql',
      webhookProxyUrl: undefined,
      port: 3000,
      host: '0.0.0.0',
      logLevel: 'info',
      databaseUrl: undefined,
      databasePoolSize: 10,
      databaseConnectTimeoutMs: 5000,
      databaseStatementTimeoutMs: 60_000,
      databaseSchema: 'ceos',
      migrateOnStart: true,
      dataDir: './.data',
      workersEnabled: true,
      workerConcurrency: 50,
      deliveryLeaseSeconds: 30,
      deliveryDeadlineSeconds: 60,
      workerBusyConcurrency: 4,
      workerBusyRate: 50,
      workerMaxLagSeconds: 30,
      deliveryMaxAttempts: 8,
      deliveryRetryBaseSeconds: 5,
      recoverySchedule: '*/15 * * * *',
      shutdownTimeoutSeconds: 25,
      webhookMaxBytes: 25 * 1024 * 1024,
      intakeMaxInFlight: 1,
      intakeMaxBatch: 500,
      intakeMaxWaiting: 2000,
      intakeMaxWaitingBytes: 64 * 1024 * 1024,
      intakeCommitDeadlineMs: 5000,
      httpRequestTimeoutMs: 30_000,
      httpConnectionTimeoutMs: 60_000,
      policyRepository: '.github',
      policyPath: '.github/copilot-policy.yml',
      seatBatchSize: 100,
      resyncSchedule: '17 3 * * *',
      mirrorMaxAgeHours: 24,
      pruneSchedule: '41 * * * *',
      retention: {
        deliveryPayloadDays: 7,
        deliveryDays: 30,
        deadLetterDays: 90,
        domainEventDays: 7,
        planDays: 180,
        uninstalledMirrorDays: 30,
        jobDays: 7,
        batchSize: 2000,
      },
      api: { bootstrapAdminKey: undefined, corsOrigins: [], allowCidrs: [], rateLimitPerKey: 600, rateLimitPerAddress: 60, rateLimitStore: 'memory' },
      usage: { enabled: true, schedule: '23 6 * * *' },
      dashboard: { sessionSecret: undefined, sessionHours: 12, publicUrl: undefined, trustForwardedProto: false, githubClientId: undefined, githubClientSecret: undefined, githubWebUrl: 'https://github.com' },
      tracing: { tracesUrl: undefined, protocol: 'http/protobuf', serviceName: 'ceos' },
      githubBudget: { store: 'process', writesPerMinute: 80, writesPerHour: 500, writeIntervalMs: 1000 },
      notifications: { encryptionKey: undefined, previousEncryptionKeys: [], allowPrivateTargets: false, timeoutMs: 10_000, concurrencyPerEndpoint: 4 },
    });
    expect(hasAppCredentials(config)).toBe(false);
  });

  it('treats blank values as unset', () => {
    const config = loadConfig({ APP_ID: '', PRIVATE_KEY: '  ', WEBHOOK_SECRET: '', GHE_HOST: '', DATABASE_URL: '' });
    expect(config.appId).toBeUndefined();
    expect(config.privateKey).toBeUndefined();
    expect(config.webhookSecrets).toEqual([]);
    expect(config.githubApiUrl).toBe('https://api.github.com');
    expect(config.databaseUrl).toBeUndefined();
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      APP_ID: '4242',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATABASE_URL: 'postgresql://ceos@db:5432/ceos',
      DATABASE_POOL_SIZE: '20',
      DATABASE_SCHEMA: 'ceos_blue',
      CEOS_DATA_DIR: '/var/lib/ceos',
      CEOS_WORKERS: 'false',
      CEOS_WORKER_CONCURRENCY: '8',
      CEOS_DELIVERY_LEASE_SECONDS: '30',
      CEOS_DELIVERY_MAX_ATTEMPTS: '3',
      CEOS_DELIVERY_RETRY_BASE_SECONDS: '0.05',
      WEBHOOK_PROXY_URL: 'https://smee.io/abc',
      CEOS_POLICY_REPOSITORY: 'governance',
      CEOS_POLICY_PATH: 'copilot.yaml',
    });
    expect(config).toMatchObject({
      appId: '4242',
      port: 0,
      host: '127.0.0.1',
      logLevel: 'warn',
      databaseUrl: 'postgresql://ceos@db:5432/ceos',
      databasePoolSize: 20,
      databaseSchema: 'ceos_blue',
      dataDir: '/var/lib/ceos',
      workersEnabled: false,
      workerConcurrency: 8,
      deliveryLeaseSeconds: 30,
      deliveryMaxAttempts: 3,
      deliveryRetryBaseSeconds: 0.05,
      webhookProxyUrl: 'https://smee.io/abc',
      policyRepository: 'governance',
      policyPath: 'copilot.yaml',
    });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads CEOS_WORKERS=%s as %s', (value, expected) => {
    expect(loadConfig({ CEOS_WORKERS: value }).workersEnabled).toBe(expected);
  });

  it.each([
    ['APP_ID', 'my-app'],
    ['PORT', 'http'],
    ['PORT', '70000'],
    ['LOG_LEVEL', 'verbose'],
    ['DATABASE_URL', 'mysql://db/ceos'],
    ['DATABASE_POOL_SIZE', '1'],
    ['DATABASE_SCHEMA', 'Ceos-Prod'],
    ['GHE_HOST', 'https://github.example.com'],
    ['GHE_PROTOCOL', 'ftp'],
    ['WEBHOOK_PROXY_URL', 'not a url'],
    ['CEOS_WORKERS', 'maybe'],
    ['CEOS_WORKER_CONCURRENCY', '0'],
    ['CEOS_DELIVERY_LEASE_SECONDS', '0'],
    ['CEOS_DELIVERY_MAX_ATTEMPTS', '100'],
    ['CEOS_DELIVERY_RETRY_BASE_SECONDS', '-1'],
    ['CEOS_WEBHOOK_MAX_BYTES', '10'],
    ['CEOS_INTAKE_MAX_BATCH', '0'],
    ['CEOS_POLICY_REPOSITORY', 'a/b'],
    ['CEOS_POLICY_PATH', '/etc/policy.yml'],
    ['CEOS_POLICY_PATH', 'policy.json'],
    ['CEOS_SEAT_BATCH_SIZE', '5000'],
    ['CEOS_RECOVERY_SCHEDULE', 'every 15 minutes'],
    ['CEOS_RECOVERY_SCHEDULE', '*/15 * * *'],
    ['CEOS_RESYNC_SCHEDULE', '17 25 * * *'],
    ['CEOS_MIRROR_MAX_AGE_HOURS', '0'],
    ['CEOS_PRUNE_SCHEDULE', '0 0 * * * *'],
    ['CEOS_PRUNE_SCHEDULE', ''],
    ['CEOS_RETAIN_DELIVERY_PAYLOAD_DAYS', '0'],
    ['CEOS_RETAIN_DEAD_LETTER_DAYS', 'forever'],
    ['CEOS_PRUNE_BATCH_SIZE', '10'],
  ])('names %s=%s in the error', (name, value) => {
    const error = failure({ [name]: value });
    expect(error.message).toMatch(/^Invalid configuration:\n/);
    expect(error.message).toContain(`  ${name}: `);
    // Only the bad variable is blamed.
    expect(error.message.split('\n')).toHaveLength(2);
  });

  it('says what is wrong with a cron variable, and gives an example', () => {
    expect(failure({ CEOS_RESYNC_SCHEDULE: '17 25 * * *' }).message).toBe(
      'Invalid configuration:\n  CEOS_RESYNC_SCHEDULE: is not a valid cron expression: hour value 25 is out of range 0-23, e.g. "0 */6 * * *" (every 6 hours)',
    );
  });

  it('reads the retention settings and refuses a payload kept longer than its row', () => {
    const config = loadConfig({ CEOS_RETAIN_DELIVERY_PAYLOAD_DAYS: '3', CEOS_RETAIN_DELIVERY_DAYS: '14', CEOS_PRUNE_SCHEDULE: '5 4 * * SUN' });
    expect(config.retention).toMatchObject({ deliveryPayloadDays: 3, deliveryDays: 14 });
    expect(config.pruneSchedule).toBe('5 4 * * SUN');
    expect(failure({ CEOS_RETAIN_DELIVERY_PAYLOAD_DAYS: '40' }).message).toContain('  CEOS_RETAIN_DELIVERY_PAYLOAD_DAYS: must not exceed CEOS_RETAIN_DELIVERY_DAYS');
  });

  it('names every bad variable at once', () => {
    const error = failure({ PORT: 'x', APP_ID: 'y', DATABASE_SCHEMA: 'BAD' });
    for (const name of ['PORT', 'APP_ID', 'DATABASE_SCHEMA']) expect(error.message).toContain(`  ${name}: `);
  });

  it('never puts a bad value that may be a secret in the message', () => {
    const error = failure({ DATABASE_URL: 'mysql://root:hunter2@db/ceos' });
    expect(error.message).not.toContain('hunter2');
  });

  describe('private key', () => {
    const pem = testPrivateKey();

    it('takes PRIVATE_KEY, with escaped newlines as a one-line variable', () => {
      expect(loadConfig({ PRIVATE_KEY: pem }).privateKey).toBe(pem);
      expect(loadConfig({ PRIVATE_KEY: pem.replace(/\n/g, '\\n') }).privateKey).toBe(pem);
      expect(hasAppCredentials(loadConfig({ APP_ID: '1', PRIVATE_KEY: pem }))).toBe(true);
    });

    it('reads PRIVATE_KEY_PATH', () => {
      const file = path.join(dir, 'app.pem');
      writeFileSync(file, pem);
      expect(loadConfig({ PRIVATE_KEY_PATH: file }).privateKey).toBe(pem);
    });

    it('refuses both at once, naming PRIVATE_KEY_PATH', () => {
      const file = path.join(dir, 'both.pem');
      writeFileSync(file, pem);
      const error = failure({ PRIVATE_KEY: pem, PRIVATE_KEY_PATH: file });
      expect(error.message).toContain('PRIVATE_KEY_PATH: set either PRIVATE_KEY or PRIVATE_KEY_PATH, not both');
    });

    it('names PRIVATE_KEY_PATH when the file cannot be read', () => {
      const missing = path.join(dir, 'missing.pem');
      const error = failure({ PRIVATE_KEY_PATH: missing });
      expect(error.message).toContain(`PRIVATE_KEY_PATH: cannot read ${missing} (ENOENT)`);
    });

    it('refuses a value that is not a PEM key, without echoing it', () => {
      const error = failure({ PRIVATE_KEY: 'ghp_notakey' });
      expect(error.message).toContain('PRIVATE_KEY: is not a PEM private key');
      expect(error.message).not.toContain('ghp_notakey');
      const file = path.join(dir, 'not-a-key.pem');
      writeFileSync(file, 'hello');
      expect(failure({ PRIVATE_KEY_PATH: file }).message).toContain('PRIVATE_KEY: is not a PEM private key');
    });
  });

  describe('GitHub Enterprise Server', () => {
    it.each([
      [{ GHE_HOST: 'github.example.com' }, 'https://github.example.com/api/v3', 'https://github.example.com/api/graphql'],
      [{ GHE_HOST: '127.0.0.1:8443', GHE_PROTOCOL: 'http' }, 'http://127.0.0.1:8443/api/v3', 'http://127.0.0.1:8443/api/graphql'],
      [{ GHE_PROTOCOL: 'http' }, 'https://api.github.com', 'https://api.github.com/graphql'],
    ])('%o → REST %s, GraphQL %s', (env, rest, graphql) => {
      const config = loadConfig(env);
      expect(config.githubApiUrl).toBe(rest);
      expect(config.githubGraphqlUrl).toBe(graphql);
    });
  });

  describe('webhook secrets', () => {
    it.each([
      [{ WEBHOOK_SECRET: 'new' }, ['new']],
      [{ WEBHOOK_SECRET: 'new', WEBHOOK_SECRET_PREVIOUS: 'old' }, ['new', 'old']],
      [{ WEBHOOK_SECRET_PREVIOUS: 'old' }, ['old']],
      [{ WEBHOOK_SECRET: 'new', WEBHOOK_SECRET_PREVIOUS: '' }, ['new']],
    ])('%o → %o (current first)', (env, secrets) => {
      expect(loadConfig(env).webhookSecrets).toEqual(secrets);
    });
  });
});

describe('loadConfig: dashboard', () => {
  it('takes the session and GitHub sign-in settings, with GitHub Enterprise Server\'s web host', () => {
    const config = loadConfig({ GHE_HOST: 'ghe.example.com', CEOS_SESSION_SECRET: 'x'.repeat(32), CEOS_SESSION_HOURS: '8', CEOS_PUBLIC_URL: 'https://ceos.example.com/', CEOS_TRUST_FORWARDED_PROTO: 'true', GITHUB_CLIENT_ID: 'Iv1.abc', GITHUB_CLIENT_SECRET: 's3cret' });
    expect(config.dashboard).toEqual({ sessionSecret: 'x'.repeat(32), sessionHours: 8, publicUrl: 'https://ceos.example.com', trustForwardedProto: true, githubClientId: 'Iv1.abc', githubClientSecret: 's3cret', githubWebUrl: 'https://ghe.example.com' });
  });

  it('refuses a short session secret, a public URL that is not http(s), and half of the OAuth credentials', () => {
    expect(() => loadConfig({ CEOS_SESSION_SECRET: 'short' })).toThrow(/CEOS_SESSION_SECRET: must be at least 32 characters/);
    expect(() => loadConfig({ CEOS_PUBLIC_URL: 'ftp://ceos.example.com' })).toThrow(/CEOS_PUBLIC_URL/);
    expect(() => loadConfig({ GITHUB_CLIENT_ID: 'Iv1.abc' })).toThrow(/GITHUB_CLIENT_SECRET: set both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, or neither/);
  });
});

describe('loadConfig: traces', () => {
  it.each([
    ['http://collector:4318', 'http://collector:4318/v1/traces'],
    ['http://collector:4318/', 'http://collector:4318/v1/traces'],
    ['https://otel.example.com/ingest', 'https://otel.example.com/ingest/v1/traces'],
  ])('appends the signal path to OTEL_EXPORTER_OTLP_ENDPOINT %s', (endpoint, url) => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }).tracing.tracesUrl).toBe(url);
  });

  it('honours the protocol and service name, and refuses gRPC and a URL that is not http(s)', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'ceos-eu' }).tracing).toEqual({
      tracesUrl: 'http://c:4318/v1/traces',
      protocol: 'http/json',
      serviceName: 'ceos-eu',
    });
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL: must be http\/protobuf or http\/json \(gRPC is not supported\)/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: must be an http\(s\) URL/);
  });
});

describe('loadConfig: API rate-limit store', () => {
  it('keeps counters in memory unless told to share them through the database, and refuses anything else', () => {
    expect(loadConfig({}).api.rateLimitStore).toBe('memory');
    expect(loadConfig({ CEOS_API_RATE_LIMIT_STORE: 'database' }).api.rateLimitStore).toBe('database');
    expect(() => loadConfig({ CEOS_API_RATE_LIMIT_STORE: 'redis' })).toThrow(/CEOS_API_RATE_LIMIT_STORE: must be memory or database/);
  });
});
