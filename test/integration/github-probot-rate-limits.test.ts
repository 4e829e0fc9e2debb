import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { createMetrics } from '../../src/app/metrics.js';
import { createProbot } from '../../src/app/probot.js';
import { applySeatChanges } from '../../src/github/apply-seat-changes.js';
import { SECONDARY_RATE_LIMIT, startFakeGitHub } from '../fake-github/index.js';
import type { FakeGitHub } from '../fake-github/index.js';
import { testEnv } from '../helpers/ceos.js';

const silent = pino({ level: 'silent' });
const SELECTED_USERS = '/orgs/{org}/copilot/billing/selected_users';

let fake: FakeGitHub;

beforeEach(async () => {
  fake = await startFakeGitHub();
  fake.addOrg({ login: 'acme', members: [{ login: 'mona' }, { login: 'hubot' }] });
  fake.addInstallation({ id: 21, account: 'acme' });
});

afterEach(async () => {
  await fake.close();
});

/** An installation Octokit of the Probot instance CEOS runs, pointed at the fake GitHub. */
async function installationOctokit() {
  const config = loadConfig(testEnv({ APP_ID: '4242', GHE_HOST: fake.host, GHE_PROTOCOL: 'http' }));
  const probot = await createProbot(config, () => {}, createMetrics(), silent);
  return probot.auth(21);
}

describe("CEOS's Probot Octokit and rate limits", () => {
  it('retries a secondary rate limit twice, honouring retry-after, then gives up', async () => {
    fake.failNext({ ...SECONDARY_RATE_LIMIT, method: 'POST', pathPattern: SELECTED_USERS, times: 3 });
    const octokit = await installationOctokit();
    const started = Date.now();

    const outcome = await applySeatChanges({
      octokit,
      org: 'acme',
      changes: [
        { login: 'mona', op: 'add' },
        { login: 'hubot', op: 'add' },
      ],
      batchSize: 1,
      onResults: async () => {},
      log: silent,
    });

    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(fake.requestsTo('copilot/add-copilot-seats-for-users').map((r) => r.status)).toEqual([403, 403, 403]);
    expect(outcome.failed.map((r) => r.error?.slice(0, 4))).toEqual(['403 ', 'not ']);
    expect(fake.violations).toEqual([]);
  });

  it('waits out a 429 secondary rate limit and sends the batch again', async () => {
    fake.failNext({ ...SECONDARY_RATE_LIMIT, status: 429, method: 'POST', pathPattern: SELECTED_USERS, times: 1 });
    const octokit = await installationOctokit();

    const outcome = await applySeatChanges({ octokit, org: 'acme', changes: [{ login: 'mona', op: 'add' }], onResults: async () => {}, log: silent });

    expect(fake.requestsTo('copilot/add-copilot-seats-for-users').map((r) => r.status)).toEqual([429, 201]);
    expect(outcome.done).toEqual([{ login: 'mona', op: 'add', ok: true }]);
  });
});
