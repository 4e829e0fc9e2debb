/** Every notification type a subscription may ask for (`noun.verb_past`, DECISIONS 17). */
export const NOTIFICATION_TYPES = [
  'seat.added',
  'seat.cancelled',
  'plan.awaiting_confirmation',
  'plan.applied',
  'violation.found',
  'budget.exceeded',
  'delivery.dead',
] as const;

/** A notification type subscribers can choose. */
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** The type of the message `POST /webhooks/{id}/test` sends; every subscription gets it, whatever its events. */
export const TEST_NOTIFICATION_TYPE = 'webhook.tested';

/** One notification: what happened, as every format renders it. `data.org` is always there (null for none). */
export interface Notification {
  type: NotificationType | typeof TEST_NOTIFICATION_TYPE;
  /** Organization login (as recorded), or null for events of no organization. */
  org: string | null;
  /** When it happened (ISO 8601). */
  timestamp: string;
  /** The documented data of the type (docs/notifications.md), snake_case keys. */
  data: Record<string, unknown> & { org: string | null };
}
