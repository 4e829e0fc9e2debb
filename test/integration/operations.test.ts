import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Probot } from 'probot';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/app/logger.js';
import { createMetrics } from '../../src/app/metrics.js';
import { buildServer } from '../../src/app/server.js';
import { type FakeGitHub, startFakeGitHub } from '../fake-github/index.js';
import { LogCapture, type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';
import { metricValue, waitForDeliveryStatus } from '../helpers/deliveries.js';
import { sendWebhook } from '../helpers/webhooks.js';

let ceos: TestCeos | undefined;
let fake: FakeGitHub | undefined;
afterEach(async () => {
  await ceos?.stop();
  await fake?.close();
  ceos = undefined;
  fake = undefined;
});

interface Readiness {
  status: string;
  checks: { name: string; ok: boolean; detail?: string }[];
}

async function get(url: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

async function readyz(instance: TestCeos): Promise<{ status: number; body: Readiness }> {
  const response = await get(`${instance.url}/readyz`);
  return { status: response.status, body: JSON.parse(response.text) as Readiness };
}

function failing(body: Readiness): string[] {
  return body.checks.filter((c) => !c.ok).map((c) => c.name);
}

describe(`operations endpoints (${backend})`, () => {
  it('GET /healthz answers 200 while the process is alive', async () => {
    ceos = await startTestCeos({ CEOS_WORKERS: 'false' });
    const response = await get(`${ceos.url}/healthz`);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 with every check when all is well', async () => {
    ceos = await startTestCeos();
    const { status, body } = await readyz(ceos);
    expect(status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks.map((c) => c.name).sort()).toEqual(['database', 'github_app', 'github_app_credentials', 'migrations', 'queue']);
    expect(failing(body)).toEqual([]);
  });

  it('GET /readyz answers 503 naming github_app when the GitHub App is not configured', async () => {
    ceos = await startTestCeos({ APP_ID: '' });
    const { status, body } = await readyz(ceos);
    expect(status).toBe(503);
    expect(body.status).toBe('not_ready');
    expect(failing(body)).toEqual(['github_app']);
    expect(body.checks.find((c) => c.name === 'github_app')!.detail).toMatch(/APP_ID/);
    expect(ceos.worker).toBeUndefined();
  });

  it('GET /readyz answers 503 naming github_app when no webhook secret is set', async () => {
    ceos = await startTestCeos({ WEBHOOK_SECRET: '' });
    const { status, body } = await readyz(ceos);
    expect(status).toBe(503);
    expect(failing(body)).toEqual(['github_app']);
  });

  it('GET /readyz answers 503 naming the queue when the workers of a worker instance stop', async () => {
    ceos = await startTestCeos();
    expect((await readyz(ceos)).status).toBe(200);
    await ceos.worker!.stop(1000);
    const { status, body } = await readyz(ceos);
    expect(status).toBe(503);
    expect(failing(body)).toEqual(['queue']);
    expect(body.checks.find((c) => c.name === 'queue')!.detail).toBe('workers not running');
  });

  it('GET /readyz counts an intake-only instance (CEOS_WORKERS=false) as ready', async () => {
    ceos = await startTestCeos({ CEOS_WORKERS: 'false' });
    const { status, body } = await readyz(ceos);
    expect(status).toBe(200);
    expect(failing(body)).toEqual([]);
  });

  it('GET /readyz answers 503 naming the database when it cannot be reached', async () => {
    ceos = await startTestCeos({ CEOS_WORKERS: 'false' });
    await ceos.database.db.destroy();
    const { status, body } = await readyz(ceos);
    expect(status).toBe(503);
    expect(failing(body).sort()).toEqual(['database', 'migrations']);
    expect(body.checks.find((c) => c.name === 'migrations')!.detail).toBe('migration state unreadable');
  });

  it('GET /metrics exposes intake, processing, queue, job and GitHub metrics', async () => {
    fake = await startFakeGitHub();
    ceos = await startTestCeos(
      { GHE_HOST: fake.host, GHE_PROTOCOL: 'http', APP_ID: '4242', CEOS_DELIVERY_MAX_ATTEMPTS: '1' },
      {
        extraHandlers: (app: Probot) =>
          app.on('ping', async (context) => {
            if ((context.payload as { zen?: string }).zen === 'fail') throw new Error('handler failed');
          }),
      },
    );
    const instance = ceos;
    const ok = await sendWebhook(instance.url, { event: 'ping', payload: { zen: 'ok' } });
    await sendWebhook(instance.url, { event: 'ping', payload: { zen: 'ok' }, id: ok.id });
    await sendWebhook(instance.url, { event: 'ping', payload: { zen: 'x' }, secret: 'wrong' });
    await sendWebhook(instance.url, { event: 'ping', payload: [] });
    const bad = await sendWebhook(instance.url, { event: 'ping', payload: { zen: 'fail' } });
    await waitForDeliveryStatus(instance.database.db, ok.id, 'processed');
    await waitForDeliveryStatus(instance.database.db, bad.id, 'dead');

    // Queue depth is read from the database at scrape time, whichever instance stored the rows.
    for (const [status, count] of [['received', 0], ['failed', 2], ['processing', 1]] as const) {
      for (let i = 0; i < count; i++) {
        await sql`insert into deliveries (id, event, payload, status, next_attempt_at)
                  values (${randomUUID()}, 'ping', '{}', ${status}, now() + interval '1 hour')`.execute(instance.database.db);
      }
    }

    // A GitHub call records the rate limit GitHub reports; wait for the startup recovery job's own calls first.
    await vi.waitFor(() => expect(instance.logs.lines.some((l) => l.msg === 'missed-delivery recovery finished')).toBe(true), {
      timeout: 20_000,
      interval: 50,
    });
    const octokit = await instance.probot!.auth();
    const response = await octokit.request('GET /app');
    const remaining = Number(response.headers['x-ratelimit-remaining']);
    expect(remaining).toBeGreaterThan(0);

    const scrape = await get(`${instance.url}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.type).toMatch(/^text\/plain/);
    const text = scrape.text;
    expect(metricValue(text, 'ceos_deliveries_received_total{event="ping"}')).toBe(2);
    expect(metricValue(text, 'ceos_deliveries_duplicate_total')).toBe(1);
    expect(metricValue(text, 'ceos_deliveries_rejected_total{reason="invalid_signature"}')).toBe(1);
    expect(metricValue(text, 'ceos_deliveries_rejected_total{reason="not_an_object"}')).toBe(1);
    expect(text).toContain('# TYPE ceos_delivery_processing_seconds histogram');
    expect(metricValue(text, 'ceos_delivery_processing_seconds_count{outcome="processed"}')).toBe(1);
    expect(metricValue(text, 'ceos_delivery_processing_seconds_bucket{le="+Inf",outcome="processed"}')).toBe(1);
    expect(metricValue(text, 'ceos_delivery_processing_seconds_count{outcome="dead"}')).toBe(1);
    expect(metricValue(text, 'ceos_deliveries_dead_lettered_total')).toBe(1);
    expect(metricValue(text, 'ceos_job_failures_total{queue="deliveries"}')).toBe(1);
    expect(metricValue(text, 'ceos_queue_depth{status="received"}')).toBe(0);
    expect(metricValue(text, 'ceos_queue_depth{status="failed"}')).toBe(2);
    expect(metricValue(text, 'ceos_queue_depth{status="processing"}')).toBe(1);
    expect(metricValue(text, 'ceos_queue_depth{status="dead"}')).toBe(1);
    expect(metricValue(text, 'ceos_github_rate_limit_remaining{resource="core"}')).toBe(remaining);
    expect(text).toContain('ceos_process_');
    expect(fake.violations).toEqual([]);
  });

  it('answers an unknown route with a 404 JSON error', async () => {
    ceos = await startTestCeos({ CEOS_WORKERS: 'false' });
    for (const path of ['/nope', '/api/github/webhooks/extra', '/api/v1/unknown']) {
      const response = await get(`${ceos.url}${path}`);
      expect(response.status).toBe(404);
      expect(response.type).toMatch(/^application\/json/);
      expect(JSON.parse(response.text)).toEqual({ error: { code: 'not_found', message: 'No such route.' } });
    }
    const wrongMethod = await fetch(`${ceos.url}/api/github/webhooks`);
    expect(wrongMethod.status).toBe(404);
  });

  it('says nothing internal in a 503 from intake when the database is gone, and logs the cause', async () => {
    ceos = await startTestCeos({ CEOS_WORKERS: 'false' });
    await ceos.database.db.destroy();
    const result = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'z' } });
    expect(result.status).toBe(503);
    expect(result.body).toEqual({ error: { code: 'unavailable', message: 'The delivery could not be recorded; it will be recovered.' } });
    const failure = ceos.logs.lines.find((l) => l.msg === 'delivery could not be stored');
    expect(failure).toMatchObject({ delivery: result.id, event: 'ping' });
    // The cause is in the log (Kysely's driver or the pool, depending on the backend), not in the answer.
    expect(JSON.stringify(failure!.err)).toMatch(/destroyed|end on the pool/);
  });

  it('says nothing internal in a 500 and logs everything', async () => {
    const logs = new LogCapture();
    const log = createLogger('info', logs);
    const server = await buildServer({
      log,
      metrics: createMetrics(),
      bodyLimit: 1024,
      readiness: [],
      plugins: [
        async (app) => {
          app.get('/boom', async () => {
            throw new Error('relation "secret_table" does not exist at 10.0.0.5');
          });
        },
      ],
    });
    try {
      const response = await server.inject({ method: 'GET', url: '/boom' });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({ error: { code: 'internal', message: 'Internal error.' } });
      expect(response.body).not.toContain('secret_table');
      const logged = logs.lines.find((l) => l.msg === 'request failed');
      expect(JSON.stringify(logged)).toContain('secret_table');
    } finally {
      await server.close();
    }
  });
});
