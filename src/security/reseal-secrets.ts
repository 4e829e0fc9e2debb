import type { Kysely } from 'kysely';
import { subscriptionsSealedOtherThan, updateSealedColumns } from '../db/notification-subscriptions.js';
import type { Database } from '../db/schema.js';
import { sealContext } from '../notifications/subscription-secrets.js';
import { type SecretBox, SecretBoxError } from './secret-box.js';

/** What a re-seal did. */
export interface ResealResult {
  /** Subscriptions whose values were re-sealed under the current key. */
  resealed: number;
  /** Subscriptions with a value no configured key opens (left as they were), by id. */
  unreadable: { id: string; error: string }[];
  /** Id of the key every re-sealed value is now under. */
  keyId: string;
}

/**
 * Re-seals every stored secret under the current key (`ceos secrets rotate`), a batch per
 * transaction with the rows locked, so instances running meanwhile read either the old or the new
 * value, both of which they can open while the old key is still in CEOS_ENCRYPTION_KEYS_PREVIOUS.
 */
export async function resealSecrets(db: Kysely<Database>, box: SecretBox, batchSize = 100): Promise<ResealResult> {
  const result: ResealResult = { resealed: 0, unreadable: [], keyId: box.currentKeyId };
  const skipped = new Set<string>();
  for (;;) {
    const done = await db.transaction().execute(async (trx) => {
      const rows = (await subscriptionsSealedOtherThan(trx, box.currentKeyId, batchSize + skipped.size)).filter((r) => !skipped.has(r.id));
      for (const row of rows) {
        try {
          const reseal = (ciphertext: string, keyId: string, context: string) => box.seal(box.open({ ciphertext, keyId }, context), context);
          const url = reseal(row.url_ciphertext, row.url_key_id, sealContext.url(row.id));
          const secret = reseal(row.secret_ciphertext, row.secret_key_id, sealContext.secret(row.id));
          const previous =
            row.previous_secret_ciphertext && row.previous_secret_key_id
              ? reseal(row.previous_secret_ciphertext, row.previous_secret_key_id, sealContext.previousSecret(row.id))
              : null;
          await updateSealedColumns(trx, row.id, {
            url_ciphertext: url.ciphertext,
            url_key_id: url.keyId,
            secret_ciphertext: secret.ciphertext,
            secret_key_id: secret.keyId,
            previous_secret_ciphertext: previous?.ciphertext ?? null,
            previous_secret_key_id: previous?.keyId ?? null,
          });
          result.resealed++;
        } catch (error) {
          if (!(error instanceof SecretBoxError)) throw error;
          skipped.add(row.id);
          result.unreadable.push({ id: row.id, error: error.message });
        }
      }
      return rows.length === 0;
    });
    if (done) return result;
  }
}
