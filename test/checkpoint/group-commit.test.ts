// Group commit at the store level (CommitOptions.coalesce): commits queued while a write is in
// progress share the next LevelDB write (one fsync), each stays atomic and they land in call
// order; a commit that rewrites ranges goes alone; after a failed write the ones queued behind
// it fail with its error and write nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore, type CheckpointCommit } from '../../src/checkpoint/index.js';
import { cleanupTempDirs, tempDir, watchWrites } from './helpers.js';

afterEach(cleanupTempDirs);

const delta = (time: number, puts: Array<[string, number]>, deletes: string[] = []): CheckpointCommit => ({
  meta: { last: time },
  deltas: { s1: { time, puts, deletes } },
});
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('group commit (coalesce)', () => {
  it('commits queued while a write is in progress go to LevelDB in one write, in call order, each one complete', async () => {
    const store = await CheckpointStore.open(tempDir());
    const seen = watchWrites(store);
    const first = store.enqueue(delta(1000, [['a', 1]]), { coalesce: true });
    await tick(); // the first write is under way: what comes now waits for the next one
    const queued = [
      store.enqueue(delta(2000, [['a', 2], ['b', 1]]), { coalesce: true }),
      store.enqueue(delta(3000, [['c', 1]], ['b']), { coalesce: true }),
      store.enqueue(delta(4000, [['a', 3]]), { coalesce: true }),
    ];
    await Promise.all([first, ...queued]);
    expect(seen.writes).toBe(2);
    expect(store.commitCount).toBe(4);
    expect(await store.readMeta()).toEqual({ last: 4000 });
    expect(new Map(await store.loadState('s1'))).toEqual(new Map([['a', 3], ['c', 1]]));
    await store.close();
  });

  it('a commit that cannot be encoded throws at once and leaves the commits of its group as they were', async () => {
    const store = await CheckpointStore.open(tempDir());
    const seen = watchWrites(store);
    const a = store.enqueue(delta(1000, [['a', 1]]), { coalesce: true });
    expect(() => store.enqueue({ deltas: { s1: { time: 2000, puts: [['f', () => 1]] } } }, { coalesce: true })).toThrow(
      expect.objectContaining({ code: 'UNSERIALIZABLE' }),
    );
    const c = store.enqueue(delta(3000, [['c', 1]]), { coalesce: true });
    await Promise.all([a, c]);
    expect(seen.writes).toBe(1);
    expect(new Map(await store.loadState('s1'))).toEqual(new Map([['a', 1], ['c', 1]]));
    await store.close();
  });

  it('a commit that replaces a stream (a full copy) is written on its own, after the ones before it and before the ones after it', async () => {
    const store = await CheckpointStore.open(tempDir());
    const seen = watchWrites(store);
    const writes = [
      store.enqueue(delta(1000, [['old', 1]]), { coalesce: true }),
      store.enqueue({ meta: { last: 2000 }, deltas: { s1: { time: 2000, replace: true, puts: [['x', 1]] } } }, { coalesce: true }),
      store.enqueue(delta(3000, [['y', 1]]), { coalesce: true }),
      store.enqueue(delta(4000, [['x', 2]]), { coalesce: true }),
    ];
    await Promise.all(writes);
    expect(seen.writes).toBe(3);
    expect(new Map(await store.loadState('s1'))).toEqual(new Map([['x', 2], ['y', 1]]));
    expect(await store.readMeta()).toEqual({ last: 4000 });
    await store.close();
  });

  it('after a failed write, the coalescing commits queued behind it fail with its error and write nothing', async () => {
    const dir = tempDir();
    const store = await CheckpointStore.open(dir);
    watchWrites(store, true);
    const failed = store.enqueue(delta(1000, [['a', 1]]), { coalesce: true });
    failed.catch(() => {});
    await tick();
    const behind = store.enqueue(delta(2000, [['b', 1]]), { coalesce: true });
    behind.catch(() => {});
    await expect(failed).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringContaining('disk on fire') });
    await expect(behind).rejects.toBe(await failed.catch((e: unknown) => e));
    expect(await store.readMeta()).toBeUndefined();
    expect(await store.loadState('s1')).toEqual([]);
    // A commit that does not depend on them (not coalescing) is written as ever.
    await store.commit({ meta: { fresh: true } });
    expect(await store.readMeta()).toEqual({ fresh: true });
    await store.close();
  });

  it('a snapshot from memory queued behind a commit whose write failed is not written: the store never holds a batch its record does not', async () => {
    const dir = tempDir();
    const store = await CheckpointStore.open(dir);
    await store.enqueue(delta(1000, [['k', 1]]), { coalesce: true });
    // Batch 2000's commit, then (its checkpoint interval) a snapshot of the state as of 2000.
    const failed = store.enqueue(delta(2000, [['k', 2]]), {
      coalesce: true,
      late: () => {
        throw new Error('disk on fire');
      },
    });
    const snapshot = store.writeSnapshot('s1', 2000, [{ keys: ['k'], values: [2] }]);
    await expect(failed).rejects.toThrow('disk on fire');
    await expect(snapshot).rejects.toThrow('disk on fire');
    await store.close();
    const again = await CheckpointStore.open(dir);
    expect(await again.readMeta()).toEqual({ last: 1000 });
    expect(await again.loadState('s1')).toEqual([['k', 1]]);
    await again.close();
  });
});
