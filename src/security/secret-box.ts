import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A value sealed by a SecretBox: the ciphertext and the id of the key that sealed it, stored side by side. */
export interface SealedValue {
  /** base64 of IV (12 bytes) ‖ GCM tag (16 bytes) ‖ ciphertext. */
  ciphertext: string;
  /** Id of the key that sealed it (derived from the key, never the key itself). */
  keyId: string;
}

/** Raised when a value cannot be opened: a key it names is not configured, or it was tampered with. */
export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The id of a key: the first 8 bytes of its SHA-256, hex. Stable, short, and says nothing about the key. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * AES-256-GCM with a keyring: values are sealed under the current key and opened under whichever
 * configured key sealed them, so a key can be rotated while values sealed under the previous one
 * stay readable until they are re-sealed. `context` is bound in as associated data: a ciphertext
 * copied into another row or column does not open there.
 */
export class SecretBox {
  readonly currentKeyId: string;
  private readonly keys = new Map<string, Buffer>();

  /** `current` and `previous` are 32-byte keys. */
  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const key of [current, ...previous]) {
      if (key.length !== 32) throw new SecretBoxError(`an encryption key must be 32 bytes, not ${key.length}`);
      this.keys.set(keyIdOf(key), key);
    }
    this.currentKeyId = keyIdOf(current);
  }

  /** Ids of every key that can open values (the current one first). */
  get keyIds(): string[] {
    return [this.currentKeyId, ...[...this.keys.keys()].filter((id) => id !== this.currentKeyId)];
  }

  seal(plaintext: string, context: string): SealedValue {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64'), keyId: this.currentKeyId };
  }

  open(sealed: SealedValue, context: string): string {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new SecretBoxError(`the value was sealed under key ${sealed.keyId}, which is neither CEOS_ENCRYPTION_KEY nor in CEOS_ENCRYPTION_KEYS_PREVIOUS`);
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('the sealed value is too short');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(`the sealed value does not open under key ${sealed.keyId} (altered, or moved from another row)`);
    }
  }

  /** Whether a value should be re-sealed under the current key. */
  isStale(sealed: SealedValue): boolean {
    return sealed.keyId !== this.currentKeyId;
  }
}

/** Parses a base64 key as CEOS_ENCRYPTION_KEY holds it; the message says what is wrong without showing it. */
export function parseEncryptionKey(text: string): Buffer | string {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return 'must be base64 (e.g. the output of `openssl rand -base64 32`)';
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== 32) return `must be 32 bytes in base64 (this is ${key.length} bytes; use \`openssl rand -base64 32\`)`;
  return key;
}
