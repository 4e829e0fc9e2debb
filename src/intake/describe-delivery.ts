import type { NewDelivery } from '../db/deliveries.js';

type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * Extracts the columns the product queries from a parsed webhook payload. Payload shapes vary by
 * event, so every field is optional: the owning account comes from the organization, else the
 * installation's account, else the repository's owner.
 */
export function describeDelivery(id: string, event: string, payload: Json, raw: string, receivedAt: Date = new Date()): NewDelivery {
  const installation = record(payload.installation);
  const organization = record(payload.organization);
  const repository = record(payload.repository);
  const owner = record(repository?.owner);
  const account = record(installation?.account);
  const installationId = installation && typeof installation.id === 'number' ? installation.id : null;
  return {
    id,
    event,
    action: text(payload.action),
    installationId,
    org: text(organization?.login) ?? text(account?.login) ?? text(owner?.login),
    repository: text(repository?.full_name),
    sender: text(record(payload.sender)?.login),
    payload: raw,
    receivedAt,
  };
}
