import { generateKeyPairSync } from 'node:crypto';

let cached: string | undefined;

/** A throwaway RSA key for the GitHub App under test (GitHub signs nothing with it here). */
export function testPrivateKey(): string {
  cached ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return cached;
}
