import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { KEYS_AUDIT_ORG } from '../api/audit-actions.js';
import { appendAudit } from '../db/audit-log.js';
import { orgKey } from '../db/installations.js';
import { type MessageRow, insertMessages, replayMessage } from '../db/notification-messages.js';
import type { NotificationFormat } from '../db/notification-schema.js';
import {
  type SubscriptionRow,
  deleteSubscription,
  enableSubscription,
  findSubscription,
  insertSubscription,
  rotateSubscriptionSecret,
} from '../db/notification-subscriptions.js';
import type { Database } from '../db/schema.js';
import type { SecretBox } from '../security/secret-box.js';
import { newMessageId } from './fan-out.js';
import { type NotificationType, TEST_NOTIFICATION_TYPE } from './notification-types.js';
import { renderGroup } from './render-message.js';
import { generateSigningSecret } from './sign-standard.js';
import { openSubscriptionUrl, sealContext } from './subscription-secrets.js';
import { type Resolver, parseWebhookUrl, resolveSafeTarget } from './target-safety.js';

/** How long the previous secret keeps signing after a rotation. */
export const PREVIOUS_SECRET_HOURS = 24;

/** Raised when subscriptions cannot be created here: no encryption key is configured. */
export class EncryptionKeyMissingError extends Error {
  override name = 'EncryptionKeyMissingError';
  constructor() {
    super('CEOS_ENCRYPTION_KEY is not set: webhook URLs and secrets are stored encrypted, so no subscription can be created without it (set it to 32 random bytes in base64, e.g. `openssl rand -base64 32`)');
  }
}

/** What managing subscriptions needs, passed in. */
export interface SubscriptionDeps {
  db: Kysely<Database>;
  /** Undefined when CEOS_ENCRYPTION_KEY is not set. */
  box: SecretBox | undefined;
  allowPrivate: boolean;
  publicUrl: string | undefined;
  resolver?: Resolver;
}

/** A subscription as the API and CLI show it (the URL opened; never a secret). */
export interface SubscriptionView {
  id: string;
  url: string;
  events: NotificationType[];
  format: NotificationFormat;
  orgs: string[] | null;
  state: SubscriptionRow['state'];
  failing_since: Date | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  previous_secret_until: Date | null;
  created_by: string;
  created_at: Date;
}

function requireBox(deps: SubscriptionDeps): SecretBox {
  if (!deps.box) throw new EncryptionKeyMissingError();
  return deps.box;
}

/** The view of a row; the URL shows only when the key can open it. */
export function viewOf(box: SecretBox | undefined, row: SubscriptionRow): SubscriptionView {
  let url = '(sealed: CEOS_ENCRYPTION_KEY is not set)';
  if (box) {
    try {
      url = openSubscriptionUrl(box, row);
    } catch (error) {
      url = `(sealed: ${(error as Error).message})`;
    }
  }
  return {
    id: row.id,
    url,
    events: row.events as NotificationType[],
    format: row.format,
    orgs: row.orgs,
    state: row.state,
    failing_since: row.failing_since,
    disabled_at: row.disabled_at,
    disabled_reason: row.disabled_reason,
    previous_secret_until: row.previous_secret_until,
    created_by: row.created_by,
    created_at: row.created_at,
  };
}

/** A subscription to create, as `POST /webhooks` and `ceos webhooks add` take it. */
export interface CreateSubscriptionRequest {
  url: string;
  events: readonly NotificationType[];
  format: NotificationFormat;
  orgs?: readonly string[] | undefined;
  actor: string;
}

/**
 * Creates a subscription: the URL checked (http/https, and resolving to a public address unless
 * private targets are allowed), a new secret made, both sealed, and the creation audited. The
 * secret is returned here and never again.
 */
export async function createSubscription(deps: SubscriptionDeps, request: CreateSubscriptionRequest): Promise<{ view: SubscriptionView; secret: string }> {
  const box = requireBox(deps);
  const url = parseWebhookUrl(request.url);
  await resolveSafeTarget(url, deps.allowPrivate, deps.resolver);
  const id = randomUUID();
  const secret = generateSigningSecret();
  const orgs = request.orgs && request.orgs.length > 0 ? [...new Set(request.orgs.map(orgKey))].sort() : null;
  const events = [...new Set(request.events)].sort();
  const row = await deps.db.transaction().execute(async (trx) => {
    const created = await insertSubscription(trx, {
      id,
      url: box.seal(url.href, sealContext.url(id)),
      secret: box.seal(secret, sealContext.secret(id)),
      events,
      format: request.format,
      orgs,
      createdBy: request.actor,
    });
    await appendAudit(trx, {
      org: KEYS_AUDIT_ORG,
      actor: request.actor,
      action: 'webhook.created',
      target: id,
      reason: `notification webhook (${request.format}) created for ${events.join(', ')}`,
      // The host only: the path of a chat webhook URL is its credential.
      details: { format: request.format, events, orgs, host: url.host },
    });
    return created;
  });
  return { view: viewOf(box, row), secret };
}

/** Deletes a subscription with its messages, audited; undefined when there is none. */
export async function removeSubscription(deps: SubscriptionDeps, id: string, actor: string): Promise<SubscriptionView | undefined> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await deleteSubscription(trx, id);
    if (!row) return undefined;
    await appendAudit(trx, { org: KEYS_AUDIT_ORG, actor, action: 'webhook.deleted', target: id, reason: `notification webhook (${row.format}) deleted`, details: { format: row.format } });
    return viewOf(deps.box, row);
  });
}

/** Queues a test message to one subscription (any state, any events); the message row, or undefined when there is no subscription. */
export async function queueTestMessage(deps: SubscriptionDeps, id: string, actor: string, now: Date = new Date()): Promise<MessageRow | undefined> {
  const row = await findSubscription(deps.db, id);
  if (!row) return undefined;
  const [rendered] = renderGroup(row.format, [{ type: TEST_NOTIFICATION_TYPE, org: null, timestamp: now.toISOString(), data: { org: null, subscription_id: id, requested_by: actor } }], { publicUrl: deps.publicUrl });
  const messageId = newMessageId();
  await deps.db.transaction().execute(async (trx) => {
    await insertMessages(trx, [{ id: messageId, subscriptionId: id, dedupeKey: `test:${messageId}`, type: TEST_NOTIFICATION_TYPE, org: null, body: rendered!.body }]);
    await appendAudit(trx, { org: KEYS_AUDIT_ORG, actor, action: 'webhook.tested', target: id, reason: 'test message queued', details: { message: messageId } });
  });
  return (await deps.db.selectFrom('notification_messages').selectAll().where('id', '=', messageId).executeTakeFirst())!;
}

/** The outcome of a replay request. */
export type ReplayOutcome = { replayed: MessageRow } | { notFound: true } | { busy: MessageRow['state'] };

/**
 * Sends a dead or delivered message again. Replaying a message of a disabled endpoint turns the
 * endpoint back on: it is how an admin says the endpoint is fixed.
 */
export async function replaySubscriptionMessage(deps: SubscriptionDeps, id: string, messageId: string, actor: string): Promise<ReplayOutcome> {
  return deps.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('notification_messages').selectAll().where('subscription_id', '=', id).where('id', '=', messageId).forUpdate().executeTakeFirst();
    if (!existing) return { notFound: true };
    const replayed = await replayMessage(trx, id, messageId);
    if (!replayed) return { busy: existing.state };
    const subscription = await findSubscription(trx, id);
    const reenabled = subscription?.state === 'disabled';
    if (reenabled) await enableSubscription(trx, id);
    await appendAudit(trx, { org: KEYS_AUDIT_ORG, actor, action: 'webhook.replayed', target: id, reason: `message ${messageId} replayed${reenabled ? '; endpoint enabled again' : ''}`, details: { message: messageId, reenabled } });
    return { replayed };
  });
}

/** Gives a subscription a new secret (returned once); the old one keeps signing beside it for 24 hours. */
export async function rotateSigningSecret(deps: SubscriptionDeps, id: string, actor: string, now: Date = new Date()): Promise<{ view: SubscriptionView; secret: string } | undefined> {
  const box = requireBox(deps);
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('notification_subscriptions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!row) return undefined;
    const current = box.open({ ciphertext: row.secret_ciphertext, keyId: row.secret_key_id }, sealContext.secret(id));
    const secret = generateSigningSecret();
    const until = new Date(now.getTime() + PREVIOUS_SECRET_HOURS * 3_600_000);
    const updated = await rotateSubscriptionSecret(trx, id, box.seal(secret, sealContext.secret(id)), box.seal(current, sealContext.previousSecret(id)), until);
    await appendAudit(trx, { org: KEYS_AUDIT_ORG, actor, action: 'webhook.secret_rotated', target: id, reason: `signing secret rotated; the previous one signs too until ${until.toISOString()}`, details: {} });
    return { view: viewOf(box, updated!), secret };
  });
}
