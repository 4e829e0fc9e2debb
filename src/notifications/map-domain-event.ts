import type { DomainEvent } from '../db/domain-events.js';
import type { Notification } from './notification-types.js';

/** What the plan says about one seat change: who, and why. */
export interface PlanSeatEntry {
  userId: number | null;
  reason: string | null;
}

/** Facts of a plan the mapping looks up (seat reasons and user ids, the budget verdict). */
export interface PlanFacts {
  /** Entries by `add:login` / `cancel:login`, logins lower-cased. */
  seats: ReadonlyMap<string, PlanSeatEntry>;
  budget: { monthlyLimitUsd: number | null; costBeforeUsd: number; costAfterUsd: number; overByUsd: number } | null;
}

/** A group of notifications made from one domain event: chat formats fold a group into one message. */
export interface NotificationGroup {
  /** Stable key of the group within its event (`seats`, `plan`...). */
  key: string;
  notifications: Notification[];
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
const num = (value: unknown): number | null => (typeof value === 'number' ? value : null);

/** The plan an event concerns, when it names one and its facts are needed. */
export function planIdNeeded(event: DomainEvent): string | null {
  const planId = typeof event.payload.planId === 'string' ? event.payload.planId : null;
  if (event.type === 'seat.changed') return planId;
  if (event.type === 'violation.found' && strings(event.payload.codes).includes('over_budget')) return planId;
  return null;
}

/**
 * Turns one outbox event into the notifications it means, grouped as chat formats fold them.
 * Pure: the plan's facts are looked up by the caller. Events no subscriber can ask for map to none.
 */
export function notificationsOf(event: DomainEvent, plan: PlanFacts | null): NotificationGroup[] {
  const timestamp = event.createdAt.toISOString();
  const org = event.org;
  const p = event.payload;
  const planId = typeof p.planId === 'string' ? p.planId : null;
  const one = (type: Notification['type'], data: Record<string, unknown>): Notification => ({ type, org, timestamp, data: { org, ...data } });
  switch (event.type) {
    case 'seat.changed': {
      const seat = (op: 'add' | 'cancel', login: string): Notification => {
        const entry = plan?.seats.get(`${op}:${login.toLowerCase()}`);
        return one(op === 'add' ? 'seat.added' : 'seat.cancelled', { login, user_id: entry?.userId ?? null, reason: entry?.reason ?? null, plan_id: planId });
      };
      const notifications = [...strings(p.added).map((l) => seat('add', l)), ...strings(p.cancelled).map((l) => seat('cancel', l))];
      return notifications.length > 0 ? [{ key: 'seats', notifications }] : [];
    }
    case 'plan.awaiting_confirmation':
      return [
        {
          key: 'plan',
          notifications: [one('plan.awaiting_confirmation', { plan_id: planId, held: num(p.held), limit: num(p.limit), seats_held: num(p.seatsHeld), superseded: strings(p.superseded) })],
        },
      ];
    case 'reconciliation.finished': {
      const status = typeof p.status === 'string' ? p.status : '';
      const added = num(p.added) ?? 0;
      const cancelled = num(p.cancelled) ?? 0;
      const failed = num(p.failed) ?? 0;
      // A run that changed nothing is not news; one that applied changes (or tried to) is.
      if (!['applied', 'partially_applied', 'awaiting_confirmation'].includes(status) || added + cancelled + failed === 0) return [];
      return [{ key: 'plan', notifications: [one('plan.applied', { plan_id: planId, status, added, cancelled, failed })] }];
    }
    case 'violation.found': {
      const codes = strings(p.codes);
      const groups: NotificationGroup[] = [{ key: 'violations', notifications: [one('violation.found', { plan_id: planId, count: num(p.count) ?? 0, codes })] }];
      if (codes.includes('over_budget')) {
        const b = plan?.budget;
        groups.push({
          key: 'budget',
          notifications: [
            one('budget.exceeded', {
              plan_id: planId,
              monthly_limit_usd: b?.monthlyLimitUsd ?? null,
              cost_before_usd: b?.costBeforeUsd ?? null,
              cost_after_usd: b?.costAfterUsd ?? null,
              over_by_usd: b?.overByUsd ?? null,
            }),
          ],
        });
      }
      return groups;
    }
    case 'delivery.dead':
      return [
        {
          key: 'delivery',
          notifications: [one('delivery.dead', { delivery_id: p.deliveryId ?? null, event: p.event ?? null, action: p.action ?? null, attempts: num(p.attempts), error: p.error ?? null })],
        },
      ];
    default:
      return [];
  }
}
