import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Metrics } from '../../src/app/metrics.js';
import { createMetrics } from '../../src/app/metrics.js';
import { claimDueDeliveries, insertDeliveries, markFailed } from '../../src/db/deliveries.js';
import { recordDomainEvents } from '../../src/db/domain-events.js';
import { pruneMessages } from '../../src/db/notification-messages.js';
import type { Database } from '../../src/db/schema.js';
import { createSubscription } from '../../src/notifications/manage-subscriptions.js';
import { NotificationSender, type SenderOptions } from '../../src/notifications/notification-sender.js';
import { SecretBox } from '../../src/security/secret-box.js';
import type { Kysely } from 'kysely';
import { createKey } from '../helpers/api.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend, testDatabases, uniqueSchema } from '../helpers/database.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const KEY = randomBytes(32).toString('base64');

/** Short schedules: every duration of the sender shortened so retries, dead letters and disabling happen in seconds. */
const FAST: Partial<SenderOptions> = { retrySchedule: [0.05, 0.1, 0.15], pollIntervalMs: 50, leaseSeconds: 30 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * An instance with workers but no GitHub App (nothing reaches GitHub), its notification sender
 * on the short schedule, a loopback receiver, and an admin key.
 */
async function setup(env: Record<string, string | undefined> = {}, notifications: Partial<SenderOptions> = {}) {
  const receiver = await new WebhookReceiver().start();
  cleanups.push(() => receiver.stop());
  const ceos: TestCeos = await startTestCeos(
    { APP_ID: '', PRIVATE_KEY: '', CEOS_ENCRYPTION_KEY: KEY, CEOS_WEBHOOK_ALLOW_PRIVATE: 'true', CEOS_PUBLIC_URL: 'https://ceos.example.com', ...env },
    { listen: false, notifications: { ...FAST, ...notifications } },
  );
  cleanups.push(() => ceos.stop());
  const { auth } = await createKey(ceos.database.db, 'admin');
  const api = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) => {
    const res = await ceos.server.inject({ method, url: `/api/v1${url}`, headers: { ...auth, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) });
    return { status: res.statusCode, body: res.json() as Record<string, any> };
  };
  const subscribe = async (path: string, events: string[], format = 'standard', orgs?: string[]) => {
    const res = await api('POST', '/webhooks', { url: receiver.url(path), events, format, ...(orgs ? { orgs } : {}) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; secret: string };
  };
  const deliveries = async (id: string) => (await api('GET', `/webhooks/${id}/deliveries`)).body.items as Record<string, any>[];
  return { receiver, ceos, api, subscribe, deliveries, db: ceos.database.db };
}

/** A stored plan whose entries give the seat notifications their user ids and reasons. */
async function storeSeatPlan(db: Kysely<Database>, org: string, adds: string[], cancels: string[] = []): Promise<string> {
  const entry = (login: string, i: number, why: string) => ({ login, userId: 1000 + i, reason: { code: 'x', text: why } });
  const plan = { toAdd: adds.map((l, i) => entry(l, i, 'member of team eng')), toCancel: cancels.map((l, i) => entry(l, 500 + i, 'inactive for 45 days')) };
  const row = await db
    .insertInto('plans')
    .values({ org, trigger: 'schedule', actor: 'ceos', mode: 'enforce', status: 'applied', policy_sha: null, plan: JSON.stringify(plan), adds: adds.length, cancels: cancels.length, violations: 0 })
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(row.id);
}

describe(`notification delivery (${backend})`, () => {
  it('sends one signed Standard Webhooks message per seat change, verified with the reference library', async () => {
    const { receiver, subscribe, deliveries, db } = await setup();
    const hook = await subscribe('/std', ['seat.added', 'seat.cancelled']);
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32,}$/);
    const planId = await storeSeatPlan(db, 'acme', ['alice'], ['bob']);
    await recordDomainEvents(db, [{ type: 'seat.changed', org: 'acme', payload: { planId, added: ['alice'], cancelled: ['bob'] } }]);
    await receiver.waitFor(() => receiver.at('/std').length >= 2);
    const verifier = new Webhook(hook.secret);
    const bodies = receiver.at('/std').map((r) => verifier.verify(r.body, r.headers as Record<string, string>) as Record<string, any>);
    expect(bodies.map((b) => [b.type, b.data]).sort()).toEqual([
      ['seat.added', { org: 'acme', login: 'alice', user_id: 1000, reason: 'member of team eng', plan_id: planId }],
      ['seat.cancelled', { org: 'acme', login: 'bob', user_id: 1500, reason: 'inactive for 45 days', plan_id: planId }],
    ]);
    expect(Math.abs(Number(receiver.at('/std')[0]!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    await vi.waitFor(async () => expect((await deliveries(hook.id)).map((d) => d.state)).toEqual(['delivered', 'delivered']), { timeout: 5000 });
    // Events nobody subscribed to (and ones of other types) send nothing more.
    await recordDomainEvents(db, [{ type: 'reconciliation.finished', org: 'acme', payload: { planId, status: 'applied', added: 1, cancelled: 1, failed: 0 } }]);
    const other = await subscribe('/plans', ['plan.applied']);
    await recordDomainEvents(db, [{ type: 'reconciliation.finished', org: 'acme', payload: { planId, status: 'applied', added: 1, cancelled: 1, failed: 0 } }]);
    await receiver.waitFor(() => receiver.at('/plans').length === 1);
    expect(new Webhook(other.secret).verify(receiver.at('/plans')[0]!.body, receiver.at('/plans')[0]!.headers as Record<string, string>)).toMatchObject({ type: 'plan.applied', data: { org: 'acme', plan_id: planId, status: 'applied' } });
    expect(receiver.at('/std')).toHaveLength(2);
  });

  it('retries a failing endpoint with the same webhook-id (first three attempts answer 500), then delivers', async () => {
    const { receiver, subscribe, deliveries, db } = await setup({}, { retrySchedule: [0.05, 0.1, 0.15, 0.2] });
    receiver.answer = ({ count }) => ({ status: count <= 3 ? 500 : 204 });
    const hook = await subscribe('/flaky', ['violation.found']);
    await recordDomainEvents(db, [{ type: 'violation.found', org: 'acme', payload: { planId: randomUUID(), count: 2, codes: ['over_cap'] } }]);
    await receiver.waitFor(() => receiver.at('/flaky').length === 4);
    const ids = new Set(receiver.at('/flaky').map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    for (const r of receiver.at('/flaky')) new Webhook(hook.secret).verify(r.body, r.headers as Record<string, string>);
    // Backoff: each retry waits at least (0.8 ×) its step of the schedule.
    const at = receiver.at('/flaky').map((r) => r.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(35);
    expect(at[3]! - at[2]!).toBeGreaterThanOrEqual(110);
    await vi.waitFor(async () => {
      const [d] = await deliveries(hook.id);
      expect(d).toMatchObject({ state: 'delivered', attempts: 4, last_status: 204, next_attempt_at: null });
      expect(d!.history.map((h: { status: number }) => h.status)).toEqual([500, 500, 500, 204]);
    }, { timeout: 5000 });
  });

  it('dead-letters a message after its last attempt, and replays it with the same webhook-id', async () => {
    const { receiver, subscribe, deliveries, api, db, ceos } = await setup();
    let healthy = false;
    receiver.answer = () => ({ status: healthy ? 200 : 503 });
    const hook = await subscribe('/down', ['budget.exceeded']);
    const planId = randomUUID();
    await db
      .insertInto('plans')
      .values({ id: planId, org: 'acme', trigger: 'schedule', actor: 'ceos', mode: 'enforce', status: 'planned', policy_sha: null, plan: JSON.stringify({ budget: { monthlyLimitUsd: 100, costBeforeUsd: 95, costAfterUsd: 133, overByUsd: 33, status: 'over' } }), adds: 0, cancels: 0, violations: 1 } as never)
      .execute();
    await recordDomainEvents(db, [{ type: 'violation.found', org: 'acme', payload: { planId, count: 1, codes: ['over_budget'] } }]);
    await vi.waitFor(async () => expect((await deliveries(hook.id))[0]).toMatchObject({ state: 'dead', attempts: 4, last_status: 503 }), { timeout: 10_000 });
    expect(receiver.at('/down')).toHaveLength(4);
    expect(ceos.logs.lines.some((l) => l.msg === 'notification dead-lettered after its last attempt; replay it once the endpoint works' && l.subscription === hook.id)).toBe(true);
    const [dead] = await deliveries(hook.id);
    const busy = await api('POST', `/webhooks/${hook.id}/deliveries/msg_nosuchmessage/replay`, {});
    expect(busy.status).toBe(404);
    healthy = true;
    const replay = await api('POST', `/webhooks/${hook.id}/deliveries/${dead!.id}/replay`, {});
    expect(replay.status, JSON.stringify(replay.body)).toBe(202);
    expect(replay.body).toMatchObject({ id: dead!.id, state: 'pending', attempts: 0 });
    await receiver.waitFor(() => receiver.at('/down').length === 5);
    expect(receiver.at('/down')[4]!.headers['webhook-id']).toBe(dead!.id);
    expect(new Webhook(hook.secret).verify(receiver.at('/down')[4]!.body, receiver.at('/down')[4]!.headers as Record<string, string>)).toMatchObject({
      type: 'budget.exceeded',
      data: { org: 'acme', plan_id: planId, monthly_limit_usd: 100, cost_before_usd: 95, cost_after_usd: 133, over_by_usd: 33 },
    });
    await vi.waitFor(async () => expect((await deliveries(hook.id))[0]!.state).toBe('delivered'), { timeout: 5000 });
    const again = await api('POST', `/webhooks/${hook.id}/deliveries/${dead!.id}/replay`, {});
    expect(again.status).toBe(202);
  });

  it('disables an endpoint that fails for its whole window: a log line and a metric say so, /readyz stays green', async () => {
    const { receiver, subscribe, api, db, ceos } = await setup({}, { retrySchedule: [0.3, 0.3, 0.3, 0.3, 0.3], disableAfterSeconds: 0.5 });
    receiver.answer = () => ({ status: 500 });
    const readyBefore = await ceos.server.inject({ method: 'GET', url: '/readyz' });
    const hook = await subscribe('/broken', ['plan.awaiting_confirmation']);
    await recordDomainEvents(db, [{ type: 'plan.awaiting_confirmation', org: 'acme', payload: { planId: randomUUID(), held: 5, limit: 2, seatsHeld: 40, superseded: [] } }]);
    await vi.waitFor(async () => expect((await api('GET', `/webhooks/${hook.id}`)).body).toMatchObject({ state: 'disabled' }), { timeout: 10_000 });
    const shown = (await api('GET', `/webhooks/${hook.id}`)).body;
    expect(shown.disabled_reason).toMatch(/every attempt failed/);
    expect(shown.failing_since).not.toBeNull();
    const sent = receiver.at('/broken').length;
    expect(sent).toBeGreaterThanOrEqual(2);
    expect(ceos.logs.lines.some((l) => String(l.msg).startsWith('notification endpoint disabled') && l.subscription === hook.id)).toBe(true);
    const metrics = await ceos.server.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^ceos_notification_endpoints_disabled_total 1$/m);
    // Readiness is what it was before (this instance has no GitHub App, which /readyz reports); no check names notifications.
    const ready = await ceos.server.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json().checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual(readyBefore.json().checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok]));
    expect(ready.body).not.toMatch(/notif|webhook/);
    // Nothing more goes to a disabled endpoint: events make no messages for it, and a test message waits.
    const test = await api('POST', `/webhooks/${hook.id}/test`, {});
    expect(test.status).toBe(202);
    const [later] = await recordDomainEvents(db, [{ type: 'plan.awaiting_confirmation', org: 'acme', payload: { planId: randomUUID(), held: 5, limit: 2, seatsHeld: 40, superseded: [] } }]);
    await vi.waitFor(async () => {
      const marked = await sql<{ n: number }>`select count(*)::int as n from notification_fanout where event_id = ${later}`.execute(db);
      const cursor = await sql<{ watermark: string }>`select watermark from notification_cursor`.execute(db);
      expect(marked.rows[0]!.n > 0 || BigInt(cursor.rows[0]!.watermark) >= BigInt(later!)).toBe(true);
    });
    const states = await db.selectFrom('notification_messages').select(['type', 'state']).where('subscription_id', '=', hook.id).orderBy('created_at').execute();
    expect(states).toEqual([
      { type: 'plan.awaiting_confirmation', state: 'pending' },
      { type: 'webhook.tested', state: 'pending' },
    ]);
    expect(receiver.at('/broken')).toHaveLength(sent);
  });

  it('folds a large plan into one Slack message and one Teams card with a count, the first rows and the dashboard link', async () => {
    const { receiver, subscribe, db } = await setup();
    await subscribe('/slack', ['seat.added'], 'slack');
    await subscribe('/teams', ['seat.added', 'seat.cancelled'], 'teams', ['ACME']);
    await subscribe('/globex', ['seat.added'], 'slack', ['globex']);
    const std = await subscribe('/std', ['seat.added']);
    const added = Array.from({ length: 120 }, (_, i) => `dev${String(i).padStart(3, '0')}`);
    const planId = await storeSeatPlan(db, 'acme', added, ['gone']);
    await db
      .insertInto('plan_changes')
      .values([...added.map((login) => ({ plan_id: planId, login_key: login, login, op: 'add' as const, status: 'done' as const, last_error: null })), { plan_id: planId, login_key: 'gone', login: 'gone', op: 'cancel' as const, status: 'done' as const, last_error: null }])
      .execute();
    // Applied in three batches, then finished: chat channels get one message for the whole plan.
    for (let i = 0; i < 120; i += 40) {
      await recordDomainEvents(db, [{ type: 'seat.changed', org: 'acme', payload: { planId, added: added.slice(i, i + 40), cancelled: i === 0 ? ['gone'] : [] } }]);
    }
    await recordDomainEvents(db, [{ type: 'reconciliation.finished', org: 'acme', payload: { planId, status: 'applied', added: 120, cancelled: 1, failed: 0 } }]);
    await receiver.waitFor(() => receiver.at('/slack').length === 1 && receiver.at('/teams').length === 1 && receiver.at('/std').length === 120);
    const slack = JSON.parse(receiver.at('/slack')[0]!.body);
    expect(slack.text).toBe('CEOS · acme: 120 seats added');
    expect(slack.blocks.map((b: { type: string }) => b.type)).toEqual(['header', 'section', 'context', 'actions']);
    expect(slack.blocks[1].text.text).toContain('+ dev000 (member of team eng)');
    expect(slack.blocks[1].text.text).toContain('…and 111 more');
    expect(slack.blocks[3].elements[0].url).toBe('https://ceos.example.com/orgs/acme');
    expect(receiver.at('/slack')[0]!.headers['webhook-signature']).toBeUndefined();
    const teams = JSON.parse(receiver.at('/teams')[0]!.body);
    const card = teams.attachments[0].content;
    expect(card.type).toBe('AdaptiveCard');
    expect(card.body[0].text).toBe('CEOS · acme: 120 seats added, 1 seat cancelled');
    expect(card.body.filter((b: { text?: string }) => b.text?.startsWith('+ '))).toHaveLength(9);
    expect(card.body.some((b: { text?: string }) => b.text === '− gone (inactive for 45 days)')).toBe(true);
    expect(card.actions[0]).toEqual({ type: 'Action.OpenUrl', title: 'Open in CEOS', url: 'https://ceos.example.com/orgs/acme' });
    expect(receiver.at('/globex')).toHaveLength(0);
    expect(new Set(receiver.at('/std').map((r) => new Webhook(std.secret).verify(r.body, r.headers as Record<string, string>) as { data: { login: string } }).map((b) => b.data.login)).size).toBe(120);
  });

  it('rotates a secret: the new one signs at once and the old one signs beside it', async () => {
    const { receiver, subscribe, api } = await setup();
    const hook = await subscribe('/rotating', ['seat.added']);
    const rotated = await api('POST', `/webhooks/${hook.id}/rotate-secret`, {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(Date.parse(rotated.body.previous_secret_until) - Date.now()).toBeGreaterThan(23 * 3600_000);
    const listed = await api('GET', '/webhooks');
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
    expect(await api('POST', `/webhooks/${hook.id}/test`, {})).toMatchObject({ status: 202, body: { type: 'webhook.tested', state: 'pending' } });
    await receiver.waitFor(() => receiver.at('/rotating').length === 1);
    const [r] = receiver.at('/rotating');
    expect(String(r!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(new Webhook(rotated.body.secret).verify(r!.body, r!.headers as Record<string, string>)).toMatchObject({ type: 'webhook.tested' });
    expect(new Webhook(hook.secret).verify(r!.body, r!.headers as Record<string, string>)).toMatchObject({ type: 'webhook.tested' });
  });

  it('keeps a slow endpoint to its own slots, times it out, and follows no redirect', async () => {
    const { receiver, subscribe, db, deliveries } = await setup({ CEOS_WEBHOOK_TIMEOUT_MS: '700', CEOS_WEBHOOK_CONCURRENCY_PER_ENDPOINT: '1' }, { retrySchedule: [30] });
    receiver.answer = ({ path }) => (path === '/slow' ? { status: 200, delayMs: 5000 } : path === '/moved' ? { status: 302, location: receiver.url('/elsewhere') } : { status: 200 });
    const slow = await subscribe('/slow', ['seat.added']);
    await subscribe('/fast', ['seat.added']);
    const moved = await subscribe('/moved', ['seat.added']);
    const added = Array.from({ length: 20 }, (_, i) => `p${i}`);
    await recordDomainEvents(db, [{ type: 'seat.changed', org: 'acme', payload: { planId: null, added, cancelled: [] } }]);
    await receiver.waitFor(() => receiver.at('/fast').length === 20);
    // The fast endpoint got all twenty while the slow one, one request at a time, could not have.
    const slowAttempts = async () =>
      (await sql<{ at: Date; duration_ms: number; error: string | null }>`
        select a.at, a.duration_ms, a.error from notification_attempts a join notification_messages m on m.id = a.message_id
         where m.subscription_id = ${slow.id} order by a.at`.execute(db)).rows;
    expect((await slowAttempts()).length).toBeLessThan(20);
    await vi.waitFor(async () => expect((await slowAttempts()).length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    const attempts = await slowAttempts();
    expect(attempts[0]!.error).toBe('no answer within 700 ms');
    // At most one request in flight to the slow endpoint: each attempt starts after the one before ended.
    for (let i = 1; i < attempts.length; i++) {
      expect(new Date(attempts[i]!.at).getTime() - attempts[i]!.duration_ms).toBeGreaterThanOrEqual(new Date(attempts[i - 1]!.at).getTime() - 50);
    }
    const timedOut = (await deliveries(slow.id)).find((d) => d.attempts === 1 && d.state === 'pending')!;
    expect(timedOut.history[0].status).toBeNull();
    await vi.waitFor(async () => expect((await deliveries(moved.id)).every((d) => d.last_status === 302)).toBe(true), { timeout: 10_000 });
    expect(receiver.at('/elsewhere')).toHaveLength(0);
  });
});

describe(`delivery.dead notifications (${backend})`, () => {
  it('tells subscribers when a GitHub delivery is dead-lettered after its last attempt', async () => {
    const { receiver, subscribe, db } = await setup();
    const hook = await subscribe('/dead', ['delivery.dead']);
    await insertDeliveries(db, [{ id: 'guid-dead-1', event: 'organization', action: 'member_added', installationId: 1, org: 'acme', repository: null, sender: 'octocat', payload: '{}', receivedAt: new Date() }]);
    const [claim] = await claimDueDeliveries(db, { limit: 1, leaseSeconds: 30, workerId: 'w-test', maxAttempts: 1 });
    expect(await markFailed(db, { id: claim!.id, workerId: 'w-test', attempt: claim!.attempts, error: 'handler threw: boom', retryInSeconds: 1, maxAttempts: 1 })).toBe('dead');
    await receiver.waitFor(() => receiver.at('/dead').length === 1);
    const r = receiver.at('/dead')[0]!;
    expect(new Webhook(hook.secret).verify(r.body, r.headers as Record<string, string>)).toMatchObject({
      type: 'delivery.dead',
      data: { org: 'acme', delivery_id: 'guid-dead-1', event: 'organization', action: 'member_added', attempts: 1, error: 'handler threw: boom' },
    });
  });
});

describe(`notification safety and secrets at rest (${backend})`, () => {
  it('refuses private targets unless allowed, at creation and at send time, and other schemes always', async () => {
    const { receiver, api, db, ceos } = await setup({ CEOS_WEBHOOK_ALLOW_PRIVATE: 'false' });
    for (const url of [receiver.url('/x'), 'http://localhost:9/x', 'http://[::1]:9/x', 'http://169.254.169.254/latest/meta-data']) {
      const res = await api('POST', '/webhooks', { url, events: ['seat.added'] });
      expect(res.status, url).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'unsafe_url' });
      expect(res.body.error.message).toMatch(/CEOS_WEBHOOK_ALLOW_PRIVATE/);
    }
    const ftp = await api('POST', '/webhooks', { url: 'ftp://example.com/x', events: ['seat.added'] });
    expect(ftp.body.error.message).toMatch(/http or https/);
    expect((await api('POST', '/webhooks', { url: 'https://example.com/x', events: ['seat.nope'] })).status).toBe(400);
    // Accepted when it pointed elsewhere (created as if it resolved publicly), refused when sending.
    const box = new SecretBox(Buffer.from(KEY, 'base64'));
    const created = await createSubscription({ db, box, allowPrivate: true, publicUrl: undefined }, { url: receiver.url('/rebound'), events: ['seat.added'], format: 'standard', actor: 'test' });
    await recordDomainEvents(db, [{ type: 'seat.changed', org: 'acme', payload: { planId: null, added: ['alice'], cancelled: [] } }]);
    await vi.waitFor(async () => {
      const row = await db.selectFrom('notification_messages').selectAll().where('subscription_id', '=', created.view.id).executeTakeFirstOrThrow();
      expect(row.last_error).toMatch(/resolves to 127\.0\.0\.1, a private, loopback or link-local address/);
    }, { timeout: 5000 });
    expect(receiver.requests).toHaveLength(0);
    expect(ceos.logs.raw.join('\n')).not.toContain(receiver.url('/rebound'));
  });

  it('refuses to create subscriptions without CEOS_ENCRYPTION_KEY, saying why', async () => {
    const { receiver, api } = await setup({ CEOS_ENCRYPTION_KEY: '' });
    const res = await api('POST', '/webhooks', { url: receiver.url('/x'), events: ['seat.added'] });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('encryption_key_missing');
    expect(res.body.error.message).toMatch(/CEOS_ENCRYPTION_KEY is not set/);
    expect((await api('GET', '/webhooks')).body.items).toEqual([]);
  });

  it('stores URLs and secrets sealed, with the key id beside them, never in clear', async () => {
    const { receiver, subscribe, db, ceos } = await setup();
    const hook = await subscribe('/sealed/T0/B0/tokenvalue', ['seat.added']);
    const row = await db.selectFrom('notification_subscriptions').selectAll().where('id', '=', hook.id).executeTakeFirstOrThrow();
    const dump = JSON.stringify(row);
    expect(dump).not.toContain('tokenvalue');
    expect(dump).not.toContain(hook.secret.slice(6));
    expect(row.url_key_id).toBe(new SecretBox(Buffer.from(KEY, 'base64')).currentKeyId);
    expect(ceos.logs.raw.join('\n')).not.toContain('tokenvalue');
    const audit = await db.selectFrom('audit_log').select(['action', 'details']).where('target', '=', hook.id).execute();
    expect(audit.map((a) => a.action)).toEqual(['webhook.created']);
    expect(JSON.stringify(audit)).not.toContain('tokenvalue');
    expect(JSON.stringify(audit)).toContain(new URL(receiver.url()).host);
  });
});

describe(`notifications on several instances (${backend})`, () => {
  const databases = testDatabases();
  afterEach(() => databases.closeAll());

  it('prunes delivered and dead messages older than the retention, and keeps pending and recent ones', async () => {
    const { db } = await databases.open();
    const box = new SecretBox(Buffer.from(KEY, 'base64'));
    const { view } = await createSubscription({ db, box, allowPrivate: true, publicUrl: undefined }, { url: 'http://127.0.0.1:9/x', events: ['seat.added'], format: 'standard', actor: 'test' });
    const old = new Date(Date.now() - 31 * 86_400_000);
    const rows = [
      { id: 'msg_old_delivered', state: 'delivered', delivered_at: old },
      { id: 'msg_old_dead', state: 'dead', dead_at: old },
      { id: 'msg_new_delivered', state: 'delivered', delivered_at: new Date() },
      { id: 'msg_old_pending', state: 'pending' },
    ] as const;
    for (const r of rows) {
      await db.insertInto('notification_messages').values({ subscription_id: view.id, dedupe_key: r.id, type: 'seat.added', org: 'acme', body: '{}', created_at: old, ...r }).execute();
    }
    await db.insertInto('notification_attempts').values({ message_id: 'msg_old_dead', attempt: 1, status: 500, error: 'answered 500', duration_ms: 3 }).execute();
    expect(await pruneMessages(db, 30)).toBe(2);
    expect((await db.selectFrom('notification_messages').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual(['msg_new_delivered', 'msg_old_pending']);
    expect(await db.selectFrom('notification_attempts').selectAll().execute()).toEqual([]);
  });

  it('two senders on one database send each message once', async () => {
    const receiver = await new WebhookReceiver().start();
    cleanups.push(() => receiver.stop());
    const schema = uniqueSchema();
    const first = await databases.open(schema);
    const second = backend === 'postgres' ? await databases.open(schema) : first;
    const box = new SecretBox(Buffer.from(KEY, 'base64'));
    const log = (await import('../../src/app/logger.js')).createLogger('silent');
    const options: SenderOptions = { timeoutMs: 5000, perEndpoint: 4, maxInFlight: 16, leaseSeconds: 30, retrySchedule: [0.05], disableAfterSeconds: 3600, allowPrivate: true, publicUrl: undefined, pollIntervalMs: 30 };
    await createSubscription({ db: first.db, box, allowPrivate: true, publicUrl: undefined }, { url: receiver.url('/both'), events: ['seat.added'], format: 'standard', actor: 'test' });
    const metrics: Metrics = createMetrics();
    const senders = [new NotificationSender(first.db, box, log, metrics, options), new NotificationSender(second.db, box, log, createMetrics(), options)];
    for (const s of senders) s.start();
    try {
      const added = Array.from({ length: 60 }, (_, i) => `u${i}`);
      for (let i = 0; i < 60; i += 10) await recordDomainEvents(first.db, [{ type: 'seat.changed', org: 'acme', payload: { planId: null, added: added.slice(i, i + 10), cancelled: [] } }]);
      for (const s of senders) s.wake();
      await receiver.waitFor(() => receiver.at('/both').length >= 60);
      await vi.waitFor(async () => {
        const rows = await sql<{ state: string; n: number }>`select state, count(*)::int as n from notification_messages group by state`.execute(first.db);
        expect(rows.rows).toEqual([{ state: 'delivered', n: 60 }]);
      }, { timeout: 5000 });
      const ids = receiver.at('/both').map((r) => r.headers['webhook-id']);
      expect(new Set(ids).size).toBe(60);
      expect(ids).toHaveLength(60);
      const logins = receiver.at('/both').map((r) => JSON.parse(r.body).data.login).sort();
      expect(logins).toEqual([...added].sort());
    } finally {
      // Stopped before the schema is dropped (the describe's afterEach runs first).
      for (const s of senders) await s.stop();
    }
  });
});
