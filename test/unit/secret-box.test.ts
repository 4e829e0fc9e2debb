import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { SecretBox, SecretBoxError, keyIdOf, parseEncryptionKey } from '../../src/security/secret-box.js';
import { secretBoxOf } from '../../src/security/secret-box-config.js';

const keyA = randomBytes(32);
const keyB = randomBytes(32);

describe('secret box (AES-256-GCM with key ids)', () => {
  it('round-trips a value, with a fresh IV each time, and names the key beside it', () => {
    const box = new SecretBox(keyA);
    const one = box.seal('https://hooks.slack.com/services/T/B/secret', 'ctx');
    const two = box.seal('https://hooks.slack.com/services/T/B/secret', 'ctx');
    expect(one.keyId).toBe(keyIdOf(keyA));
    expect(one.ciphertext).not.toBe(two.ciphertext);
    expect(one.ciphertext).not.toContain('slack');
    expect(box.open(one, 'ctx')).toBe('https://hooks.slack.com/services/T/B/secret');
  });

  it('refuses a value moved to another context, altered, or sealed under an unknown key', () => {
    const box = new SecretBox(keyA);
    const sealed = box.seal('whsec_abc', 'row-1/secret');
    expect(() => box.open(sealed, 'row-2/secret')).toThrow(SecretBoxError);
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    expect(() => box.open({ ...sealed, ciphertext: raw.toString('base64') }, 'row-1/secret')).toThrow(/does not open/);
    expect(() => new SecretBox(keyB).open(sealed, 'row-1/secret')).toThrow(/CEOS_ENCRYPTION_KEYS_PREVIOUS/);
  });

  it('rotates: a new current key still opens values of the previous one, and says they are stale', () => {
    const old = new SecretBox(keyA).seal('value', 'c');
    const rotated = new SecretBox(keyB, [keyA]);
    expect(rotated.open(old, 'c')).toBe('value');
    expect(rotated.isStale(old)).toBe(true);
    const resealed = rotated.seal(rotated.open(old, 'c'), 'c');
    expect(rotated.isStale(resealed)).toBe(false);
    expect(new SecretBox(keyB).open(resealed, 'c')).toBe('value');
    expect(rotated.keyIds).toEqual([keyIdOf(keyB), keyIdOf(keyA)]);
  });

  it('parses keys from the configuration, naming the variable and the length when wrong', () => {
    expect(parseEncryptionKey(keyA.toString('base64'))).toEqual(keyA);
    expect(parseEncryptionKey(randomBytes(16).toString('base64'))).toMatch(/32 bytes.*16 bytes/);
    expect(parseEncryptionKey('not base64!')).toMatch(/base64/);
    expect(() => loadConfig({ CEOS_ENCRYPTION_KEY: 'short' })).toThrow(/CEOS_ENCRYPTION_KEY: must be 32 bytes/);
    expect(() => loadConfig({ CEOS_ENCRYPTION_KEY: keyA.toString('base64'), CEOS_ENCRYPTION_KEYS_PREVIOUS: 'x' })).toThrow(/CEOS_ENCRYPTION_KEYS_PREVIOUS: key 1/);
    const config = loadConfig({ CEOS_ENCRYPTION_KEY: keyB.toString('base64'), CEOS_ENCRYPTION_KEYS_PREVIOUS: keyA.toString('base64') });
    const box = secretBoxOf(config.notifications)!;
    expect(box.currentKeyId).toBe(keyIdOf(keyB));
    expect(box.open(new SecretBox(keyA).seal('v', 'c'), 'c')).toBe('v');
    expect(secretBoxOf(loadConfig({}).notifications)).toBeUndefined();
  });
});
