import { type Kysely, type Selectable, sql } from 'kysely';
import type { NotificationFormat, NotificationSubscriptionsTable } from './notification-schema.js';
import type { Database } from './schema.js';

/** A subscription row as stored (sealed values included). */
export type SubscriptionRow = Selectable<NotificationSubscriptionsTable>;

/** A subscription to store; the URL and secret are sealed already. */
export interface NewSubscriptionRow {
  id: string;
  url: { ciphertext: string; keyId: string };
  secret: { ciphertext: string; keyId: string };
  events: readonly string[];
  format: NotificationFormat;
  orgs: readonly string[] | null;
  createdBy: string;
}

export async function insertSubscription(db: Kysely<Database>, row: NewSubscriptionRow): Promise<SubscriptionRow> {
  return db
    .insertInto('notification_subscriptions')
    .values({
      id: row.id,
      url_ciphertext: row.url.ciphertext,
      url_key_id: row.url.keyId,
      secret_ciphertext: row.secret.ciphertext,
      secret_key_id: row.secret.keyId,
      events: JSON.stringify(row.events),
      format: row.format,
      orgs: row.orgs === null ? null : JSON.stringify(row.orgs),
      created_by: row.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Subscriptions oldest first, a page at a time (`after` is the last id of the previous page's creation order). */
export async function listSubscriptions(db: Kysely<Database>, options: { limit: number; after?: { createdAt: Date; id: string } }): Promise<SubscriptionRow[]> {
  let query = db.selectFrom('notification_subscriptions').selectAll().orderBy('created_at').orderBy('id').limit(options.limit);
  if (options.after) {
    const { createdAt, id } = options.after;
    query = query.where((eb) => eb.or([eb('created_at', '>', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '>', id)])]));
  }
  return query.execute();
}

export async function findSubscription(db: Kysely<Database>, id: string): Promise<SubscriptionRow | undefined> {
  return db.selectFrom('notification_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Deletes a subscription and its messages; the deleted row, or undefined when there was none. */
export async function deleteSubscription(db: Kysely<Database>, id: string): Promise<SubscriptionRow | undefined> {
  return db.deleteFrom('notification_subscriptions').where('id', '=', id).returningAll().executeTakeFirst();
}

/** Active subscriptions, for the fan-out. */
export async function activeSubscriptions(db: Kysely<Database>): Promise<SubscriptionRow[]> {
  return db.selectFrom('notification_subscriptions').selectAll().where('state', '=', 'active').execute();
}

/** Puts a new secret in place and keeps the current one signing until `previousUntil`. */
export async function rotateSubscriptionSecret(
  db: Kysely<Database>,
  id: string,
  secret: { ciphertext: string; keyId: string },
  previous: { ciphertext: string; keyId: string },
  previousUntil: Date,
): Promise<SubscriptionRow | undefined> {
  return db
    .updateTable('notification_subscriptions')
    .set({
      secret_ciphertext: secret.ciphertext,
      secret_key_id: secret.keyId,
      previous_secret_ciphertext: previous.ciphertext,
      previous_secret_key_id: previous.keyId,
      previous_secret_until: previousUntil,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Turns a disabled subscription back on; its failure clock starts again. */
export async function enableSubscription(db: Kysely<Database>, id: string): Promise<SubscriptionRow | undefined> {
  return db
    .updateTable('notification_subscriptions')
    .set({ state: 'active', disabled_at: null, disabled_reason: null, failing_since: null })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Sealed columns of one subscription, as `ceos secrets rotate` re-seals them. */
export interface SealedColumns {
  url_ciphertext: string;
  url_key_id: string;
  secret_ciphertext: string;
  secret_key_id: string;
  previous_secret_ciphertext: string | null;
  previous_secret_key_id: string | null;
}

/** Subscriptions with a value sealed under a key other than `keyId`, locked for re-sealing. */
export async function subscriptionsSealedOtherThan(db: Kysely<Database>, keyId: string, limit: number): Promise<SubscriptionRow[]> {
  const result = await sql<SubscriptionRow>`
    select * from notification_subscriptions
     where url_key_id <> ${keyId} or secret_key_id <> ${keyId}
        or (previous_secret_key_id is not null and previous_secret_key_id <> ${keyId})
     order by id limit ${limit}
     for update`.execute(db);
  return result.rows;
}

export async function updateSealedColumns(db: Kysely<Database>, id: string, columns: SealedColumns): Promise<void> {
  await db.updateTable('notification_subscriptions').set(columns).where('id', '=', id).execute();
}
