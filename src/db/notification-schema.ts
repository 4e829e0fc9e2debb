import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** Where a subscription's messages go and how they look. */
export type NotificationFormat = 'standard' | 'slack' | 'teams';

/** Whether a subscription is sent to; `disabled` after days of failures (or by hand). */
export type SubscriptionState = 'active' | 'disabled';

/** A message's place in its delivery. */
export type MessageState = 'pending' | 'sending' | 'delivered' | 'dead';

/** A notification subscription; its URL and secrets are sealed (ciphertext and key id side by side). */
export interface NotificationSubscriptionsTable {
  id: string;
  url_ciphertext: string;
  url_key_id: string;
  secret_ciphertext: string;
  secret_key_id: string;
  previous_secret_ciphertext: string | null;
  previous_secret_key_id: string | null;
  /** Until when the previous secret signs too (24 hours after a rotation). */
  previous_secret_until: NullableTimestamp;
  events: ColumnType<string[], string, string>;
  format: NotificationFormat;
  /** Organizations (lower-cased logins) whose events it gets; null for every one. */
  orgs: ColumnType<string[] | null, string | null, string | null>;
  state: Generated<SubscriptionState>;
  /** First failure since the last success; five days of failures disable the endpoint. */
  failing_since: NullableTimestamp;
  disabled_at: NullableTimestamp;
  disabled_reason: string | null;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

/** One message to one subscription; `id` is the `webhook-id`, stable across its retries. */
export interface NotificationMessagesTable {
  id: string;
  subscription_id: string;
  /** What it was made from (event id and part), so a fan-out repeated makes no second message. */
  dedupe_key: string;
  type: string;
  org: string | null;
  /** The exact request body, rendered once so every retry sends (and signs) the same bytes. */
  body: string;
  state: Generated<MessageState>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  lease_until: NullableTimestamp;
  claimed_by: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  delivered_at: NullableTimestamp;
  dead_at: NullableTimestamp;
}

/** One attempt at sending a message. */
export interface NotificationAttemptsTable {
  id: Generated<string>;
  message_id: string;
  attempt: number;
  at: ColumnType<Date, Date | string | undefined, never>;
  /** HTTP status answered, or null when no answer came (timeout, refused, unsafe target). */
  status: number | null;
  error: string | null;
  duration_ms: number;
}

/** Outbox events above the watermark that the fan-out has handled. */
export interface NotificationFanoutTable {
  event_id: string;
  event_created_at: ColumnType<Date, Date | string, never>;
}

/** The fan-out's watermark over the outbox. */
export interface NotificationCursorTable {
  name: string;
  watermark: string;
}

/** Tables of notification webhooks. */
export interface NotificationTables {
  notification_subscriptions: NotificationSubscriptionsTable;
  notification_messages: NotificationMessagesTable;
  notification_attempts: NotificationAttemptsTable;
  notification_fanout: NotificationFanoutTable;
  notification_cursor: NotificationCursorTable;
}
