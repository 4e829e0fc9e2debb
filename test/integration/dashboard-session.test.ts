import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKey } from '../../src/db/api-keys.js';
import { upsertPendingRequest } from '../../src/db/seat-requests.js';
import { createKey, seedOrg } from '../helpers/api.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';

const HOST = 'ceos.test';
const ORIGIN = `http://${HOST}`;

let ceos: TestCeos;
let trusting: TestCeos;

beforeAll(async () => {
  // No workers: a queued run must not try to reach GitHub.
  const env = { CEOS_WORKERS: 'false', CEOS_API_RATE_LIMIT_PER_ADDRESS: '100000', CEOS_SESSION_SECRET: 'session-secret-for-the-tests-0123456789abcdef' };
  ceos = await startTestCeos(env, { listen: false });
  trusting = await startTestCeos({ ...env, CEOS_TRUST_FORWARDED_PROTO: 'true' }, { listen: false });
  await seedOrg(ceos.database.db, 'acme', 1);
  await seedOrg(ceos.database.db, 'globex', 2);
});
afterAll(async () => {
  await ceos?.stop();
  await trusting?.stop();
});

/** Signs in with a key; answers the response, the cookie pair to send back and the page's CSRF token. */
async function signIn(instance: TestCeos, key: string, headers: Record<string, string> = {}) {
  const response = await instance.server.inject({ method: 'POST', url: '/api/v1/session', headers: { host: HOST, 'content-type': 'application/json', ...headers }, payload: JSON.stringify({ key }) });
  const setCookie = [response.headers['set-cookie'] ?? []].flat();
  const cookie = setCookie[0]?.split(';')[0] ?? '';
  let csrf = '';
  if (response.statusCode === 204) {
    const home = await instance.server.inject({ method: 'GET', url: '/', headers: { host: HOST, cookie } });
    csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(home.body)?.[1] ?? '';
  }
  return { response, setCookie, cookie, csrf };
}

function get(url: string, cookie: string) {
  return ceos.server.inject({ method: 'GET', url, headers: { host: HOST, cookie } });
}

describe(`dashboard sessions (${backend})`, () => {
  it('signing in with a key answers 204 and a signed, HttpOnly, SameSite=Lax, expiring cookie that the API and the pages accept', async () => {
    const { key } = await createKey(ceos.database.db, 'operator');
    const { response, setCookie, cookie, csrf } = await signIn(ceos, key);
    expect(response.statusCode).toBe(204);
    expect(setCookie).toHaveLength(1);
    const attributes = setCookie[0]!.split(';').map((a) => a.trim());
    expect(attributes[0]).toMatch(/^ceos_session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9+/]+$/);
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/', 'Max-Age=43200']));
    // Served over plain HTTP, and no proxy is trusted: not Secure.
    expect(attributes).not.toContain('Secure');
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await ceos.database.db.updateTable('api_keys').set({ last_used_at: null }).where('prefix', '=', key.slice(0, 13)).execute();
    expect((await get('/api/v1/orgs/acme/seats', cookie)).statusCode).toBe(200);
    // Using the API through the session counts as using the key.
    expect((await ceos.database.db.selectFrom('api_keys').select('last_used_at').where('prefix', '=', key.slice(0, 13)).executeTakeFirstOrThrow()).last_used_at).not.toBeNull();
    const page = await get('/orgs/acme', cookie);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('id="seats-held" data-value="3"');
    expect(page.headers['content-security-policy']).toBe("default-src 'none';script-src 'self';style-src 'self';img-src 'self' data:;connect-src 'self';form-action 'self';frame-ancestors 'none';base-uri 'none'");
    expect(page.headers['cache-control']).toBe('no-store');
  });

  it('the cookie is Secure behind a trusted HTTPS proxy, and X-Forwarded-Proto is ignored unless trusted', async () => {
    const { key } = await createKey(trusting.database.db, 'viewer');
    const behindProxy = await signIn(trusting, key, { 'x-forwarded-proto': 'https' });
    expect(behindProxy.response.statusCode).toBe(204);
    expect(behindProxy.setCookie[0]).toMatch(/; Secure/);
    const { key: other } = await createKey(ceos.database.db, 'viewer');
    const untrusted = await signIn(ceos, other, { 'x-forwarded-proto': 'https' });
    expect(untrusted.response.statusCode).toBe(204);
    expect(untrusted.setCookie[0]).not.toMatch(/Secure/);
  });

  it('a bad key gets 401 and no cookie, as JSON or from the form', async () => {
    for (const key of ['ceos_' + 'x'.repeat(43), 'not-a-key']) {
      const { response, setCookie } = await signIn(ceos, key);
      expect(response.statusCode).toBe(401);
      expect(setCookie).toEqual([]);
      expect(response.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
    const form = await ceos.server.inject({ method: 'POST', url: '/api/v1/session', headers: { host: HOST, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'key=ceos_nope' });
    expect(form.statusCode).toBe(401);
    expect(form.headers['set-cookie']).toBeUndefined();
    expect(form.body).toContain('role="alert"');
    expect(form.body).toContain('This is not a valid API key.');
  });

  it('the sign-in form answers 303 to / with the cookie; a sign-in posted from another site is refused', async () => {
    const { key } = await createKey(ceos.database.db, 'viewer');
    const form = await ceos.server.inject({ method: 'POST', url: '/api/v1/session', headers: { host: HOST, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' }, payload: `key=${encodeURIComponent(key)}` });
    expect(form.statusCode).toBe(303);
    expect(form.headers.location).toBe('/');
    expect(String(form.headers['set-cookie'])).toMatch(/^ceos_session=/);
    const forged = await ceos.server.inject({ method: 'POST', url: '/api/v1/session', headers: { host: HOST, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, payload: `key=${encodeURIComponent(key)}` });
    expect(forged.statusCode).toBe(403);
    expect(forged.headers['set-cookie']).toBeUndefined();
  });

  it('state-changing requests with the session need the CSRF token and CEOS\'s origin', async () => {
    const { key } = await createKey(ceos.database.db, 'operator');
    const { cookie, csrf } = await signIn(ceos, key);
    const reconcile = (headers: Record<string, string>) =>
      ceos.server.inject({ method: 'POST', url: '/api/v1/orgs/acme/reconcile', headers: { host: HOST, cookie, 'content-type': 'application/json', ...headers }, payload: '{"apply":false}' });
    const noToken = await reconcile({ origin: ORIGIN });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json()).toMatchObject({ error: { code: 'csrf_failed' } });
    expect((await reconcile({ origin: ORIGIN, 'x-csrf-token': 'x'.repeat(43) })).statusCode).toBe(403);
    expect((await reconcile({ origin: 'https://evil.example', 'x-csrf-token': csrf })).statusCode).toBe(403);
    expect((await reconcile({ 'x-csrf-token': csrf })).statusCode).toBe(403);
    expect((await reconcile({ referer: `${ORIGIN}/orgs/acme`, 'x-csrf-token': csrf })).statusCode).toBe(202);
    const accepted = await reconcile({ origin: ORIGIN, 'x-csrf-token': csrf });
    expect(accepted.statusCode).toBe(202);
    const audit = await ceos.database.db.selectFrom('audit_log').select('actor').where('action', '=', 'reconciliation.requested').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(audit.actor).toMatch(/^api-key:/);
    // Reading needs no token.
    expect((await get('/api/v1/orgs/acme/plans', cookie)).statusCode).toBe(200);
  });

  it('the session has its key\'s role and organizations: a foreign organization is a 404, a viewer sees no audit log and cannot confirm', async () => {
    const { key } = await createKey(ceos.database.db, 'viewer', { orgs: ['acme'] });
    const { cookie } = await signIn(ceos, key);
    expect((await get('/api/v1/orgs/globex/seats', cookie)).statusCode).toBe(404);
    expect((await get('/orgs/globex', cookie)).statusCode).toBe(404);
    const home = await get('/', cookie);
    expect(home.body).toContain('data-org="acme"');
    expect(home.body).not.toContain('data-org="globex"');
    const page = await get('/orgs/acme', cookie);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('id="audit-title"');
    expect(page.body).not.toContain('id="delivery-health"');
    expect((await get('/api/v1/audit', cookie)).statusCode).toBe(403);
  });

  it('pending seat requests are listed to every role; an operator gets Approve and Decline, a viewer neither and 403 from the route', async () => {
    const db = ceos.database.db;
    const { row } = await upsertPendingRequest(db, { org: 'acme', login: 'carol', userId: 3, reason: 'pairing on <the> parser', repository: null, issueNumber: null, commentId: null }, new Date());
    const viewer = await signIn(ceos, (await createKey(db, 'viewer')).key);
    const seen = await get('/orgs/acme', viewer.cookie);
    expect(seen.statusCode).toBe(200);
    expect(seen.body).toContain(`<li data-request="${row.id}" data-login="carol"><p><strong>carol</strong> asked`);
    // The requester's words are text, never markup.
    expect(seen.body).toContain('pairing on &lt;the&gt; parser');
    expect(seen.body).not.toContain('data-request-form');
    expect(seen.body).not.toContain('>Approve</button>');
    expect(seen.body).toContain('An operator or admin may approve or decline them.');
    const refused = await ceos.server.inject({ method: 'POST', url: `/api/v1/orgs/acme/requests/${row.id}/approve`, headers: { host: HOST, cookie: viewer.cookie, origin: ORIGIN, 'x-csrf-token': viewer.csrf, 'content-type': 'application/json' }, payload: '{}' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect((await db.selectFrom('seat_requests').select('state').where('id', '=', row.id).executeTakeFirstOrThrow()).state).toBe('pending');

    const operator = await signIn(ceos, (await createKey(db, 'operator')).key);
    const operating = await get('/orgs/acme', operator.cookie);
    expect(operating.body).toContain(`data-request-form="${row.id}" data-approve="/api/v1/orgs/acme/requests/${row.id}/approve" data-decline="/api/v1/orgs/acme/requests/${row.id}/decline"`);
    expect(operating.body).toContain('>Approve</button>');
    expect(operating.body).toContain('>Decline</button>');
    const declined = await ceos.server.inject({ method: 'POST', url: `/api/v1/orgs/acme/requests/${row.id}/decline`, headers: { host: HOST, cookie: operator.cookie, origin: ORIGIN, 'x-csrf-token': operator.csrf, 'content-type': 'application/json' }, payload: '{"reason":"not this quarter"}' });
    expect(declined.statusCode).toBe(200);
    const after = await get('/orgs/acme', operator.cookie);
    expect(after.body).not.toContain(`data-request="${row.id}"`);
    expect(after.body).toContain('Pending seat requests (0)');
  });

  it('signed out, an organization page redirects to the sign-in page', async () => {
    const page = await ceos.server.inject({ method: 'GET', url: '/orgs/acme', headers: { host: HOST } });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/');
    const home = await ceos.server.inject({ method: 'GET', url: '/', headers: { host: HOST } });
    expect(home.body).toContain('<form class="sign-in" method="post" action="/api/v1/session">');
    expect((await ceos.server.inject({ method: 'GET', url: '/api/v1/orgs/acme/seats', headers: { host: HOST } })).statusCode).toBe(401);
  });

  it('DELETE /api/v1/session signs out (with the CSRF token); the cookie then opens nothing', async () => {
    const { key } = await createKey(ceos.database.db, 'operator');
    const { cookie, csrf } = await signIn(ceos, key);
    const forged = await ceos.server.inject({ method: 'DELETE', url: '/api/v1/session', headers: { host: HOST, cookie, origin: 'https://evil.example' } });
    expect(forged.statusCode).toBe(403);
    expect((await get('/api/v1/orgs/acme/seats', cookie)).statusCode).toBe(200);
    const out = await ceos.server.inject({ method: 'DELETE', url: '/api/v1/session', headers: { host: HOST, cookie, origin: ORIGIN, 'x-csrf-token': csrf } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^ceos_session=; Max-Age=0/);
    expect((await get('/api/v1/orgs/acme/seats', cookie)).statusCode).toBe(401);
    expect((await get('/orgs/acme', cookie)).statusCode).toBe(303);
    expect(await ceos.database.db.selectFrom('sessions').select('token_hash').where('api_key_id', 'is not', null).execute()).not.toHaveLength(0);
  });

  it('the sign-out form ends the session with its CSRF field', async () => {
    const { key } = await createKey(ceos.database.db, 'viewer');
    const { cookie, csrf } = await signIn(ceos, key);
    const out = await ceos.server.inject({ method: 'POST', url: '/sign-out', headers: { host: HOST, cookie, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${csrf}` });
    expect(out.statusCode).toBe(303);
    expect((await get('/api/v1/orgs/acme/seats', cookie)).statusCode).toBe(401);
  });

  it('an expired session, a revoked key and a tampered cookie end the session', async () => {
    const db = ceos.database.db;
    const expiring = await createKey(db, 'viewer', { name: 'expiring' });
    const a = await signIn(ceos, expiring.key);
    const a2 = await signIn(ceos, expiring.key);
    await db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('api_key_id', '=', expiring.id).execute();
    const expired = await get('/api/v1/orgs/acme/seats', a.cookie);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.message).toBe('Your session has expired; sign in again at /.');
    const page = await get('/', a2.cookie);
    expect(page.body).toContain('Your session has expired');
    expect(String(page.headers['set-cookie'])).toMatch(/^ceos_session=; Max-Age=0/);
    // An ended session is deleted when seen.
    expect((await get('/api/v1/orgs/acme/seats', a.cookie)).json().error.message).toBe('Your session has ended; sign in again at /.');

    const revoking = await createKey(db, 'operator', { name: 'revoking' });
    const b = await signIn(ceos, revoking.key);
    expect((await get('/api/v1/orgs/acme/seats', b.cookie)).statusCode).toBe(200);
    await revokeApiKey(db, revoking.id, new Date());
    const revoked = await get('/api/v1/orgs/acme/seats', b.cookie);
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().error.message).toContain('was revoked');
    expect(await db.selectFrom('sessions').select('token_hash').where('api_key_id', '=', revoking.id).execute()).toEqual([]);

    // A session never outlives its key.
    const short = await createKey(db, 'viewer', { expiresAt: new Date(Date.now() + 60_000) });
    const c = await signIn(ceos, short.key);
    const maxAge = Number(/Max-Age=(\d+)/.exec(c.setCookie[0]!)?.[1]);
    expect(maxAge).toBeGreaterThan(50);
    expect(maxAge).toBeLessThanOrEqual(60);

    const fresh = await signIn(ceos, (await createKey(db, 'viewer')).key);
    const [name, value] = fresh.cookie.split('=') as [string, string];
    const tampered = `${name}=${value.slice(0, -2)}xx`;
    expect((await get('/api/v1/orgs/acme/seats', tampered)).statusCode).toBe(401);
  });

  it('static assets are served compressed under hashed URLs, cached as immutable, with ETags', async () => {
    const home = await ceos.server.inject({ method: 'GET', url: '/', headers: { host: HOST } });
    const script = /<script src="(\/assets\/dashboard\.[0-9a-f]{12}\.js)"/.exec(home.body)?.[1];
    expect(script).toBeDefined();
    const page = await ceos.server.inject({ method: 'GET', url: '/orgs/acme', headers: { host: HOST, cookie: (await signIn(ceos, (await createKey(ceos.database.db, 'viewer')).key)).cookie } });
    const uplot = /<script src="(\/assets\/uplot\.[0-9a-f]{12}\.js)"/.exec(page.body)?.[1];
    expect(uplot).toBeDefined();
    const first = await ceos.server.inject({ method: 'GET', url: uplot!, headers: { host: HOST, 'accept-encoding': 'br, gzip' } });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-encoding']).toBe('br');
    expect(first.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(first.rawPayload.length).toBeLessThan(30_000);
    const again = await ceos.server.inject({ method: 'GET', url: uplot!, headers: { host: HOST, 'if-none-match': String(first.headers.etag) } });
    expect(again.statusCode).toBe(304);
    const gz = await ceos.server.inject({ method: 'GET', url: script!, headers: { host: HOST, 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
  });
});

describe(`dashboard behind CEOS_API_ALLOW_CIDRS (${backend})`, () => {
  it('answers only the API\'s networks, while the webhook intake and health stay open', async () => {
    const limited = await startTestCeos({ CEOS_WORKERS: 'false', CEOS_API_ALLOW_CIDRS: '10.0.0.0/8' }, { listen: false });
    try {
      // inject comes from 127.0.0.1, outside 10.0.0.0/8.
      expect((await limited.server.inject({ method: 'GET', url: '/', headers: { host: HOST } })).statusCode).toBe(403);
      expect((await limited.server.inject({ method: 'POST', url: '/api/v1/session', headers: { host: HOST, 'content-type': 'application/json' }, payload: '{"key":"x"}' })).statusCode).toBe(403);
      expect((await limited.server.inject({ method: 'GET', url: '/', headers: { host: HOST }, remoteAddress: '10.1.2.3' })).statusCode).toBe(200);
      // The intake answers by its own rules (no event header: 400), not the network filter.
      expect((await limited.server.inject({ method: 'POST', url: '/api/github/webhooks', headers: { 'content-type': 'application/json' }, payload: '{}' })).statusCode).toBe(400);
      expect((await limited.server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});
