import { describe, expect, it } from 'vitest';
import { IntakePriority, type IntakePriorityOptions } from '../../src/engine/intake-priority.js';

/** An intake priority on a clock and an event loop the test moves by hand. */
function priority(overrides: Partial<IntakePriorityOptions> = {}) {
  const state = { now: 1_000_000, utilization: 0.9 };
  const subject = new IntakePriority({
    concurrency: 50,
    busyConcurrency: 4,
    busyRatePerSecond: 200,
    busyWindowMs: 100,
    saturation: 0.5,
    maxLagSeconds: 30,
    now: () => state.now,
    utilization: () => state.utilization,
    ...overrides,
  });
  return { subject, state };
}

describe('the intake goes first', () => {
  it('gives the worker its full concurrency while the intake stores nothing', () => {
    const { subject } = priority();
    expect(subject.yielding()).toBe(false);
    expect(subject.room(0)).toEqual({ room: 50 });
    expect(subject.room(48)).toEqual({ room: 2 });
    expect(subject.room(50)).toEqual({ room: 0 });
  });

  it('does not hold back under a moderate load: the intake stores, but the event loop is not saturated', () => {
    const { subject, state } = priority();
    state.utilization = 0.3;
    subject.intakeStored();
    expect(subject.yielding()).toBe(false);
    expect(subject.room(0)).toEqual({ room: 50 });
  });

  it('while the intake is storing and the loop saturated, bounds deliveries at once and started per second', () => {
    const { subject, state } = priority();
    subject.intakeStored();
    expect(subject.yielding()).toBe(true);
    expect(subject.room(0)).toEqual({ room: 4 });
    expect(subject.room(3)).toEqual({ room: 1 });
    subject.took(4);
    // The budget is spent: the worker is told when a batch of four is allowed again (4 / 200 per s).
    expect(subject.room(0)).toEqual({ room: 0, refillInMs: 20 });
    state.now += 10;
    subject.intakeStored();
    expect(subject.room(0)).toEqual({ room: 0, refillInMs: 10 });
    state.now += 10;
    subject.intakeStored();
    expect(subject.room(0)).toEqual({ room: 4 });
  });

  it('starts no more than the rate allows over a long busy stretch', () => {
    const { subject, state } = priority();
    let started = 0;
    // Ten seconds in 1-ms steps, the intake storing throughout, the worker taking all it may.
    for (let ms = 0; ms < 10_000; ms++) {
      subject.intakeStored();
      const { room } = subject.room(0);
      subject.took(room);
      started += room;
      state.now += 1;
    }
    // 200 a second, plus the four the bucket held at the start.
    expect(started).toBeGreaterThanOrEqual(1_990);
    expect(started).toBeLessThanOrEqual(2_004);
  });

  it('stops yielding once the intake has been quiet for its window', () => {
    const { subject, state } = priority();
    subject.intakeStored();
    subject.took(4);
    expect(subject.room(0).room).toBe(0);
    state.now += 100;
    expect(subject.yielding()).toBe(false);
    expect(subject.room(0)).toEqual({ room: 50 });
  });

  it('stops yielding once processing lags past its bound, whatever the intake does', () => {
    const { subject } = priority();
    subject.intakeStored();
    subject.took(4);
    subject.lagSeconds = 30;
    expect(subject.yielding()).toBe(true);
    subject.lagSeconds = 30.5;
    expect(subject.yielding()).toBe(false);
    expect(subject.room(0)).toEqual({ room: 50 });
  });

  it('bounds only the deliveries at once when no rate is set', () => {
    const { subject } = priority({ busyRatePerSecond: Number.POSITIVE_INFINITY });
    subject.intakeStored();
    subject.took(4);
    expect(subject.room(0)).toEqual({ room: 4 });
    expect(subject.room(1)).toEqual({ room: 3 });
  });

  it('never claims more at once than the full concurrency, even when the busy bound is larger', () => {
    const { subject } = priority({ concurrency: 2, busyConcurrency: 8 });
    subject.intakeStored();
    expect(subject.room(0)).toEqual({ room: 2 });
  });
});
