import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createKey, seedOrg } from '../helpers/api.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend, dropSchemas, uniqueSchema } from '../helpers/database.js';

const running: TestCeos[] = [];
let schema: string | undefined;
afterEach(async () => {
  for (const instance of running.splice(0)) await instance.close();
  if (schema) await dropSchemas(schema);
  schema = undefined;
});

describe(`rate limits counted in the database (${backend})`, () => {
  it('counts every instance against the same limit, answers 429 with Retry-After, opens a new window once the old one is over, and deletes counters of windows long over', async () => {
    schema = uniqueSchema();
    const env = { DATABASE_SCHEMA: schema, CEOS_WORKERS: 'false', CEOS_API_RATE_LIMIT_STORE: 'database', CEOS_API_RATE_LIMIT_PER_KEY: '3', CEOS_API_RATE_LIMIT_PER_ADDRESS: '2' };
    // Two instances on one PostgreSQL database; the embedded database has room for one process.
    running.push(await startTestCeos(env, { listen: false }));
    if (backend === 'postgres') running.push(await startTestCeos(env, { listen: false }));
    const [a, b = a] = running as [TestCeos, TestCeos?];
    const { db } = a.database;
    await seedOrg(db, 'Acme', 1);
    const key = await createKey(db, 'viewer');
    const get = (instance: TestCeos, headers: Record<string, string> = key.auth) => instance.server.inject({ method: 'GET', url: '/api/v1/installations', headers });
    // A counter of a window long over, left by a client gone quiet: the first request's instance deletes it.
    await db.insertInto('api_rate_limits').values({ key: 'address:203.0.113.9', count: 7, window_start: new Date(Date.now() - 5 * 60_000) }).execute();

    expect([(await get(a)).statusCode, (await get(b)).statusCode, (await get(a)).statusCode]).toEqual([200, 200, 200]);
    const limited = await get(b);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await get(a)).statusCode).toBe(429);

    await expect.poll(async () => (await db.selectFrom('api_rate_limits').select('key').where('key', '=', 'address:203.0.113.9').execute()).length).toBe(0);

    const row = await db.selectFrom('api_rate_limits').select(['count']).where('key', '=', `key:${key.id}`).executeTakeFirstOrThrow();
    expect(row.count).toBe(5);

    // Requests without a valid key count by client address, apart from the key's.
    const anonymous = [];
    for (const instance of [a, b, a]) anonymous.push((await get(instance, {})).statusCode);
    expect(anonymous).toEqual([401, 401, 429]);

    // The window is over: the key's next request opens a new one.
    await sql`update api_rate_limits set window_start = now() - interval '61 seconds' where key = ${`key:${key.id}`}`.execute(db);
    expect((await get(b)).statusCode).toBe(200);
    const fresh = await db.selectFrom('api_rate_limits').select(['count']).where('key', '=', `key:${key.id}`).executeTakeFirstOrThrow();
    expect(fresh.count).toBe(1);
  });
});
