import { afterEach, describe, expect, it } from 'vitest';
import { spawnCeosProcess } from '../helpers/cli.js';
import { backend, cliDatabase } from '../helpers/database.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe(`ceos start with a bad cron variable (${backend})`, () => {
  it.each([
    ['CEOS_RECOVERY_SCHEDULE', 'every 15 minutes'],
    ['CEOS_RESYNC_SCHEDULE', '17 3 * *'],
    ['CEOS_PRUNE_SCHEDULE', '61 * * * *'],
  ])('%s=%s: start refuses before it listens, naming the variable', async (name, value) => {
    const { env } = cliDatabase((cleanup) => cleanups.push(cleanup));
    const started = spawnCeosProcess({ ...env, LOG_LEVEL: 'info', [name]: value });
    const { code } = await started.exited;
    expect(code).toBe(1);
    expect(started.stderr()).toMatch(new RegExp(`^ceos: Invalid configuration:\\n  ${name}: (must be|is not) a (valid )?cron expression`));
    expect(started.lines.some((l) => l.msg === 'CEOS is listening')).toBe(false);
  });
});
