import { z } from 'zod';
import type { Config } from '../../app/config.js';
import { listMessages, type MessageRow, type MessageWithAttempts } from '../../db/notification-messages.js';
import { type SubscriptionRow, findSubscription, listSubscriptions } from '../../db/notification-subscriptions.js';
import {
  EncryptionKeyMissingError,
  type SubscriptionDeps,
  type SubscriptionView,
  createSubscription,
  queueTestMessage,
  removeSubscription,
  replaySubscriptionMessage,
  rotateSigningSecret,
  viewOf,
} from '../../notifications/manage-subscriptions.js';
import { NOTIFICATION_TYPES } from '../../notifications/notification-types.js';
import { UnsafeTargetError } from '../../notifications/target-safety.js';
import { secretBoxOf } from '../../security/secret-box-config.js';
import { ApiError, notFound } from '../api-error.js';
import { type ApiDeps, defineRoute } from '../api-route.js';
import type { ApiPrincipal } from '../authenticate.js';
import { decodeCursor, page } from '../cursor.js';
import { iso, orgParam, pageOf, pageQuery, timestamp, uuid } from '../schemas.js';

const formatSchema = z.enum(['standard', 'slack', 'teams']).describe('standard (Standard Webhooks, signed), slack (Block Kit) or teams (Adaptive Card)');
const eventSchema = z.enum(NOTIFICATION_TYPES, `must be one of: ${NOTIFICATION_TYPES.join(', ')}`);

const webhookBody = z.object({
  id: z.string().describe('Subscription id'),
  url: z.string().describe('Where messages are POSTed (stored encrypted)'),
  events: z.array(eventSchema),
  format: formatSchema,
  orgs: z.array(z.string()).nullable().describe('Organizations whose events it gets; null for every one'),
  state: z.enum(['active', 'disabled']).describe('disabled after five days of failed attempts; replaying a delivery enables it again'),
  failing_since: timestamp.nullable().describe('First failed attempt since the last success'),
  disabled_at: timestamp.nullable(),
  disabled_reason: z.string().nullable(),
  previous_secret_until: timestamp.nullable().describe('Until when the secret before the last rotation also signs'),
  created_by: z.string(),
  created_at: timestamp,
});

const attemptBody = z.object({
  attempt: z.number().int(),
  at: timestamp,
  status: z.number().int().nullable().describe('HTTP status answered; null when none came'),
  error: z.string().nullable(),
  duration_ms: z.number().int(),
});

const deliveryBody = z.object({
  id: z.string().describe('The message id, sent as `webhook-id` (the same on every retry)'),
  type: z.string(),
  org: z.string().nullable(),
  state: z.enum(['pending', 'sending', 'delivered', 'dead']),
  attempts: z.number().int(),
  last_status: z.number().int().nullable(),
  last_error: z.string().nullable(),
  next_attempt_at: timestamp.nullable().describe('When the next attempt is due (pending messages only)'),
  created_at: timestamp,
  delivered_at: timestamp.nullable(),
  dead_at: timestamp.nullable(),
  history: z.array(attemptBody).describe('The latest attempts, oldest first'),
});

function webhookItem(v: SubscriptionView) {
  return {
    id: v.id,
    url: v.url,
    events: v.events,
    format: v.format,
    orgs: v.orgs,
    state: v.state,
    failing_since: iso(v.failing_since),
    disabled_at: iso(v.disabled_at),
    disabled_reason: v.disabled_reason,
    previous_secret_until: iso(v.previous_secret_until),
    created_by: v.created_by,
    created_at: iso(v.created_at),
  };
}

function deliveryItem(m: MessageRow & { history?: MessageWithAttempts['history'] }) {
  return {
    id: m.id,
    type: m.type,
    org: m.org,
    state: m.state,
    attempts: m.attempts,
    last_status: m.last_status,
    last_error: m.last_error,
    next_attempt_at: m.state === 'pending' ? iso(m.next_attempt_at) : null,
    created_at: iso(m.created_at),
    delivered_at: iso(m.delivered_at),
    dead_at: iso(m.dead_at),
    history: (m.history ?? []).map((a) => ({ attempt: a.attempt, at: iso(a.at), status: a.status, error: a.error, duration_ms: a.duration_ms })),
  };
}

function subscriptionDeps(deps: ApiDeps): SubscriptionDeps {
  const config: Config = deps.config;
  return { db: deps.db, box: secretBoxOf(config.notifications), allowPrivate: config.notifications.allowPrivateTargets, publicUrl: config.dashboard.publicUrl };
}

/** Whether a key limited to some organizations may manage a subscription: only one limited to some of those. */
function manages(principal: ApiPrincipal, orgs: readonly string[] | null): boolean {
  if (principal.orgs === null) return true;
  return orgs !== null && orgs.every((o) => principal.orgs!.includes(o));
}

async function ownSubscription(deps: ApiDeps, principal: ApiPrincipal, id: string): Promise<SubscriptionRow> {
  const row = await findSubscription(deps.db, id);
  if (!row || !manages(principal, row.orgs)) throw notFound(`webhook ${id}`);
  return row;
}

/** Errors of creation a client can fix, as problem answers. */
function creationProblem(error: unknown): never {
  if (error instanceof EncryptionKeyMissingError) throw new ApiError(503, 'encryption_key_missing', error.message);
  if (error instanceof UnsafeTargetError) throw new ApiError(400, 'unsafe_url', error.message);
  throw error;
}

const idParams = z.strictObject({ id: uuid });

/** Notification webhooks: subscribe, list, delete, test, their deliveries and replays. Admin keys only. */
export const webhookRoutes = [
  defineRoute({
    method: 'GET',
    url: '/webhooks',
    permission: 'admin',
    org: false,
    tag: 'webhooks',
    summary: 'List notification webhooks',
    querystring: z.strictObject({ ...pageQuery }),
    response: pageOf(webhookBody),
    async handler({ query, principal, deps }) {
      const after = decodeCursor(query.cursor, z.object({ at: z.iso.datetime(), id: z.string() }));
      const rows = await listSubscriptions(deps.db, { limit: query.limit + 1, ...(after ? { after: { createdAt: new Date(after.at), id: after.id } } : {}) });
      const box = secretBoxOf(deps.config.notifications);
      const result = page(rows, query.limit, (r) => r, (r) => ({ at: iso(r.created_at), id: r.id }));
      return { next: result.next, items: result.items.filter((r) => manages(principal, r.orgs)).map((r) => webhookItem(viewOf(box, r))) };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/webhooks',
    permission: 'admin',
    org: false,
    tag: 'webhooks',
    status: 201,
    summary: 'Subscribe a URL to notifications',
    description:
      'The URL must be http or https and resolve to a public address (unless CEOS_WEBHOOK_ALLOW_PRIVATE=true). Answers with the subscription and its signing secret in `secret`: the only time it is shown. Refused with 503 while CEOS_ENCRYPTION_KEY is not set.',
    body: z.strictObject({
      url: z.string().min(1).max(2000).describe('http(s) URL: an endpoint of yours, a Slack incoming webhook or a Teams Workflows webhook'),
      events: z.array(eventSchema).min(1).max(NOTIFICATION_TYPES.length),
      format: formatSchema.default('standard'),
      orgs: z.array(orgParam).min(1).max(100).optional(),
    }),
    response: webhookBody.extend({ secret: z.string().describe('Signing secret, `whsec_…`: shown this once, never again') }),
    async handler({ body, principal, deps }) {
      const orgs = body.orgs ? body.orgs.map((o) => o.toLowerCase()) : null;
      if (!manages(principal, orgs)) throw new ApiError(403, 'forbidden', 'A key limited to some organizations can only subscribe to events of some of them: name them in `orgs`.');
      const created = await createSubscription(subscriptionDeps(deps), { url: body.url, events: body.events, format: body.format, orgs: orgs ?? undefined, actor: principal.actor }).catch(creationProblem);
      return { ...webhookItem(created.view), secret: created.secret };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/webhooks/:id',
    permission: 'admin',
    org: false,
    tag: 'webhooks',
    summary: 'Show a notification webhook',
    params: idParams,
    response: webhookBody,
    async handler({ params, principal, deps }) {
      const row = await ownSubscription(deps, principal, params.id);
      return webhookItem(viewOf(secretBoxOf(deps.config.notifications), row));
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/webhooks/:id',
    permission: 'admin',
    org: false,
    tag: 'webhooks',
    summary: 'Delete a notification webhook and its deliveries',
    params: idParams,
    response: webhookBody,
    async handler({ params, principal, deps }) {
      await ownSubscription(deps, principal, params.id);
      const removed = await removeSubscription(subscriptionDeps(deps), params.id, principal.actor);
      if (!removed) throw notFound(`webhook ${params.id}`);
      return webhookItem(removed);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/webhooks/:id/test',
    permission: 'admin',
    org: false,
    tag: 'webhooks',
    status: 202,
    summary: 'Send a test message',
    description: 'Queues a `webhook.tested` message, sent like any other (signed, retried); follow it in the deliveries.',
    params: idParams,
    body: z.strictObject({}).optional(),
    response: deliveryBody,
    async handler({ params, principal, deps, now }) {
      await ownSubscription(deps, principal, params.id);
      const message = await queueTestMessage(subscriptionDeps(deps), params.id, principal.actor, now);
      if (!message) throw notFound(`webhook ${params.id}`);
      return deliveryItem(message);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/webhooks/:id/rotate-secret',
    permission: 'admin',
    org: false,
    tag: 'webhooks',
    summary: 'Rotate the signing secret',
    description: 'The new secret (in `secret`, shown this once) signs at once; the previous one signs beside it for 24 hours, so receivers can switch without losing a message.',
    params: idParams,
    body: z.strictObject({}).optional(),
    response: webhookBody.extend({ secret: z.string().describe('The new signing secret, `whsec_…`: shown this once') }),
    async handler({ params, principal, deps, now }) {
      await ownSubscription(deps, principal, params.id);
      const rotated = await rotateSigningSecret(subscriptionDeps(deps), params.id, principal.actor, now).catch(creationProblem);
      if (!rotated) throw notFound(`webhook ${params.id}`);
      return { ...webhookItem(rotated.view), secret: rotated.secret };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/webhooks/:id/deliveries',
    permission: 'admin',
    org: false,
    tag: 'webhooks',
    summary: "List a webhook's deliveries",
    description: 'Newest first: each message with its state, attempts, last answer, next retry and latest attempts.',
    params: idParams,
    querystring: z.strictObject({ ...pageQuery, state: z.enum(['pending', 'sending', 'delivered', 'dead']).optional() }),
    response: pageOf(deliveryBody),
    async handler({ params, query, principal, deps }) {
      await ownSubscription(deps, principal, params.id);
      const before = decodeCursor(query.cursor, z.object({ at: z.iso.datetime(), id: z.string() }));
      const rows = await listMessages(deps.db, params.id, {
        limit: query.limit + 1,
        ...(query.state ? { state: query.state } : {}),
        ...(before ? { before: { createdAt: new Date(before.at), id: before.id } } : {}),
      });
      return page(rows, query.limit, deliveryItem, (r) => ({ at: iso(r.created_at), id: r.id }));
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/webhooks/:id/deliveries/:delivery/replay',
    permission: 'admin',
    org: false,
    tag: 'webhooks',
    status: 202,
    summary: 'Replay a delivery',
    description: 'Sends a dead-lettered (or delivered) message again with a fresh set of attempts and the same `webhook-id`. 409 while it is still pending or being sent. Replaying on a disabled webhook enables it again.',
    params: z.strictObject({ id: uuid, delivery: z.string().regex(/^msg_[A-Za-z0-9_-]{1,64}$/, 'must be a delivery id (msg_…)') }),
    body: z.strictObject({}).optional(),
    response: deliveryBody,
    async handler({ params, principal, deps }) {
      await ownSubscription(deps, principal, params.id);
      const outcome = await replaySubscriptionMessage(subscriptionDeps(deps), params.id, params.delivery, principal.actor);
      if ('notFound' in outcome) throw notFound(`delivery ${params.delivery} of webhook ${params.id}`);
      if ('busy' in outcome) throw new ApiError(409, 'not_replayable', `Delivery ${params.delivery} is ${outcome.busy}: only dead or delivered messages can be replayed.`);
      return deliveryItem(outcome.replayed);
    },
  }),
];
