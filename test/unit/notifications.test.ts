import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import type { DomainEvent } from '../../src/db/domain-events.js';
import { notificationsOf } from '../../src/notifications/map-domain-event.js';
import { CHAT_ROWS, renderGroup } from '../../src/notifications/render-message.js';
import { DEFAULT_RETRY_SCHEDULE_SECONDS, retryDelaySeconds } from '../../src/notifications/retry-schedule.js';
import { generateSigningSecret, signStandard, standardHeaders } from '../../src/notifications/sign-standard.js';
import { UnsafeTargetError, isPrivateAddress, parseWebhookUrl, resolveSafeTarget } from '../../src/notifications/target-safety.js';

const at = new Date('2026-12-03T10:00:00.000Z');
const event = (type: string, payload: Record<string, unknown>, org: string | null = 'Acme'): DomainEvent => ({ id: '7', type, org, payload, createdAt: at });

describe('Standard Webhooks signing', () => {
  it("matches the specification's published test vector", () => {
    // standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts, "sign function works".
    expect(signStandard('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('verifies with the reference library, with one signature per secret during a rotation', () => {
    const current = generateSigningSecret();
    const previous = generateSigningSecret();
    expect(current).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify({ type: 'seat.added', timestamp: at.toISOString(), data: { org: 'acme' } });
    const headers = standardHeaders([current, previous], 'msg_1', Math.floor(Date.now() / 1000), body);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateSigningSecret()).verify(body, headers)).toThrow();
  });
});

describe('retry schedule', () => {
  it('retries first within a minute, then longer each time, for about a day, with jitter', () => {
    expect(DEFAULT_RETRY_SCHEDULE_SECONDS[0]! * 1.2).toBeLessThan(60);
    for (let i = 1; i < DEFAULT_RETRY_SCHEDULE_SECONDS.length; i++) expect(DEFAULT_RETRY_SCHEDULE_SECONDS[i]!).toBeGreaterThanOrEqual(DEFAULT_RETRY_SCHEDULE_SECONDS[i - 1]!);
    const total = DEFAULT_RETRY_SCHEDULE_SECONDS.reduce((a, b) => a + b, 0);
    expect(total / 3600).toBeGreaterThan(20);
    expect(total / 3600).toBeLessThan(30);
    expect(retryDelaySeconds([100], 1, () => 0)).toBe(80);
    expect(retryDelaySeconds([100], 1, () => 1)).toBeCloseTo(120);
    expect(retryDelaySeconds([100], 2)).toBeNull();
  });
});

describe('target safety', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['fe80::1', true],
    ['fd00::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['8.8.8.8', false],
    ['2606:4700:4700::1111', false],
  ])('%s private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });

  it('accepts only http and https URLs without credentials', () => {
    expect(parseWebhookUrl('https://hooks.example.com/x').host).toBe('hooks.example.com');
    expect(() => parseWebhookUrl('ftp://example.com/')).toThrow(/http or https/);
    expect(() => parseWebhookUrl('file:///etc/passwd')).toThrow(/http or https/);
    expect(() => parseWebhookUrl('https://user:pw@example.com/')).toThrow(/user name or password/);
    expect(() => parseWebhookUrl('not a url')).toThrow(UnsafeTargetError);
  });

  it('refuses a name that resolves to any private address, and connects to the address it checked', async () => {
    const rebinding = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    await expect(resolveSafeTarget(new URL('https://evil.example/'), false, rebinding)).rejects.toThrow(/127\.0\.0\.1.*CEOS_WEBHOOK_ALLOW_PRIVATE/);
    await expect(resolveSafeTarget(new URL('http://[::1]:8080/'), false)).rejects.toThrow(/::1/);
    await expect(resolveSafeTarget(new URL('http://127.0.0.1/'), true)).resolves.toEqual({ address: '127.0.0.1', family: 4 });
    await expect(resolveSafeTarget(new URL('https://hooks.example/'), false, async () => [{ address: '93.184.216.34', family: 4 }])).resolves.toEqual({ address: '93.184.216.34', family: 4 });
  });
});

describe('notifications from domain events', () => {
  const facts = {
    seats: new Map([
      ['add:alice', { userId: 1, reason: 'member of team eng' }],
      ['cancel:bob', { userId: 2, reason: 'inactive for 45 days' }],
    ]),
    budget: { monthlyLimitUsd: 100, costBeforeUsd: 90, costAfterUsd: 133, overByUsd: 33 },
  };

  it('makes one notification per seat change, with org, login, user id, reason and plan id', () => {
    const groups = notificationsOf(event('seat.changed', { planId: '12', added: ['Alice'], cancelled: ['bob'] }), facts);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.notifications).toEqual([
      { type: 'seat.added', org: 'Acme', timestamp: at.toISOString(), data: { org: 'Acme', login: 'Alice', user_id: 1, reason: 'member of team eng', plan_id: '12' } },
      { type: 'seat.cancelled', org: 'Acme', timestamp: at.toISOString(), data: { org: 'Acme', login: 'bob', user_id: 2, reason: 'inactive for 45 days', plan_id: '12' } },
    ]);
  });

  it('maps plans, violations, budgets and dead deliveries, and ignores runs that changed nothing', () => {
    const types = (e: DomainEvent) => notificationsOf(e, facts).flatMap((g) => g.notifications.map((n) => n.type));
    expect(types(event('plan.awaiting_confirmation', { planId: '3', held: 5, limit: 2, seatsHeld: 40, superseded: [] }))).toEqual(['plan.awaiting_confirmation']);
    expect(types(event('reconciliation.finished', { planId: '3', status: 'applied', added: 1, cancelled: 0, failed: 0 }))).toEqual(['plan.applied']);
    expect(types(event('reconciliation.finished', { planId: '3', status: 'applied', added: 0, cancelled: 0, failed: 0 }))).toEqual([]);
    expect(types(event('reconciliation.finished', { planId: '3', status: 'planned', added: 2, cancelled: 0, failed: 0 }))).toEqual([]);
    expect(types(event('violation.found', { planId: '3', count: 2, codes: ['over_budget', 'over_cap'] }))).toEqual(['violation.found', 'budget.exceeded']);
    const budget = notificationsOf(event('violation.found', { planId: '3', count: 1, codes: ['over_budget'] }), facts)[1]!.notifications[0]!;
    expect(budget.data).toEqual({ org: 'Acme', plan_id: '3', monthly_limit_usd: 100, cost_before_usd: 90, cost_after_usd: 133, over_by_usd: 33 });
    expect(types(event('delivery.dead', { deliveryId: 'g-1', event: 'push', action: null, attempts: 5, error: 'boom' }, null))).toEqual(['delivery.dead']);
    expect(types(event('seat.warned', { login: 'x' }))).toEqual([]);
  });

  it('renders the standard body per notification, and folds a large plan into one Slack or Teams message with a count and the first rows', () => {
    const added = Array.from({ length: 250 }, (_, i) => `user${i}`);
    const [group] = notificationsOf(event('seat.changed', { planId: '12', added, cancelled: [] }), facts);
    const standard = renderGroup('standard', group!.notifications, { publicUrl: 'https://ceos.example.com' });
    expect(standard).toHaveLength(250);
    expect(JSON.parse(standard[0]!.body)).toEqual({ type: 'seat.added', timestamp: at.toISOString(), data: { org: 'Acme', login: 'user0', user_id: null, reason: null, plan_id: '12' } });

    const [slack] = renderGroup('slack', group!.notifications, { publicUrl: 'https://ceos.example.com' });
    const s = JSON.parse(slack!.body);
    expect(s.text).toBe('CEOS · Acme: 250 seats added');
    expect(s.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'CEOS · Acme: 250 seats added', emoji: false } });
    expect(s.blocks[1].text.text.split('\n')).toHaveLength(CHAT_ROWS + 1);
    expect(s.blocks[1].text.text).toContain(`…and ${250 - CHAT_ROWS} more`);
    expect(s.blocks.at(-1).elements[0].url).toBe('https://ceos.example.com/orgs/Acme');

    const [teams] = renderGroup('teams', group!.notifications, { publicUrl: 'https://ceos.example.com' });
    const t = JSON.parse(teams!.body);
    expect(t.type).toBe('message');
    expect(t.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = t.attachments[0].content;
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(card.body[0].text).toBe('CEOS · Acme: 250 seats added');
    expect(card.body.filter((b: { text?: string }) => b.text?.startsWith('+ '))).toHaveLength(CHAT_ROWS);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open in CEOS', url: 'https://ceos.example.com/orgs/Acme' }]);

    // A group holding only its first rows says how many it stands for.
    const [counted] = renderGroup('slack', group!.notifications.slice(0, CHAT_ROWS), { publicUrl: undefined }, { byType: { 'seat.added': 2000, 'seat.cancelled': 3 } });
    const c = JSON.parse(counted!.body);
    expect(c.text).toBe('CEOS · Acme: 2000 seats added, 3 seats cancelled');
    expect(c.blocks[1].text.text).toContain(`…and ${2003 - CHAT_ROWS} more`);
    expect(c.blocks.some((b: { type: string }) => b.type === 'actions')).toBe(false);
    expect(counted!.type).toBe('seat.changed');
  });
});
