import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256=';
const HEX_LENGTH = 64;

/**
 * Checks an `X-Hub-Signature-256` header against the raw body with each accepted secret (the
 * current one and, during a rotation, the previous one). The comparison is constant-time, and
 * every secret is tried so the time taken does not tell which one matched.
 */
export function verifySignature(body: Buffer, header: string | undefined, secrets: readonly string[]): boolean {
  if (!header || header.length !== PREFIX.length + HEX_LENGTH || !header.startsWith(PREFIX)) return false;
  const given = Buffer.from(header.slice(PREFIX.length), 'hex');
  if (given.length !== HEX_LENGTH / 2) return false;
  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(body).digest();
    if (timingSafeEqual(expected, given)) matched = true;
  }
  return matched;
}

/** Signs a body the way GitHub does; used by the CLI's tools and the tests. */
export function signBody(body: string | Buffer, secret: string): string {
  return PREFIX + createHmac('sha256', secret).update(body).digest('hex');
}
