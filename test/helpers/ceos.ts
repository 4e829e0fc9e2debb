import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { type Config, loadConfig } from '../../src/app/config.js';
import { type Ceos, type StartOptions, startCeos } from '../../src/app/ceos.js';
import { createLogger } from '../../src/app/logger.js';
import { testPrivateKey } from './app-key.js';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from './database.js';

export const TEST_SECRET = 'test-webhook-secret';

/** Log lines a test can read back (the logger writes JSON lines here). */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      this.raw.push(line);
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  }
}

/** The environment of a test instance: its own schema, loopback only, GitHub wherever `gheHost` says. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    APP_ID: '12345',
    PRIVATE_KEY: testPrivateKey(),
    WEBHOOK_SECRET: TEST_SECRET,
    GHE_HOST: 'github.test',
    GHE_PROTOCOL: 'https',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATABASE_URL: testDatabaseUrl,
    DATABASE_SCHEMA: uniqueSchema(),
    CEOS_DATA_DIR: 'memory://',
    CEOS_DELIVERY_RETRY_BASE_SECONDS: '0',
    ...overrides,
  };
}

/** A started test instance, with its captured log. */
export interface TestCeos extends Ceos {
  logs: LogCapture;
  log: Logger;
  /** Stops the instance and drops its schemas. */
  stop(): Promise<void>;
}

/** Starts CEOS for a test on a fresh schema (or in-memory PGlite). */
export async function startTestCeos(
  env: Record<string, string | undefined> = {},
  options: Partial<StartOptions> = {},
): Promise<TestCeos> {
  const config: Config = loadConfig(testEnv(env));
  const logs = new LogCapture();
  const log = createLogger(config.logLevel, logs);
  const ceos = await startCeos(config, { log, throttle: false, pollIntervalMs: 200, ...options });
  return {
    ...ceos,
    logs,
    log,
    async stop() {
      await ceos.close();
      await dropSchemas(config.databaseSchema);
    },
  };
}
