import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import type { Probot } from 'probot';
import { signBody } from '../../src/intake/verify-signature.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';
import { sendSigned } from '../helpers/fault-database.js';
import { sendWebhook, webhookExamples } from '../helpers/webhooks.js';

let ceos: TestCeos | undefined;
afterEach(async () => {
  await ceos?.stop();
  ceos = undefined;
});

async function storedCount(instance: TestCeos): Promise<number> {
  const row = await instance.database.db
    .selectFrom('deliveries')
    .select(({ fn }) => fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe(`webhook intake (${backend})`, () => {
  it('accepts, stores with the right columns, and processes every example payload of every event', async () => {
    const received: string[] = [];
    ceos = await startTestCeos({}, {
      extraHandlers: (app: Probot) => {
        app.onAny(async (context) => {
          received.push(context.id);
        });
      },
    });
    const examples = webhookExamples();
    expect(new Set(examples.map((e) => e.event)).size).toBeGreaterThanOrEqual(50);

    const sent = [];
    for (const example of examples) {
      const result = await sendWebhook(ceos.url, example);
      expect(result.status, `${example.event} ${result.id}`).toBe(202);
      expect(result.body).toEqual({ accepted: true, id: result.id });
      sent.push({ ...example, id: result.id });
    }

    const rows = await ceos.database.db.selectFrom('deliveries').selectAll().execute();
    expect(rows).toHaveLength(examples.length);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const delivery of sent) {
      const row = byId.get(delivery.id)!;
      const p = delivery.payload as {
        action?: string;
        installation?: { id: number; account?: { login: string } };
        organization?: { login: string };
        repository?: { full_name: string; owner: { login: string } };
        sender?: { login: string };
      };
      expect(row.event).toBe(delivery.event);
      expect(row.action).toBe(p.action ?? null);
      expect(row.installation_id).toBe(p.installation ? String(p.installation.id) : null);
      expect(row.org).toBe(p.organization?.login ?? p.installation?.account?.login ?? p.repository?.owner.login ?? null);
      expect(row.repository).toBe(p.repository?.full_name ?? null);
      expect(row.sender).toBe(p.sender?.login ?? null);
      expect(JSON.parse(row.payload)).toEqual(delivery.payload);
      expect(row.received_at).toBeInstanceOf(Date);
    }

    // received_at is the time each request arrived, so the order of sending survives grouping.
    const times = sent.map((d) => byId.get(d.id)!.received_at.getTime());
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);

    await vi.waitFor(
      async () => {
        const processed = await ceos!.database.db
          .selectFrom('deliveries')
          .select(({ fn }) => fn.countAll<string>().as('n'))
          .where('status', '=', 'processed')
          .executeTakeFirstOrThrow();
        expect(Number(processed.n)).toBe(examples.length);
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(new Set(received)).toEqual(new Set(sent.map((s) => s.id)));
    const one = await ceos.database.db.selectFrom('deliveries').selectAll().executeTakeFirstOrThrow();
    expect(one.attempts).toBe(1);
    expect(one.processed_at).toBeInstanceOf(Date);
  });

  it('answers a GUID already stored with 200 and processes it once', async () => {
    let runs = 0;
    ceos = await startTestCeos({}, { extraHandlers: (app: Probot) => app.on('ping', async () => void runs++) });
    const id = randomUUID();
    const payload = { zen: 'Keep it logically awesome.', hook_id: 1 };
    const first = await sendWebhook(ceos.url, { event: 'ping', payload, id });
    const again = await Promise.all([1, 2, 3].map(() => sendWebhook(ceos!.url, { event: 'ping', payload, id })));
    expect(first.status).toBe(202);
    for (const r of again) {
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ duplicate: true });
    }
    await vi.waitFor(async () => {
      const row = await ceos!.database.db.selectFrom('deliveries').select('status').where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.status).toBe('processed');
    });
    expect(runs).toBe(1);
    expect(await storedCount(ceos)).toBe(1);
    const metrics = await ceos.metrics.registry.getSingleMetricAsString('ceos_deliveries_duplicate_total');
    expect(metrics).toMatch(/ceos_deliveries_duplicate_total 3/);
  });

  it('stores a GUID once when copies arrive concurrently', async () => {
    ceos = await startTestCeos({ CEOS_WORKERS: 'false' });
    const id = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => sendWebhook(ceos!.url, { event: 'ping', payload: { zen: 'z' }, id })),
    );
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(19);
    expect(await storedCount(ceos)).toBe(1);
  });

  const refusals: {
    name: string;
    delivery: Parameters<typeof sendWebhook>[1];
    status: number;
    code: string;
  }[] = [
    { name: 'a body changed after signing', delivery: { event: 'ping', payload: {}, body: '{"zen":"tampered"}', headers: { 'x-hub-signature-256': signBody('{"zen":"original"}', 'test-webhook-secret') } }, status: 401, code: 'invalid_signature' },
    { name: 'a signature made with another secret', delivery: { event: 'ping', payload: { zen: 'z' }, secret: 'wrong' }, status: 401, code: 'invalid_signature' },
    { name: 'a missing signature', delivery: { event: 'ping', payload: { zen: 'z' }, headers: { 'x-hub-signature-256': undefined } }, status: 401, code: 'invalid_signature' },
    { name: 'a truncated signature', delivery: { event: 'ping', payload: { zen: 'z' }, headers: { 'x-hub-signature-256': 'sha256=abc' } }, status: 401, code: 'invalid_signature' },
    { name: 'a sha1 signature only', delivery: { event: 'ping', payload: { zen: 'z' }, headers: { 'x-hub-signature-256': undefined, 'x-hub-signature': 'sha1=0123456789abcdef0123456789abcdef01234567' } }, status: 401, code: 'invalid_signature' },
    { name: 'a missing event header', delivery: { event: 'ping', payload: { zen: 'z' }, headers: { 'x-github-event': undefined } }, status: 400, code: 'missing_event' },
    { name: 'a missing delivery header', delivery: { event: 'ping', payload: { zen: 'z' }, headers: { 'x-github-delivery': undefined } }, status: 400, code: 'missing_delivery' },
    { name: 'a form-encoded body', delivery: { event: 'ping', payload: {}, body: 'payload=%7B%7D', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, status: 415, code: 'unsupported_media_type' },
    { name: 'a text body', delivery: { event: 'ping', payload: {}, body: '{}', headers: { 'content-type': 'text/plain' } }, status: 415, code: 'unsupported_media_type' },
    { name: 'no content type', delivery: { event: 'ping', payload: {}, body: '{}', headers: { 'content-type': undefined } }, status: 415, code: 'unsupported_media_type' },
    { name: 'malformed JSON', delivery: { event: 'ping', payload: {}, body: '{"zen": ' }, status: 400, code: 'malformed_json' },
    { name: 'a JSON array', delivery: { event: 'ping', payload: [1, 2] }, status: 400, code: 'not_an_object' },
    { name: 'a JSON string', delivery: { event: 'ping', payload: 'hello' }, status: 400, code: 'not_an_object' },
    { name: 'JSON null', delivery: { event: 'ping', payload: null }, status: 400, code: 'not_an_object' },
  ];

  describe('refusals', () => {
    let shared: TestCeos;
    beforeAll(async () => {
      shared = await startTestCeos({ CEOS_WORKERS: 'false' });
    });
    afterAll(async () => shared.stop());

    it.each(refusals)('refuses $name with $status and stores nothing', async ({ delivery, status, code }) => {
      const result = await sendWebhook(shared.url, delivery);
      expect(result.status).toBe(status);
      expect(result.body).toEqual({ error: { code, message: expect.any(String) } });
      expect(await storedCount(shared)).toBe(0);
      const rejected = await shared.metrics.registry.getSingleMetricAsString('ceos_deliveries_rejected_total');
      expect(rejected).toContain(`reason="${code}"`);
    });
  });

  it('refuses a body over the limit with 413 and stores nothing', async () => {
    ceos = await startTestCeos({ CEOS_WORKERS: 'false', CEOS_WEBHOOK_MAX_BYTES: '2048' });
    const result = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'x'.repeat(4096) } });
    expect(result.status).toBe(413);
    expect(result.body).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });
    expect(await storedCount(ceos)).toBe(0);
    const rejected = await ceos.metrics.registry.getSingleMetricAsString('ceos_deliveries_rejected_total');
    expect(rejected).toContain('reason="payload_too_large"');
  });

  it('accepts 25 MB bodies by default', async () => {
    ceos = await startTestCeos({ CEOS_WORKERS: 'false' });
    const result = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'x'.repeat(20 * 1024 * 1024) } });
    expect(result.status).toBe(202);
    expect(await storedCount(ceos)).toBe(1);
  });

  it('accepts the previous secret during a rotation, and not once it is dropped', async () => {
    ceos = await startTestCeos({ WEBHOOK_SECRET: 'new-secret', WEBHOOK_SECRET_PREVIOUS: 'old-secret', CEOS_WORKERS: 'false' });
    const withOld = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'a' }, secret: 'old-secret' });
    const withNew = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'b' }, secret: 'new-secret' });
    const withOther = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'c' }, secret: 'test-webhook-secret' });
    expect([withOld.status, withNew.status, withOther.status]).toEqual([202, 202, 401]);
    await ceos.stop();
    ceos = await startTestCeos({ WEBHOOK_SECRET: 'new-secret', CEOS_WORKERS: 'false' });
    const oldAfter = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'a' }, secret: 'old-secret' });
    expect(oldAfter.status).toBe(401);
  });

  it('refuses every delivery with 503 when no webhook secret is configured', async () => {
    ceos = await startTestCeos({ WEBHOOK_SECRET: '', CEOS_WORKERS: 'false' });
    const result = await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'z' } });
    expect(result.status).toBe(503);
    expect(result.body).toEqual({ error: { code: 'not_configured', message: expect.any(String) } });
    expect(await storedCount(ceos)).toBe(0);
  });

  it('answers 503 unavailable with Retry-After when the database cannot record a delivery, and stores it on a resend once it can', async () => {
    ceos = await startTestCeos({ CEOS_WORKERS: 'false' });
    const id = randomUUID();
    const body = JSON.stringify({ zen: 'z' });
    // The inbox table is gone for a moment: the commit fails on either backend.
    await sql`alter table deliveries rename to deliveries_away`.execute(ceos.database.db);
    const refused = await sendSigned(ceos.url, id, 'ping', body);
    await sql`alter table deliveries_away rename to deliveries`.execute(ceos.database.db);
    expect(refused).toMatchObject({ status: 503, code: 'unavailable', retryAfter: '30' });
    const resent = await sendSigned(ceos.url, id, 'ping', body);
    expect(resent).toMatchObject({ status: 202, retryAfter: null });
    expect(await storedCount(ceos)).toBe(1);
  });

  it('never writes the webhook secret or the private key to the log', async () => {
    ceos = await startTestCeos({}, {});
    await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'z' }, secret: 'wrong' });
    await sendWebhook(ceos.url, { event: 'ping', payload: { zen: 'z' } });
    const all = ceos.logs.raw.join('\n');
    expect(all).not.toContain('test-webhook-secret');
    expect(all).not.toContain('PRIVATE KEY');
  });
});
