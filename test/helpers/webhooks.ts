import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { signBody } from '../../src/intake/verify-signature.js';
import { TEST_SECRET } from './ceos.js';

const require = createRequire(import.meta.url);

/** One example payload from @octokit/webhooks-examples. */
export interface WebhookExample {
  event: string;
  payload: Record<string, unknown>;
}

/** Every example payload GitHub's webhook documentation ships, with its event name. */
export function webhookExamples(): WebhookExample[] {
  const definitions = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, unknown>[] }[];
  return definitions.flatMap((d) => d.examples.map((payload) => ({ event: d.name, payload })));
}

/** Sends a delivery over HTTP the way GitHub does; the parts can be overridden to test refusals. */
export async function sendWebhook(
  baseUrl: string,
  delivery: { event: string; payload: unknown; id?: string; secret?: string; body?: string; headers?: Record<string, string | undefined> },
): Promise<{ status: number; body: unknown; id: string }> {
  const id = delivery.id ?? randomUUID();
  const body = delivery.body ?? JSON.stringify(delivery.payload);
  const headers: Record<string, string> = {};
  const base: Record<string, string | undefined> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/test',
    'x-github-event': delivery.event,
    'x-github-delivery': id,
    'x-hub-signature-256': signBody(body, delivery.secret ?? TEST_SECRET),
    ...delivery.headers,
  };
  for (const [k, v] of Object.entries(base)) if (v !== undefined) headers[k] = v;
  const response = await fetch(`${baseUrl}/api/github/webhooks`, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null, id };
}
