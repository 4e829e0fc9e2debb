import { describe, expect, it } from 'vitest';
import { apiKeyFormatProblem, describeApiKey, generateApiKey, sameHash } from '../../src/api/api-key-token.js';
import { cidrProblem, networkMatcher } from '../../src/api/client-networks.js';
import { decodeCursor, encodeCursor } from '../../src/api/cursor.js';
import { ConfigError, loadConfig } from '../../src/app/config.js';
import { redactDeep } from '../../src/app/logger.js';
import { z } from 'zod';

describe('API keys', () => {
  it('are ceos_ and 32 random bytes, hashed, with a short visible prefix', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.key).toMatch(/^ceos_[A-Za-z0-9_-]{43}$/);
    expect(a.key).not.toBe(b.key);
    expect(a.prefix).toBe(a.key.slice(0, 13));
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(describeApiKey(a.key).hash).toBe(a.hash);
    expect(sameHash(a.hash, a.hash)).toBe(true);
    expect(sameHash(a.hash, b.hash)).toBe(false);
    expect(sameHash(a.hash, 'abcd')).toBe(false);
    expect(apiKeyFormatProblem(a.key)).toBeNull();
    expect(apiKeyFormatProblem('ceos_short')).toMatch(/43 base64url/);
    expect(apiKeyFormatProblem('sk_live_x')).toMatch(/ceos_/);
  });
});

describe('API configuration', () => {
  it('checks the bootstrap key, the networks and the origins, naming the variable', () => {
    expect(() => loadConfig({ CEOS_BOOTSTRAP_ADMIN_KEY: 'letmein' })).toThrow(/CEOS_BOOTSTRAP_ADMIN_KEY: must be "ceos_"/);
    expect(() => loadConfig({ CEOS_API_ALLOW_CIDRS: '10.0.0.0/8, 300.1.1.1/8' })).toThrow(/CEOS_API_ALLOW_CIDRS: 300\.1\.1\.1\/8/);
    expect(() => loadConfig({ CEOS_API_ALLOW_CIDRS: '10.0.0.0/33' })).toThrow(ConfigError);
    expect(() => loadConfig({ CEOS_CORS_ORIGINS: 'not a url' })).toThrow(/CEOS_CORS_ORIGINS/);
    const key = generateApiKey().key;
    const config = loadConfig({ CEOS_BOOTSTRAP_ADMIN_KEY: key, CEOS_API_ALLOW_CIDRS: '10.0.0.0/8,fd00::/8', CEOS_API_RATE_LIMIT_PER_KEY: '1200' });
    expect(config.api).toEqual({ bootstrapAdminKey: key, corsOrigins: [], allowCidrs: ['10.0.0.0/8', 'fd00::/8'], rateLimitPerKey: 1200, rateLimitPerAddress: 60, rateLimitStore: 'memory' });
  });

  it('matches client addresses against networks, IPv4 over IPv6 sockets included', () => {
    const allowed = networkMatcher(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
    expect(allowed('10.1.2.3')).toBe(true);
    expect(allowed('::ffff:10.1.2.3')).toBe(true);
    expect(allowed('192.168.1.7')).toBe(true);
    expect(allowed('192.168.1.8')).toBe(false);
    expect(allowed('fd12::1')).toBe(true);
    expect(allowed('127.0.0.1')).toBe(false);
    expect(allowed('garbage')).toBe(false);
    expect(cidrProblem('::1/128')).toBeNull();
    expect(cidrProblem('10.0.0.0/8/8')).not.toBeNull();
  });
});

describe('cursors', () => {
  it('round-trip, and anything else is a 400 naming the cursor', () => {
    const shape = z.object({ after: z.string() });
    expect(decodeCursor(encodeCursor({ after: 'bob' }), shape)).toEqual({ after: 'bob' });
    expect(decodeCursor(undefined, shape)).toBeUndefined();
    for (const bad of ['!!!', encodeCursor({ before: 1 }), encodeCursor('x')]) {
      expect(() => decodeCursor(bad, shape)).toThrow(expect.objectContaining({ statusCode: 400, code: 'bad_cursor' }));
    }
  });
});

describe('log redaction', () => {
  it('censors authorization headers, webhook secrets, private keys and API keys at any depth', () => {
    const key = generateApiKey().key;
    const error = Object.assign(new Error(`failed with ${key}`), { config: { headers: { Authorization: `Bearer ${key}` } } });
    const out = JSON.stringify(
      redactDeep({
        a: { b: { c: { d: { headers: { authorization: 'Bearer x' }, webhookSecrets: ['s1'], privateKey: 'p' } } } },
        list: [{ note: `pasted ${key}` }, { pem: '-----BEGIN RSA PRIVATE KEY-----\nabc' }],
        err: error,
        keep: 'visible',
      }),
    );
    expect(out).not.toContain(key);
    expect(out).not.toContain('Bearer x');
    expect(out).not.toContain('s1');
    expect(out).not.toContain('BEGIN RSA');
    expect(out).toContain('visible');
    expect(redactDeep(error)).toBeInstanceOf(Error);
  });

  it('copies errors whose message is a getter without a setter (an aborted fetch rejects with one)', () => {
    const abort = new DOMException('This operation was aborted', 'AbortError');
    const copy = redactDeep({ err: abort }) as { err: { message: string; name: string } };
    expect(copy.err.message).toBe('This operation was aborted');
    expect(copy.err).toBeInstanceOf(DOMException);
  });
});
