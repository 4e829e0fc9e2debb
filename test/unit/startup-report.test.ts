import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { configurationGaps, configurationReadiness, configurationWarning } from '../../src/app/startup-report.js';
import { testPrivateKey } from '../helpers/app-key.js';

const KEY = testPrivateKey();
const STORED = 'verified deliveries are stored and wait; they are processed once APP_ID and the private key are set';
const REFUSED = 'every webhook delivery is refused (503 not_configured) and not stored until WEBHOOK_SECRET is set';

describe('configuration gaps', () => {
  it.each([
    [{}, ['APP_ID', 'PRIVATE_KEY (or PRIVATE_KEY_PATH)', 'WEBHOOK_SECRET'], REFUSED],
    [{ APP_ID: '1', PRIVATE_KEY: KEY }, ['WEBHOOK_SECRET'], REFUSED],
    [{ WEBHOOK_SECRET: 's' }, ['APP_ID', 'PRIVATE_KEY (or PRIVATE_KEY_PATH)'], STORED],
    [{ WEBHOOK_SECRET: 's', APP_ID: '1' }, ['PRIVATE_KEY (or PRIVATE_KEY_PATH)'], STORED],
    [{ WEBHOOK_SECRET: 's', PRIVATE_KEY: KEY }, ['APP_ID'], STORED],
    [{ WEBHOOK_SECRET_PREVIOUS: 'old', APP_ID: '1', PRIVATE_KEY: KEY }, [], undefined],
  ])('%o: missing %o', (env, missing, deliveries) => {
    const gaps = configurationGaps(loadConfig(env));
    if (deliveries === undefined) {
      expect(gaps).toBeUndefined();
      expect(configurationWarning(loadConfig(env))).toBeUndefined();
      expect(configurationReadiness(loadConfig(env))).toEqual({ name: 'github_app', ok: true });
      return;
    }
    expect(gaps?.missing).toEqual(missing);
    expect(gaps?.deliveries.startsWith(deliveries)).toBe(true);
    const warning = configurationWarning(loadConfig(env))!;
    for (const name of missing) expect(warning).toContain(name);
    expect(warning).toContain(deliveries);
    expect(configurationReadiness(loadConfig(env))).toEqual({ name: 'github_app', ok: false, detail: `missing ${missing.join(', ')}: ${gaps!.deliveries}` });
  });

  it('words the start-up line for an unconfigured first start', () => {
    expect(configurationWarning(loadConfig({}))).toBe(
      'GitHub App not fully configured, missing APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH), WEBHOOK_SECRET: ' +
        'every webhook delivery is refused (503 not_configured) and not stored until WEBHOOK_SECRET is set; ' +
        "GitHub does not resend them by itself (they can be redelivered from the app's advanced settings for three days). " +
        'See "Registering the GitHub App" in the README.',
    );
  });
});
