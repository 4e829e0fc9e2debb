import { randomUUID } from 'node:crypto';
import { type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signBody } from '../../src/intake/verify-signature.js';
import { TEST_SECRET, type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';

let ceos: TestCeos | undefined;
let closeChannel: (() => Promise<void>) | undefined;
afterEach(async () => {
  await ceos?.stop();
  await closeChannel?.();
  ceos = undefined;
  closeChannel = undefined;
});

/** A local stand-in for a smee.io channel: a server-sent event stream the proxy subscribes to. */
async function startChannel() {
  const clients: ServerResponse[] = [];
  const server = createServer((request, response) => {
    if (request.url !== '/channel') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    response.write(': ready\n\n');
    clients.push(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/channel`,
    clients,
    /** Sends an event the way smee.io relays a webhook: its headers and body in one JSON message. */
    relay(headers: Record<string, string>, body: unknown) {
      const message = JSON.stringify({ ...headers, body, query: {}, timestamp: Date.now() });
      for (const client of clients) client.write(`data: ${message}\n\n`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of clients) client.end();
        server.close(() => resolve());
      }),
  };
}

describe(`development webhook proxy (${backend})`, () => {
  it('forwards webhooks from the WEBHOOK_PROXY_URL channel to the intake, which verifies and stores them', async () => {
    const channel = await startChannel();
    closeChannel = channel.close;
    ceos = await startTestCeos({ WEBHOOK_PROXY_URL: channel.url, CEOS_WORKERS: 'false' });
    await vi.waitFor(() => expect(channel.clients.length).toBe(1));

    const payload = { zen: 'Design for failure.', hook_id: 42 };
    const id = randomUUID();
    channel.relay({ 'x-github-event': 'ping', 'x-github-delivery': id, 'x-hub-signature-256': signBody(JSON.stringify(payload), TEST_SECRET) }, payload);
    // A relayed event with a bad signature is refused like any other.
    const forged = randomUUID();
    channel.relay({ 'x-github-event': 'ping', 'x-github-delivery': forged, 'x-hub-signature-256': signBody('{}', TEST_SECRET) }, payload);

    await vi.waitFor(async () => {
      const row = await ceos!.database.db.selectFrom('deliveries').select(['event', 'payload']).where('id', '=', id).executeTakeFirst();
      expect(row?.event).toBe('ping');
      expect(JSON.parse(row!.payload)).toEqual(payload);
    });
    await vi.waitFor(async () => {
      const rejected = await ceos!.metrics.registry.getSingleMetricAsString('ceos_deliveries_rejected_total');
      expect(rejected).toContain('reason="invalid_signature"');
    });
    const forgedRow = await ceos.database.db.selectFrom('deliveries').select('id').where('id', '=', forged).executeTakeFirst();
    expect(forgedRow).toBeUndefined();
  });
});
