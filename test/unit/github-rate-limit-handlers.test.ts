import { describe, expect, it } from 'vitest';
import { rateLimitHandlers } from '../../src/github/rate-limit-handlers.js';

const request = { method: 'POST', url: '/orgs/{org}/copilot/billing/selected_users' };

function handlers(options: { maxRetries?: number; maxWaitSeconds?: number } = {}) {
  const warnings: { obj: unknown; msg: string | undefined }[] = [];
  const log = { warn: (obj: unknown, msg?: string) => void warnings.push({ obj, msg }) };
  return { warnings, ...rateLimitHandlers({ log: log as never, ...options }) };
}

describe('rateLimitHandlers', () => {
  it.each([
    // [handler, retryAfter, retryCount, options, retries?]
    ['onSecondaryRateLimit', 1, 0, {}, true],
    ['onSecondaryRateLimit', 60, 1, {}, true],
    ['onSecondaryRateLimit', 60, 2, {}, false],
    ['onRateLimit', 3599, 0, {}, true],
    ['onRateLimit', 3601, 0, {}, false],
    ['onRateLimit', 10, 2, {}, false],
    ['onRateLimit', 10, 4, { maxRetries: 5 }, true],
    ['onSecondaryRateLimit', 120, 0, { maxWaitSeconds: 60 }, false],
  ] as const)('%s after %ss at retry %s (%o) retries: %s', (name, retryAfter, retryCount, options, expected) => {
    const h = handlers(options);
    expect(h[name](retryAfter, request, undefined, retryCount)).toBe(expected);
    expect(h.warnings).toEqual([
      {
        obj: { kind: name === 'onRateLimit' ? 'primary' : 'secondary', request: `POST ${request.url}`, retryAfter, retryCount },
        msg: expected ? 'GitHub rate limit hit; waiting before retrying' : 'GitHub rate limit hit; giving up on the request',
      },
    ]);
  });
});
