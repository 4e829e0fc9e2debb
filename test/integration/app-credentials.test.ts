import { afterEach, describe, expect, it, vi } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';

let ceos: TestCeos | undefined;
let fake: FakeGitHub | undefined;
afterEach(async () => {
  await ceos?.stop();
  await fake?.close();
  ceos = undefined;
  fake = undefined;
});

// Looks like a PEM (the configuration accepts it) but is not a key: a paste gone wrong.
const MALFORMED_KEY = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n-----END RSA PRIVATE KEY-----\n';

async function readiness(instance: TestCeos) {
  const response = await instance.server.inject({ method: 'GET', url: '/readyz' });
  const body = response.json<{ checks: { name: string; ok: boolean; detail?: string }[] }>();
  return { status: response.statusCode, check: body.checks.find((c) => c.name === 'github_app_credentials') };
}

function credentialLines(instance: TestCeos) {
  return instance.logs.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('GitHub App credentials'));
}

describe(`GitHub App credentials at start (${backend})`, () => {
  it('a malformed private key: /readyz answers 503 naming PRIVATE_KEY, and one log line says so', async () => {
    fake = await startFakeGitHub();
    ceos = await startTestCeos(
      { GHE_HOST: fake.host, GHE_PROTOCOL: 'http', PRIVATE_KEY: MALFORMED_KEY },
      { listen: false },
    );
    const { status, check } = await readiness(ceos);
    expect(status).toBe(503);
    expect(check?.ok).toBe(false);
    expect(check?.detail).toMatch(/^PRIVATE_KEY is not a valid RSA private key \(ERR_OSSL_UNSUPPORTED\)/);
    const lines = credentialLines(ceos);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, msg: `GitHub App credentials refused: ${check!.detail}` });
    // The key never left the process: GitHub was not asked.
    expect(fake.requests.filter((r) => r.path === '/app')).toHaveLength(0);
  });

  it('an app id GitHub refuses: /readyz names APP_ID and the status', async () => {
    fake = await startFakeGitHub();
    fake.failNext({ method: 'GET', pathPattern: '/app', status: 401, body: { message: 'A JSON web token could not be decoded' } });
    ceos = await startTestCeos({ GHE_HOST: fake.host, GHE_PROTOCOL: 'http', APP_ID: '123' }, { listen: false });
    const { status, check } = await readiness(ceos);
    expect(status).toBe(503);
    expect(check?.detail).toMatch(/^APP_ID 123 was refused by GitHub \(401: A JSON web token could not be decoded/);
    expect(credentialLines(ceos)).toHaveLength(1);
  });

  it('good credentials: the check passes after one GET /app with the JWT', async () => {
    fake = await startFakeGitHub();
    ceos = await startTestCeos({ GHE_HOST: fake.host, GHE_PROTOCOL: 'http' }, { listen: false });
    const { check } = await readiness(ceos);
    expect(check).toEqual({ name: 'github_app_credentials', ok: true });
    await vi.waitFor(() => expect(ceos!.logs.lines.some((l) => l.msg === 'GitHub App authenticated')).toBe(true));
    expect(fake.requests.filter((r) => r.path === '/app')).toHaveLength(1);
    expect(fake.violations).toEqual([]);
  });
});
