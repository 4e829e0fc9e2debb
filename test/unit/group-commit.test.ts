import { describe, expect, it } from 'vitest';
import { GroupCommit, type GroupCommitOptions } from '../../src/intake/group-commit.js';

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
    expect(group.waiting).toBe(3);

    flushes[0]!.resolve();
    expect(await a).toBe('ok:a');
    expect(flushes.map((f) => f.items)).toEqual([['a'], ['b', 'c', 'd']]);
    flushes[1]!.resolve();
    expect(await Promise.all(rest)).toEqual(['ok:b', 'ok:c', 'ok:d']);
    expect(group.waiting).toBe(0);
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
});
