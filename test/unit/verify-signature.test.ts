import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from '../../src/intake/verify-signature.js';

const body = Buffer.from('{"zen":"Design for failure.","hook_id":1}');
const hmac = (secret: string, algorithm = 'sha256') => createHmac(algorithm, secret).update(body).digest('hex');

describe('verifySignature', () => {
  it('signs the way GitHub does (documented example)', () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    expect(signBody('Hello, World!', "It's a Secret to Everybody")).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  it.each([
    ['the current secret', `sha256=${hmac('current')}`, ['current', 'previous'], true],
    ['the previous secret during a rotation', `sha256=${hmac('previous')}`, ['current', 'previous'], true],
    ['a single secret', `sha256=${hmac('current')}`, ['current'], true],
    ['another secret', `sha256=${hmac('other')}`, ['current', 'previous'], false],
    ['no accepted secret', `sha256=${hmac('current')}`, [], false],
    ['a missing header', undefined, ['current'], false],
    ['an empty header', '', ['current'], false],
    ['a signature one character short', `sha256=${hmac('current').slice(0, 63)}`, ['current'], false],
    ['a signature one character long', `sha256=${hmac('current')}0`, ['current'], false],
    ['a non-hex signature of the right length', `sha256=${'zz'.repeat(32)}`, ['current'], false],
    ['a signature whose tail is not hex', `sha256=${hmac('current').slice(0, 62)}zz`, ['current'], false],
    ['a sha1 signature (X-Hub-Signature)', `sha1=${hmac('current', 'sha1')}`, ['current'], false],
    ['a sha1 prefix on a sha256 digest', `sha1=${hmac('current')}`, ['current'], false],
    ['no prefix', hmac('current'), ['current'], false],
    ['an upper-case prefix', `SHA256=${hmac('current')}`, ['current'], false],
  ] as const)('%s → %s', (_name, header, secrets, expected) => {
    expect(verifySignature(body, header, secrets)).toBe(expected);
  });

  it('rejects a signature over a different body', () => {
    const header = signBody(body, 'current');
    expect(verifySignature(body, header, ['current'])).toBe(true);
    expect(verifySignature(Buffer.from(`${body.toString()} `), header, ['current'])).toBe(false);
  });
});
