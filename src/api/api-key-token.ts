import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What every key starts with, so a leaked key is recognisable (and secret scanners can match it). */
export const API_KEY_PREFIX = 'ceos_';

/** Random bytes per key: 256 bits, so a fast hash is enough to store it (no guessing, no rainbow tables). */
export const API_KEY_BYTES = 32;

/** Characters of a key shown in listings: `ceos_` and eight random ones. */
export const VISIBLE_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;

/** The shape of a key: `ceos_` and at least 43 base64url characters (32 bytes). */
export const API_KEY_PATTERN = /^ceos_[A-Za-z0-9_-]{43,}$/;

/** A new key, its visible prefix and its hash. */
export interface GeneratedApiKey {
  key: string;
  prefix: string;
  hash: string;
}

/** Makes a new random key. */
export function generateApiKey(): GeneratedApiKey {
  return describeApiKey(`${API_KEY_PREFIX}${randomBytes(API_KEY_BYTES).toString('base64url')}`);
}

/** The prefix and hash of a key (one generated here, or the configured bootstrap key). */
export function describeApiKey(key: string): GeneratedApiKey {
  return { key, prefix: key.slice(0, VISIBLE_PREFIX_LENGTH), hash: hashApiKey(key) };
}

/** SHA-256 of a key, hex. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Whether two hex hashes are equal, in time that does not depend on where they differ. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Why a string is not a well-formed key, or null when it is. */
export function apiKeyFormatProblem(key: string): string | null {
  if (!key.startsWith(API_KEY_PREFIX)) return `must start with "${API_KEY_PREFIX}"`;
  if (!API_KEY_PATTERN.test(key)) return 'must be "ceos_" followed by at least 43 base64url characters (32 random bytes)';
  return null;
}
