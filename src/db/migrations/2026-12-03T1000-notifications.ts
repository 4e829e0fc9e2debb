import { type Kysely, sql } from 'kysely';

// Notification webhooks: subscriptions (their URL and signing secret sealed with the encryption
// key, the key's id beside each value), the messages fanned out to them from the domain-event
// outbox, each attempt at sending one, and the fan-out's own progress over the outbox.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('notification_subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('url_ciphertext', 'text', (c) => c.notNull())
    .addColumn('url_key_id', 'text', (c) => c.notNull())
    .addColumn('secret_ciphertext', 'text', (c) => c.notNull())
    .addColumn('secret_key_id', 'text', (c) => c.notNull())
    .addColumn('previous_secret_ciphertext', 'text')
    .addColumn('previous_secret_key_id', 'text')
    .addColumn('previous_secret_until', 'timestamptz')
    .addColumn('events', 'jsonb', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('orgs', 'jsonb')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('failing_since', 'timestamptz')
    .addColumn('disabled_at', 'timestamptz')
    .addColumn('disabled_reason', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('notification_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subscription_id', 'text', (c) => c.notNull().references('notification_subscriptions.id').onDelete('cascade'))
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('org', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('lease_until', 'timestamptz')
    .addColumn('claimed_by', 'text')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('dead_at', 'timestamptz')
    .addUniqueConstraint('notification_messages_dedupe', ['subscription_id', 'dedupe_key'])
    .execute();
  await db.schema.createIndex('notification_messages_due').on('notification_messages').columns(['subscription_id', 'state', 'next_attempt_at']).execute();
  await db.schema.createIndex('notification_messages_by_subscription').on('notification_messages').columns(['subscription_id', 'created_at']).execute();
  await db.schema
    .createTable('notification_attempts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('message_id', 'text', (c) => c.notNull().references('notification_messages.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('status', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notification_attempts_by_message').on('notification_attempts').columns(['message_id', 'id']).execute();
  // Events at or below the watermark are fanned out; above it, the done table says which are.
  await db.schema
    .createTable('notification_fanout')
    .addColumn('event_id', 'bigint', (c) => c.primaryKey())
    .addColumn('event_created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('notification_cursor')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('watermark', 'bigint', (c) => c.notNull())
    .execute();
  // Events recorded before notifications existed are not sent anywhere.
  await sql`insert into notification_cursor (name, watermark) select 'fanout', coalesce(max(id), 0) from domain_events`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['notification_cursor', 'notification_fanout', 'notification_attempts', 'notification_messages', 'notification_subscriptions']) {
    await db.schema.dropTable(table).execute();
  }
}
