import { describe, expect, it } from 'vitest';
import { rateLimitHandlers } from '../../src/github/rate-limit-handlers.js';

const request = { method: 'GET', url: '/orgs/{org}/copilot/billing/seats' };

function handlers(secondsLeft: number | undefined) {
  const warnings: string[] = [];
  const givenBack: number[] = [];
  const log = { warn: (_obj: unknown, msg?: string) => void warnings.push(msg ?? '') };
  const budgetOf = () => (secondsLeft === undefined ? undefined : { secondsLeft: () => secondsLeft, giveBack: (s: number) => void givenBack.push(s) });
  return { warnings, givenBack, ...rateLimitHandlers({ log: log as never, budgetOf }) };
}

describe('rate-limit waits within a job deadline', () => {
  it.each([
    // [handler, retryAfter, secondsLeft, waits?, handed back?]
    ['onRateLimit', 10, 60, true, false],
    ['onRateLimit', 55, 60, true, false],
    ['onRateLimit', 56, 60, false, true],
    ['onRateLimit', 121, 30, false, true],
    ['onSecondaryRateLimit', 60, 30, false, true],
    ['onSecondaryRateLimit', 1, 30, true, false],
    ['onRateLimit', 121, undefined, true, false],
    ['onRateLimit', 10, 0, false, true],
  ] as const)('%s after %ss with %ss left: waits %s, handed back %s', (name, retryAfter, secondsLeft, waits, handedBack) => {
    const h = handlers(secondsLeft);
    expect(h[name](retryAfter, request, undefined, 0)).toBe(waits);
    expect(h.givenBack).toEqual(handedBack ? [retryAfter] : []);
    if (handedBack) expect(h.warnings).toEqual(["GitHub rate limit outlasts the job's time; giving the job back to retry later"]);
  });

  it('gives up rather than hands back once the retries are spent', () => {
    const h = handlers(10);
    expect(h.onRateLimit(60, request, undefined, 2)).toBe(false);
    expect(h.givenBack).toEqual([]);
    expect(h.warnings).toEqual(['GitHub rate limit hit; giving up on the request']);
  });
});
