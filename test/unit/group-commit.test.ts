import { afterEach, describe, expect, it, vi } from 'vitest';
import { GroupCommit, type GroupCommitOptions, OverloadError } from '../../src/intake/group-commit.js';

interface Flush {
  items: string[];
  resolve(results?: string[]): void;
  reject(error: Error): void;
}

/** A GroupCommit whose flushes the test completes by hand, in any order. */
function controlled(options: Partial<GroupCommitOptions> = {}, sizeOf?: (item: string) => number) {
  const flushes: Flush[] = [];
  const group = new GroupCommit<string, string>(
    (items) =>
      new Promise<string[]>((resolve, reject) => {
        flushes.push({ items, resolve: (results) => resolve(results ?? items.map((i) => `ok:${i}`)), reject });
      }),
    { maxBatch: 100, maxBatchBytes: Number.MAX_SAFE_INTEGER, maxInFlight: 1, ...options },
    sizeOf,
  );
  return { group, flushes };
}

function settled<T>(promise: Promise<T>): { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } {
  const box: { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  promise.then(
    (value) => Object.assign(box, { state: 'resolved', value }),
    (error: unknown) => Object.assign(box, { state: 'rejected', error }),
  );
  return box;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('flushes an item at once when idle, and groups the items that arrive meanwhile into one later flush', async () => {
    const { group, flushes } = controlled();
    const a = group.submit('a');
    expect(flushes.map((f) => f.items)).toEqual([['a']]);

    const rest = ['b', 'c', 'd'].map((item) => group.submit(item));
    expect(flushes).toHaveLength(1);
    expect(group.waiting()).toEqual({ count: 3, bytes: 0 });

    flushes[0]!.resolve();
    expect(await a).toBe('ok:a');
    expect(flushes.map((f) => f.items)).toEqual([['a'], ['b', 'c', 'd']]);
    flushes[1]!.resolve();
    expect(await Promise.all(rest)).toEqual(['ok:b', 'ok:c', 'ok:d']);
    expect(group.waiting()).toEqual({ count: 0, bytes: 0 });
  });

  it('gives each item its own result, in order', async () => {
    const { group, flushes } = controlled();
    const first = group.submit('x');
    const waiting = [group.submit('y'), group.submit('z')];
    flushes[0]!.resolve(['stored']);
    await first;
    flushes[1]!.resolve(['stored', 'duplicate']);
    expect(await Promise.all(waiting)).toEqual(['stored', 'duplicate']);
  });

  it('puts at most maxBatch items in one flush', async () => {
    const { group, flushes } = controlled({ maxBatch: 2 });
    const all = ['a', 'b', 'c', 'd', 'e', 'f'].map((item) => group.submit(item));
    for (let i = 0; i < 4; i++) {
      flushes[i]!.resolve();
      await tick();
    }
    await Promise.all(all);
    expect(flushes.map((f) => f.items)).toEqual([['a'], ['b', 'c'], ['d', 'e'], ['f']]);
  });

  it('keeps a flush within maxBatchBytes, but always sends an item larger than the limit on its own', async () => {
    const { group, flushes } = controlled({ maxBatchBytes: 10 }, (item) => item.length);
    const all = ['a', 'bbbb', 'cccc', 'ddd', 'eeeeeeeeeeeeeeee', 'f'].map((item) => group.submit(item));
    for (let i = 0; i < 5; i++) {
      flushes[i]!.resolve();
      await tick();
    }
    await Promise.all(all);
    expect(flushes.map((f) => f.items)).toEqual([['a'], ['bbbb', 'cccc'], ['ddd'], ['eeeeeeeeeeeeeeee'], ['f']]);
    for (const flush of flushes) {
      const bytes = flush.items.reduce((sum, item) => sum + item.length, 0);
      expect(flush.items.length === 1 || bytes <= 10).toBe(true);
    }
  });

  it('runs up to maxInFlight flushes at once', async () => {
    const { group, flushes } = controlled({ maxInFlight: 2 });
    const all = ['a', 'b', 'c', 'd'].map((item) => group.submit(item));
    expect(flushes.map((f) => f.items)).toEqual([['a'], ['b']]);
    flushes[1]!.resolve();
    await tick();
    expect(flushes.map((f) => f.items)).toEqual([['a'], ['b'], ['c', 'd']]);
    flushes[0]!.resolve();
    flushes[2]!.resolve();
    expect(await Promise.all(all)).toEqual(['ok:a', 'ok:b', 'ok:c', 'ok:d']);
  });

  it('rejects exactly the items of a failed flush, and the next flush still works', async () => {
    const { group, flushes } = controlled();
    const a = settled(group.submit('a'));
    const b = settled(group.submit('b'));
    const c = settled(group.submit('c'));
    const failure = new Error('connection reset');
    flushes[0]!.resolve();
    await tick();
    expect(flushes[1]!.items).toEqual(['b', 'c']);
    const d = settled(group.submit('d'));
    flushes[1]!.reject(failure);
    await tick();
    expect(a).toEqual({ state: 'resolved', value: 'ok:a' });
    expect(b).toEqual({ state: 'rejected', error: failure });
    expect(c).toEqual({ state: 'rejected', error: failure });
    expect(d.state).toBe('pending');
    expect(flushes[2]!.items).toEqual(['d']);
    flushes[2]!.resolve();
    await tick();
    expect(d).toEqual({ state: 'resolved', value: 'ok:d' });
  });

  it('fails the group when the flush returns the wrong number of results', async () => {
    const { group, flushes } = controlled();
    const a = group.submit('a');
    flushes[0]!.resolve([]);
    await expect(a).rejects.toThrow('group flush returned 0 results for 1 items');
  });

  it('idle() resolves at once when nothing is pending, and otherwise once every flush has finished', async () => {
    const { group, flushes } = controlled();
    const idleAtRest = settled(group.idle());
    await tick();
    expect(idleAtRest.state).toBe('resolved');

    const a = settled(group.submit('a'));
    const b = settled(group.submit('b'));
    const idle = settled(group.idle());
    flushes[0]!.resolve();
    await tick();
    expect(a.state).toBe('resolved');
    expect(idle.state).toBe('pending');
    flushes[1]!.reject(new Error('lost'));
    await tick();
    expect(b.state).toBe('rejected');
    expect(idle.state).toBe('resolved');
  });

  describe('bounds', () => {
    afterEach(() => vi.useRealTimers());

    it('refuses at once, with OverloadError "full", an item past the waiting count', async () => {
      const { group, flushes } = controlled({ maxWaiting: 2 });
      const a = group.submit('a');
      const waiting = [group.submit('b'), group.submit('c')];
      expect(group.hasRoom()).toBe(false);
      await expect(group.submit('d')).rejects.toEqual(new OverloadError('full'));
      expect(group.waiting().count).toBe(2);
      flushes[0]!.resolve();
      await a;
      // The waiting items went out together, so the queue has room again.
      expect(group.hasRoom()).toBe(true);
      const e = group.submit('e');
      flushes[1]!.resolve();
      expect(await Promise.all(waiting)).toEqual(['ok:b', 'ok:c']);
      flushes[2]!.resolve();
      expect(await e).toBe('ok:e');
      expect(flushes.map((f) => f.items)).toEqual([['a'], ['b', 'c'], ['e']]);
    });

    it('refuses an item whose bytes would take the waiting queue past its byte bound, and counts the bytes', async () => {
      const { group, flushes } = controlled({ maxWaitingBytes: 10 }, (item) => item.length);
      const first = group.submit('x'.repeat(50)); // a free slot: written at once, whatever its size
      expect(flushes).toHaveLength(1);
      const waiting = [group.submit('aaaa'), group.submit('bbbb')];
      expect(group.waiting()).toEqual({ count: 2, bytes: 8 });
      expect(group.hasRoom(2)).toBe(true);
      expect(group.hasRoom(3)).toBe(false);
      await expect(group.submit('ccc')).rejects.toMatchObject({ name: 'OverloadError', reason: 'full' });
      const fits = group.submit('dd');
      expect(group.waiting()).toEqual({ count: 3, bytes: 10 });
      flushes[0]!.resolve();
      await first;
      expect(group.waiting()).toEqual({ count: 0, bytes: 0 });
      flushes[1]!.resolve();
      expect(await Promise.all([...waiting, fits])).toEqual(['ok:aaaa', 'ok:bbbb', 'ok:dd']);
    });

    it('gives up a waiting item at its deadline, takes it out of the queue and never writes it', async () => {
      vi.useFakeTimers();
      const { group, flushes } = controlled({}, (item) => item.length);
      const a = settled(group.submit('a', { timeoutMs: 5000 }));
      const b = settled(group.submit('bb', { timeoutMs: 5000 }));
      const c = settled(group.submit('ccc', { timeoutMs: 9000 }));
      expect(group.waiting()).toEqual({ count: 2, bytes: 5 });
      await vi.advanceTimersByTimeAsync(5000);
      // a is in a flush that has not finished, b still waits: both are given up at the deadline.
      expect(a).toEqual({ state: 'rejected', error: new OverloadError('deadline') });
      expect(b).toEqual({ state: 'rejected', error: new OverloadError('deadline') });
      expect(c.state).toBe('pending');
      expect(group.waiting()).toEqual({ count: 1, bytes: 3 });
      // The flush under way still completes; its result is no longer delivered to a.
      flushes[0]!.resolve();
      await vi.advanceTimersByTimeAsync(0);
      expect(a.state).toBe('rejected');
      expect(flushes.map((f) => f.items)).toEqual([['a'], ['ccc']]);
      flushes[1]!.resolve();
      await vi.advanceTimersByTimeAsync(0);
      expect(c).toEqual({ state: 'resolved', value: 'ok:ccc' });
      await vi.advanceTimersByTimeAsync(10_000);
      expect(c.state).toBe('resolved');
    });

    it('idle() waits for a flush whose items were given up', async () => {
      vi.useFakeTimers();
      const { group, flushes } = controlled();
      const a = settled(group.submit('a', { timeoutMs: 100 }));
      await vi.advanceTimersByTimeAsync(100);
      expect(a.state).toBe('rejected');
      const idle = settled(group.idle());
      await vi.advanceTimersByTimeAsync(0);
      expect(idle.state).toBe('pending');
      flushes[0]!.resolve();
      await vi.advanceTimersByTimeAsync(0);
      expect(idle.state).toBe('resolved');
    });
  });
});
