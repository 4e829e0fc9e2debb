import type { SubscriptionRow } from '../db/notification-subscriptions.js';
import type { SecretBox } from '../security/secret-box.js';

/** Associated data of each sealed column: a value opens only in the row and column it was sealed for. */
export const sealContext = {
  url: (id: string) => `notification_subscriptions/${id}/url`,
  secret: (id: string) => `notification_subscriptions/${id}/secret`,
  previousSecret: (id: string) => `notification_subscriptions/${id}/previous_secret`,
};

export function openSubscriptionUrl(box: SecretBox, row: SubscriptionRow): string {
  return box.open({ ciphertext: row.url_ciphertext, keyId: row.url_key_id }, sealContext.url(row.id));
}

/** The secrets that sign now: the current one, and the previous one while its 24 hours last. */
export function openSubscriptionSecrets(box: SecretBox, row: SubscriptionRow, now: Date): string[] {
  const secrets = [box.open({ ciphertext: row.secret_ciphertext, keyId: row.secret_key_id }, sealContext.secret(row.id))];
  if (row.previous_secret_ciphertext && row.previous_secret_key_id && row.previous_secret_until && row.previous_secret_until > now) {
    secrets.push(box.open({ ciphertext: row.previous_secret_ciphertext, keyId: row.previous_secret_key_id }, sealContext.previousSecret(row.id)));
  }
  return secrets;
}
