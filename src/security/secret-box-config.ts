import type { NotificationsConfig } from '../app/config.js';
import { SecretBox } from './secret-box.js';

const boxes = new WeakMap<NotificationsConfig, SecretBox | undefined>();

/** The secret box of a configuration, or undefined when CEOS_ENCRYPTION_KEY is not set (one per configuration). */
export function secretBoxOf(config: NotificationsConfig): SecretBox | undefined {
  if (boxes.has(config)) return boxes.get(config);
  const box = config.encryptionKey
    ? new SecretBox(
        Buffer.from(config.encryptionKey, 'base64'),
        config.previousEncryptionKeys.map((k) => Buffer.from(k.trim(), 'base64')),
      )
    : undefined;
  boxes.set(config, box);
  return box;
}
