import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';
import { seedDashboardOrg } from '../helpers/dashboard-seed.js';

const HOST = 'ceos.test';

let fake: FakeGitHub;
let ceos: TestCeos;

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.addOrg({
    login: 'acme',
    members: [{ login: 'owner1', role: 'admin' }, { login: 'u075' }, { login: 'u093' }, { login: 'u001' }],
  });
  fake.addOrg({ login: 'initech', members: [{ login: 'stranger', role: 'admin' }, { login: 'u001', role: 'admin' }] });
  fake.addInstallation({ id: 7, account: 'acme' });
  ceos = await startTestCeos(
    { GHE_HOST: fake.host, GHE_PROTOCOL: 'http', GITHUB_CLIENT_ID: fake.oauth.clientId, GITHUB_CLIENT_SECRET: fake.oauth.clientSecret, CEOS_WORKERS: 'false', CEOS_API_RATE_LIMIT_PER_ADDRESS: '100000' },
    { listen: false },
  );
  // CEOS's mirror and stored policy: commands.teams [platform], whose child team platform-sre holds u093.
  await seedDashboardOrg(ceos.database.db, 'acme', 7, new Date());
});
afterAll(async () => {
  await ceos?.stop();
  await fake?.close();
});

/** Goes through the web flow as `login`: CEOS → GitHub's authorize page → CEOS's callback. */
async function signInWithGitHub(login: string, tamper?: (callback: URL) => void) {
  const start = await ceos.server.inject({ method: 'GET', url: '/auth/github', headers: { host: HOST } });
  expect(start.statusCode).toBe(302);
  const authorize = new URL(String(start.headers.location));
  expect(`${authorize.origin}${authorize.pathname}`).toBe(`${fake.url}/login/oauth/authorize`);
  expect(authorize.searchParams.get('client_id')).toBe(fake.oauth.clientId);
  expect(authorize.searchParams.get('redirect_uri')).toBe(`http://${HOST}/auth/github/callback`);
  const stateCookie = String(start.headers['set-cookie']).split(';')[0]!;
  expect(String(start.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Lax/);
  fake.oauth.signedIn = login;
  const atGitHub = await fetch(authorize, { redirect: 'manual' });
  expect(atGitHub.status).toBe(302);
  const callback = new URL(atGitHub.headers.get('location')!);
  expect(callback.searchParams.get('state')).toBe(authorize.searchParams.get('state'));
  tamper?.(callback);
  const back = await ceos.server.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { host: HOST, cookie: stateCookie } });
  const sessionCookie = [back.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('ceos_session=') && !c.startsWith('ceos_session=;'));
  return { back, cookie: sessionCookie?.split(';')[0] };
}

describe(`sign-in with GitHub (${backend})`, () => {
  it('an owner of an installed organization gets the admin role for it', async () => {
    const { back, cookie } = await signInWithGitHub('owner1');
    expect(back.statusCode).toBe(303);
    expect(back.headers.location).toBe('/');
    expect(cookie).toBeDefined();
    const home = await ceos.server.inject({ method: 'GET', url: '/', headers: { host: HOST, cookie: cookie! } });
    expect(home.body).toContain('Signed in as <strong>owner1</strong> (admin, with GitHub)');
    expect(home.body).toContain('data-org="acme"');
    const session = await ceos.database.db.selectFrom('sessions').selectAll().where('github_login', '=', 'owner1').executeTakeFirstOrThrow();
    expect(session).toMatchObject({ kind: 'github', role: 'admin', orgs: ['acme'], api_key_id: null });
    // The session works on the API too, as an admin limited to acme.
    expect((await ceos.server.inject({ method: 'GET', url: '/api/v1/keys', headers: { host: HOST, cookie: cookie! } })).statusCode).toBe(200);
    expect((await ceos.server.inject({ method: 'GET', url: '/api/v1/orgs/initech/seats', headers: { host: HOST, cookie: cookie! } })).statusCode).toBe(404);
    // The code was exchanged once, with the client credentials and the same callback URL.
    const exchange = fake.requestsTo('oauth/access-token');
    expect(exchange.at(-1)?.body).toMatchObject({ client_id: fake.oauth.clientId, client_secret: '[secret]', redirect_uri: `http://${HOST}/auth/github/callback` });
    expect(fake.count('users/get-authenticated')).toBeGreaterThan(0);
    expect(fake.requestsTo('orgs/list-memberships-for-authenticated-user').at(-1)?.query).toMatchObject({ state: 'active', per_page: '100' });
    expect(fake.violations).toEqual([]);
  });

  it('members of the policy\'s command teams get the operator role, child teams included', async () => {
    for (const login of ['u075', 'u093']) {
      const { back, cookie } = await signInWithGitHub(login);
      expect(back.statusCode).toBe(303);
      const session = await ceos.database.db.selectFrom('sessions').selectAll().where('github_login', '=', login).executeTakeFirstOrThrow();
      expect(session).toMatchObject({ role: 'operator', orgs: ['acme'] });
      const page = await ceos.server.inject({ method: 'GET', url: '/orgs/acme', headers: { host: HOST, cookie: cookie! } });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('data-confirm-plan=');
    }
    // Confirming through the API with the GitHub session is audited under the person's login.
    const { cookie } = await signInWithGitHub('u075');
    const held = await ceos.database.db.selectFrom('plans').select('id').where('status', '=', 'awaiting_confirmation').executeTakeFirstOrThrow();
    const home = await ceos.server.inject({ method: 'GET', url: '/', headers: { host: HOST, cookie: cookie! } });
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(home.body)?.[1] ?? '';
    const confirmed = await ceos.server.inject({ method: 'POST', url: `/api/v1/orgs/acme/plans/${held.id}/confirm`, headers: { host: HOST, cookie: cookie!, origin: `http://${HOST}`, 'x-csrf-token': csrf, 'content-type': 'application/json' }, payload: '{}' });
    expect(confirmed.statusCode).toBe(202);
    const entry = await ceos.database.db.selectFrom('audit_log').select(['actor', 'actor_type']).where('action', '=', 'plan.confirmed').executeTakeFirstOrThrow();
    expect(entry).toEqual({ actor: 'u075', actor_type: 'user' });
    expect(fake.violations).toEqual([]);
  });

  it('everyone else is refused with a page that says why, and gets no session', async () => {
    // u001 is a plain member of acme and owns initech, which CEOS is not installed on.
    for (const login of ['u001', 'stranger']) {
      const { back, cookie } = await signInWithGitHub(login);
      expect(back.statusCode).toBe(403);
      expect(cookie).toBeUndefined();
      expect(back.body).toContain(`${login} is not an owner of any organization CEOS is installed on, nor a member of a team its policy lets run commands`);
    }
    expect(await ceos.database.db.selectFrom('sessions').select('github_login').where('github_login', 'in', ['u001', 'stranger']).execute()).toEqual([]);
  });

  it('a callback whose state does not match the signed cookie is refused before any GitHub call', async () => {
    const before = fake.requestsTo('oauth/access-token').length;
    const { back, cookie } = await signInWithGitHub('owner1', (callback) => callback.searchParams.set('state', 'forged'));
    expect(back.statusCode).toBe(400);
    expect(back.body).toContain('its state does not match');
    expect(cookie).toBeUndefined();
    // Without the cookie (another browser, or an expired one) it is refused as well.
    const start = await ceos.server.inject({ method: 'GET', url: '/auth/github', headers: { host: HOST } });
    const state = new URL(String(start.headers.location)).searchParams.get('state');
    const bare = await ceos.server.inject({ method: 'GET', url: `/auth/github/callback?code=x&state=${state}`, headers: { host: HOST } });
    expect(bare.statusCode).toBe(400);
    expect(fake.requestsTo('oauth/access-token').length).toBe(before);
  });

  it('a person who cancels at GitHub is told so; the sign-in page offers GitHub when it is configured', async () => {
    fake.oauth.denies = true;
    try {
      const { back, cookie } = await signInWithGitHub('owner1');
      expect(back.statusCode).toBe(403);
      expect(back.body).toContain('The user has denied your application access.');
      expect(cookie).toBeUndefined();
    } finally {
      fake.oauth.denies = false;
    }
    const page = await ceos.server.inject({ method: 'GET', url: '/', headers: { host: HOST } });
    expect(page.body).toContain('<a class="button" href="/auth/github">Sign in with GitHub</a>');
  });
});
