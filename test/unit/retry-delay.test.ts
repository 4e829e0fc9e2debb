import { describe, expect, it } from 'vitest';
import { describeError, retryDelaySeconds } from '../../src/engine/delivery-worker.js';

const middle = () => 0.5;

describe('retryDelaySeconds', () => {
  it.each([
    [1, 5, 5],
    [2, 5, 10],
    [3, 5, 20],
    [4, 5, 40],
    [8, 5, 640],
    [10, 5, 2560],
    [11, 5, 3600],
    [50, 5, 3600],
    [1, 0.05, 0.05],
    [3, 0.05, 0.2],
    [1, 0, 0],
    [5, 0, 0],
    [0, 5, 5],
  ])('attempt %s with base %ss waits %ss without jitter', (attempt, base, expected) => {
    expect(retryDelaySeconds(attempt, base, middle)).toBeCloseTo(expected, 3);
  });

  it.each([1, 2, 5, 9, 12, 30])('jitter stays within ±20 %% of the delay (attempt %s)', (attempt) => {
    const nominal = Math.min(3600, 5 * 2 ** (attempt - 1));
    expect(retryDelaySeconds(attempt, 5, () => 0)).toBeCloseTo(nominal * 0.8, 3);
    expect(retryDelaySeconds(attempt, 5, () => 0.999999)).toBeCloseTo(nominal * 1.2, 2);
    for (let i = 0; i < 200; i++) {
      const delay = retryDelaySeconds(attempt, 5);
      expect(delay).toBeGreaterThanOrEqual(nominal * 0.8 - 0.001);
      expect(delay).toBeLessThanOrEqual(nominal * 1.2 + 0.001);
    }
  });

  it('never exceeds the cap plus its jitter', () => {
    expect(retryDelaySeconds(1000, 3600, () => 0.999999)).toBeLessThanOrEqual(4320);
  });

  it('spreads retries of deliveries that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelaySeconds(4, 5)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('describeError', () => {
  it.each([
    ['an Error', new Error('boom'), 'boom'],
    ['an HTTP error', Object.assign(new Error('Not Found'), { status: 404 }), 'Not Found (HTTP 404)'],
    ['the errors Probot aggregates', new AggregateError([new Error('one'), Object.assign(new Error('two'), { status: 502 })], 'handlers failed'), 'one; two (HTTP 502)'],
    ['an empty aggregate', new AggregateError([], 'handlers failed'), 'handlers failed'],
    ['a thrown string', 'plain', 'plain'],
  ])('describes %s', (_name, error, expected) => {
    expect(describeError(error)).toBe(expected);
  });
});
