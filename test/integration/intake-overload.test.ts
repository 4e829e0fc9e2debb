import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Probot } from 'probot';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend, testDatabaseUrl } from '../helpers/database.js';
import { type DeliveryAnswer, sendSigned } from '../helpers/fault-database.js';

const DEADLINE_MS = 5000;
const MAX_WAITING_BYTES = 2 * 1024 * 1024;
const STALL_MS = 20_000;

/**
 * Stalls the inbox for `ms`: on PostgreSQL an ACCESS EXCLUSIVE lock on the table from a separate
 * connection (what a long migration or a stuck transaction does); on the embedded database a
 * transaction holding its only connection. Resolves once the stall is in place, with the promise
 * of its end.
 */
async function stallInbox(ceos: TestCeos, ms: number): Promise<{ released: Promise<void> }> {
  if (testDatabaseUrl) {
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    await admin.query('begin');
    await admin.query(`lock table "${ceos.config.databaseSchema}".deliveries in access exclusive mode`);
    const released = new Promise<void>((resolve) => setTimeout(resolve, ms)).then(async () => {
      await admin.query('commit');
      await admin.end();
    });
    return { released };
  }
  let locked!: () => void;
  const inPlace = new Promise<void>((resolve) => (locked = resolve));
  const released = ceos.database.db.transaction().execute(async (trx) => {
    await sql`select 1`.execute(trx);
    locked();
    await new Promise((resolve) => setTimeout(resolve, ms));
  });
  await inPlace;
  return { released };
}

/** Waits until every one of `ids` is processed. */
async function expectProcessed(ceos: TestCeos, ids: string[]): Promise<void> {
  await vi.waitFor(
    async () => {
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const rows = await ceos.database.db.selectFrom('deliveries').select('id').where('id', 'in', chunk).where('status', '=', 'processed').execute();
        expect(rows).toHaveLength(chunk.length);
      }
    },
    { timeout: 60_000, interval: 200 },
  );
}

describe(`intake overload (${backend})`, () => {
  let ceos: TestCeos | undefined;
  afterEach(async () => {
    await ceos?.stop();
    ceos = undefined;
  });

  it('answers every delivery within the commit deadline while the inbox is stalled, bounds what waits, and loses nothing answered 2xx', async () => {
    const handled = new Map<string, number>();
    ceos = await startTestCeos(
      {
        CEOS_INTAKE_MAX_WAITING_BYTES: String(MAX_WAITING_BYTES),
        CEOS_INTAKE_MAX_WAITING: '1000',
        CEOS_INTAKE_COMMIT_DEADLINE_MS: String(DEADLINE_MS),
      },
      { extraHandlers: (app: Probot) => app.on('ping', async (context) => void handled.set(context.id, (handled.get(context.id) ?? 0) + 1)) },
    );
    const url = ceos.url;
    const inbox = ceos.inbox;
    // Built again for a resend rather than kept: the test's own memory must not hide the server's.
    const body = (id: string) => JSON.stringify({ zen: 'x'.repeat(100 * 1024), hook_id: id });

    // Before the stall: accepted at once.
    const warm = await sendSigned(url, randomUUID(), 'ping', body(randomUUID()));
    expect(warm.status).toBe(202);

    const heapBefore = process.memoryUsage().heapUsed;
    let peak = { count: 0, bytes: 0, heap: 0 };
    const sampler = setInterval(() => {
      const waiting = inbox.waiting();
      peak = {
        count: Math.max(peak.count, waiting.count),
        bytes: Math.max(peak.bytes, waiting.bytes),
        heap: Math.max(peak.heap, process.memoryUsage().heapUsed - heapBefore),
      };
    }, 5);

    const stall = await stallInbox(ceos, STALL_MS);
    let stalled = true;
    void stall.released.then(() => (stalled = false));
    const answers: DeliveryAnswer[] = [];
    const senders = Array.from({ length: 30 }, async () => {
      while (stalled) {
        const id = randomUUID();
        answers.push(await sendSigned(url, id, 'ping', body(id)));
        // Paced like GitHub's own traffic bursts rather than a tight loop on two cores.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
    await Promise.all(senders);
    await stall.released;
    clearInterval(sampler);

    // Every request was answered by its deadline, give or take the round trip of 100 KB and the
    // event-loop lag of a two-core machine running client, server and database: well within GitHub's 10 s.
    expect(answers.length).toBeGreaterThan(300);
    for (const answer of answers) {
      expect([200, 202, 503]).toContain(answer.status);
      expect(answer.ms).toBeLessThan(DEADLINE_MS + 2500);
      if (answer.status === 503) {
        expect(['overloaded', 'timeout']).toContain(answer.code);
        expect(answer.retryAfter).toBe('5');
      }
    }
    const refused = answers.filter((a) => a.status === 503);
    // Both bounds were reached: deliveries waited until their deadline, and the rest were refused at once.
    expect(refused.filter((a) => a.code === 'timeout').length).toBeGreaterThan(10);
    expect(refused.filter((a) => a.code === 'overloaded').length).toBeGreaterThan(100);
    expect(peak.bytes).toBeGreaterThan(MAX_WAITING_BYTES / 2);
    expect(peak.bytes).toBeLessThanOrEqual(MAX_WAITING_BYTES);
    expect(peak.heap).toBeLessThan(100 * 1024 * 1024);

    // After the stall: every delivery answered 2xx is processed.
    const accepted = answers.filter((a) => a.status === 202 || a.status === 200).map((a) => a.id);
    await expectProcessed(ceos, accepted);
    for (const id of accepted) expect(handled.get(id), id).toBeGreaterThanOrEqual(1);

    // A resend of each refused delivery is accepted: stored now, or already stored by a commit
    // that landed after its 503 (a duplicate).
    const resent: DeliveryAnswer[] = [];
    for (let i = 0; i < refused.length; i += 20) {
      resent.push(...(await Promise.all(refused.slice(i, i + 20).map((a) => sendSigned(url, a.id, 'ping', body(a.id))))));
    }
    for (const answer of resent) expect([200, 202], `${answer.id} ${answer.code}`).toContain(answer.status);
    await expectProcessed(ceos, refused.map((a) => a.id));
    const metrics = await ceos.metrics.registry.getSingleMetricAsString('ceos_deliveries_rejected_total');
    expect(metrics).toContain('reason="overloaded"');
    expect(metrics).toContain('reason="timeout"');
  }, 180_000);

  it('refuses a declared size over the limit with 413 before reading any of the body', async () => {
    ceos = await startTestCeos({ CEOS_WORKERS: 'false', CEOS_WEBHOOK_MAX_BYTES: '2048' });
    // The request sends its headers and then nothing: only a check made before the body is read can answer it.
    const address = new URL(ceos.url);
    // A separate process speaks raw HTTP: this test process intercepts its own sockets (nock), and
    // the interceptor would wait for a body that never comes.
    const client = `
      const socket = require('node:net').connect(${Number(address.port)}, '${address.hostname}', () => socket.write(
        'POST /api/github/webhooks HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Type: application/json\\r\\n' +
        'Content-Length: 1000000\\r\\nX-GitHub-Event: ping\\r\\nX-GitHub-Delivery: ${randomUUID()}\\r\\n\\r\\n'));
      socket.on('data', (chunk) => { process.stdout.write(chunk.toString().split('\\r\\n')[0]); socket.destroy(); });`;
    const { stdout: head } = await promisify(execFile)(process.execPath, ['-e', client], { timeout: 10_000 });
    expect(head).toBe('HTTP/1.1 413 Payload Too Large');
    expect(await ceos.database.db.selectFrom('deliveries').select('id').execute()).toEqual([]);
  });
});
