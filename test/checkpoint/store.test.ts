import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore, type StateKey } from '../../src/checkpoint/index.js';
import { checkpointError, childLine, cleanupTempDirs, startChild, tempDir, waitExit } from './helpers.js';

afterEach(cleanupTempDirs);

const sortEntries = (entries: Array<[unknown, unknown]>): Array<[unknown, unknown]> =>
  [...entries].sort((a, b) => (JSON.stringify(a[0]) ?? 'u').localeCompare(JSON.stringify(b[0]) ?? 'u'));

describe('CheckpointStore round trip', () => {
  it('stores meta, state, slices and blobs and reads them back after reopening', async () => {
    const dir = path.join(tempDir(), 'nested', 'cp');
    let store = await CheckpointStore.open(dir, { sync: false });
    expect(store.created).toBe(true);
    expect(await store.readMeta()).toBeUndefined();
    expect(await store.loadState('s1')).toEqual([]);

    const meta = { lastBatchTime: 3000, pending: [4000, 5000], offsets: new Map([['topic:0', 42]]), note: undefined };
    await store.commit({
      meta,
      state: {
        s1: {
          puts: [
            ['word', 3],
            [1, 'number one'],
            ['1', 'string one'],
            [['fr', 'paris'], { count: 2 }],
            [['fr', 'lyon'], undefined],
            [{ b: 2, a: 1 }, new Map<string, unknown>([['x', [1, undefined, new Set([2])]]])],
            [null, new Date(1000)],
          ],
        },
        s2: { puts: [[true, [1, [2, [3]]]]] },
      },
      slices: { s3: { puts: [[2000, ['b']], [1000, ['a']], [10_000, ['c']]] } },
      blobs: { puts: [['wal/0001', Buffer.from('block1')], ['wal/0002', { records: 2 }], ['other', 1]] },
    });
    await store.close();

    store = await CheckpointStore.open(dir);
    expect(store.created).toBe(false);
    expect(store.commitCount).toBe(1);
    expect(await store.readMeta()).toEqual(meta);
    const s1 = new Map((await store.loadState('s1')).map(([k, v]) => [JSON.stringify(k) ?? 'undefined', v]));
    expect(s1.size).toBe(7);
    expect(s1.get('"word"')).toBe(3);
    expect(s1.get('1')).toBe('number one');
    expect(s1.get('"1"')).toBe('string one');
    expect(s1.get('["fr","paris"]')).toEqual({ count: 2 });
    expect(s1.has('["fr","lyon"]')).toBe(true);
    expect(s1.get('["fr","lyon"]')).toBeUndefined();
    expect(s1.get('{"a":1,"b":2}')).toEqual(new Map([['x', [1, undefined, new Set([2])]]]));
    expect(s1.get('null')).toEqual(new Date(1000));
    const keys = (await store.loadState('s1')).map(([k]) => k);
    expect(keys).toContainEqual(1);
    expect(keys).toContainEqual('1');
    expect(keys).toContainEqual({ a: 1, b: 2 });
    expect(await store.loadState('s2')).toEqual([[true, [1, [2, [3]]]]]);
    expect(await store.readSlices('s3')).toEqual([
      [1000, ['a']],
      [2000, ['b']],
      [10_000, ['c']],
    ]);
    expect(await store.readSlices('s3', { from: 1500 })).toEqual([
      [2000, ['b']],
      [10_000, ['c']],
    ]);
    expect(await store.readSlices('s3', { from: 1000, to: 2000 })).toEqual([
      [1000, ['a']],
      [2000, ['b']],
    ]);
    expect(await store.readSlices('nothing')).toEqual([]);
    expect(await store.readBlob('wal/0001')).toEqual(Buffer.from('block1'));
    expect(await store.readBlob('wal/0002')).toEqual({ records: 2 });
    expect(await store.readBlob('missing')).toBeUndefined();
    expect(await store.listBlobs('wal/')).toEqual(['wal/0001', 'wal/0002']);
    expect(await store.listBlobs()).toEqual(['other', 'wal/0001', 'wal/0002']);
    expect(await store.streamIds()).toEqual(['s1', 's2', 's3']);

    const streamed: Array<[StateKey, unknown]> = [];
    for await (const e of store.readState('s1', { batchSize: 2 })) streamed.push(e);
    expect(sortEntries(streamed)).toEqual(sortEntries(await store.loadState('s1')));
    await store.close();
  });

  it('applies incremental puts and deletes, leaving other keys and streams alone', async () => {
    const store = await CheckpointStore.open(tempDir(), { sync: false });
    await store.commit({
      meta: { t: 1 },
      state: {
        a: { puts: [['x', 1], ['y', 2], [['t', 1], 3], [7, 4]] },
        b: { puts: [['x', 100]] },
      },
    });
    await store.commit({ state: { a: { puts: [['y', 20], ['z', 30]], deletes: ['x', ['t', 1], 'never-there'] } } });
    expect(sortEntries(await store.loadState('a'))).toEqual(sortEntries([[7, 4], ['y', 20], ['z', 30]]));
    expect(await store.loadState('b')).toEqual([['x', 100]]);
    // meta left as it was by a commit without one
    expect(await store.readMeta()).toEqual({ t: 1 });
    await store.commit({ meta: { t: 2 }, state: { a: { deletes: [7] } } });
    expect(await store.readMeta()).toEqual({ t: 2 });
    expect(sortEntries(await store.loadState('a'))).toEqual([['y', 20], ['z', 30]]);
    // deletes are applied before puts
    await store.commit({ state: { a: { deletes: ['y'], puts: [['y', 21]] } } });
    expect(sortEntries(await store.loadState('a'))).toEqual([['y', 21], ['z', 30]]);
    await store.close();
  });

  it('replaces a stream fully with replace: true', async () => {
    const store = await CheckpointStore.open(tempDir(), { sync: false });
    const many: Array<[string, number]> = Array.from({ length: 3000 }, (_, i) => [`k${i}`, i]);
    await store.commit({ state: { a: { puts: many }, b: { puts: [['keep', 1]] } } });
    await store.commit({ state: { a: { replace: true, puts: [['k5', -5], ['new', 1]] } } });
    expect(sortEntries(await store.loadState('a'))).toEqual([['k5', -5], ['new', 1]]);
    expect(await store.loadState('b')).toEqual([['keep', 1]]);
    await store.commit({ state: { a: { replace: true } } });
    expect(await store.loadState('a')).toEqual([]);
    const err = await checkpointError(() => store.commit({ state: { b: { replace: true, deletes: ['keep'] } } }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    await store.close();
  });

  it('puts, deletes and replaces slices, and drops whole streams', async () => {
    const store = await CheckpointStore.open(tempDir(), { sync: false });
    await store.commit({
      slices: { w: { puts: [[1000, 'a'], [2000, 'b'], [3000, 'c']] } },
      state: { w: { puts: [['k', 1]] }, other: { puts: [['k', 2]] } },
    });
    await store.commit({ slices: { w: { deletes: [1000], puts: [[4000, 'd']] } } });
    expect(await store.readSlices('w')).toEqual([
      [2000, 'b'],
      [3000, 'c'],
      [4000, 'd'],
    ]);
    await store.commit({ slices: { w: { replace: true, puts: [[5000, 'e']] } } });
    expect(await store.readSlices('w')).toEqual([[5000, 'e']]);
    expect(await store.streamIds()).toEqual(['other', 'w']);

    await store.commit({ dropStreams: ['w'] });
    expect(await store.readSlices('w')).toEqual([]);
    expect(await store.loadState('w')).toEqual([]);
    expect(await store.streamIds()).toEqual(['other']);
    // a drop and new writes to the same stream in one commit keep the new writes
    await store.commit({ dropStreams: ['other'], state: { other: { puts: [['fresh', 1]] } } });
    expect(await store.loadState('other')).toEqual([['fresh', 1]]);
    await store.close();
  });

  it('deletes blobs', async () => {
    const store = await CheckpointStore.open(tempDir(), { sync: false });
    await store.commit({ blobs: { puts: [['a/1', 1], ['a/2', 2], ['b', 3]] } });
    await store.commit({ blobs: { deletes: ['a/1'] } });
    expect(await store.listBlobs('a/')).toEqual(['a/2']);
    expect(await store.readBlob('a/1')).toBeUndefined();
    await store.close();
  });

  it('accepts a Map of stream changes and any iterable of puts', async () => {
    const store = await CheckpointStore.open(tempDir(), { sync: false });
    const live = new Map<string, number>([
      ['a', 1],
      ['b', 2],
    ]);
    await store.commit({ state: new Map([['s', { puts: live.entries() }]]) });
    expect(sortEntries(await store.loadState('s'))).toEqual([['a', 1], ['b', 2]]);
    await store.close();
  });
});

describe('CheckpointStore atomicity', () => {
  it('fails a commit holding an unserialisable value before writing anything', async () => {
    const dir = tempDir();
    const store = await CheckpointStore.open(dir);
    await store.commit({ meta: { t: 1 }, state: { s: { puts: [['a', 1], ['b', 2]] } }, blobs: { puts: [['x', 1]] } });

    const err = await checkpointError(() =>
      store.commit({
        meta: { t: 2 },
        state: {
          s: { puts: [['a', 10], ['c', 3]], deletes: ['b'] },
          t: { puts: [['k', 'v'], ['bad', { handler: () => 1 }]] },
        },
        slices: { w: { puts: [[1000, 'slice']] } },
        blobs: { puts: [['y', 2]], deletes: ['x'] },
      }),
    );
    expect(err.code).toBe('UNSERIALIZABLE');
    expect(err.message).toContain('"bad"');
    expect(err.message).toContain('stream t');
    expect(err.message).toContain(dir);
    expect(err.message).toContain('nothing was written');

    const unchanged = async (s: CheckpointStore): Promise<void> => {
      expect(await s.readMeta()).toEqual({ t: 1 });
      expect(sortEntries(await s.loadState('s'))).toEqual([['a', 1], ['b', 2]]);
      expect(await s.loadState('t')).toEqual([]);
      expect(await s.readSlices('w')).toEqual([]);
      expect(await s.listBlobs()).toEqual(['x']);
      expect(await s.streamIds()).toEqual(['s']);
      expect(s.commitCount).toBe(1);
    };
    await unchanged(store);

    // an unsupported key and a bad slice time fail the same way
    const keyErr = await checkpointError(() =>
      store.commit({ meta: { t: 3 }, state: { s: { puts: [['a', 5], [new Date() as unknown as StateKey, 1]] } } }),
    );
    expect(keyErr.code).toBe('INVALID_ARGUMENT');
    const timeErr = await checkpointError(() => store.commit({ meta: { t: 3 }, slices: { w: { puts: [[-1, 'x']] } } }));
    expect(timeErr.code).toBe('INVALID_ARGUMENT');
    const idErr = await checkpointError(() => store.commit({ meta: { t: 3 }, state: { 'a/b': { puts: [['a', 1]] } } }));
    expect(idErr.code).toBe('INVALID_ARGUMENT');
    await unchanged(store);

    // and the store goes on working
    await store.commit({ meta: { t: 4 }, state: { s: { puts: [['a', 4]] } } });
    expect(await store.readMeta()).toEqual({ t: 4 });
    await store.close();
    const reopened = await CheckpointStore.open(dir);
    expect(reopened.commitCount).toBe(2);
    expect(sortEntries(await reopened.loadState('s'))).toEqual([['a', 4], ['b', 2]]);
    await reopened.close();
  });

  it('keeps a commit all-or-nothing when the writing process is killed mid-way', async () => {
    const dir = tempDir();
    const keys = 20_000;
    const child = startChild(['churn', dir], { env: { CHURN_KEYS: String(keys) } });
    try {
      await childLine<{ committed?: number }>(child, (x) => (x.committed ?? 0) >= 3, 60_000);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 50)));
    } finally {
      child.kill('SIGKILL');
      await waitExit(child);
    }
    const store = await CheckpointStore.open(dir);
    const meta = await store.readMeta<{ n: number }>();
    expect(meta?.n).toBeGreaterThanOrEqual(3);
    const state = await store.loadState<string, number>('s1');
    expect(state).toHaveLength(keys);
    // every key carries the number of the same, last complete commit
    expect(new Set(state.map(([, v]) => v))).toEqual(new Set([meta!.n]));
    expect(store.commitCount).toBe(meta!.n);
    await store.close();
  });

  it('captures a commit when commit() returns: later mutations of what it was given do not leak in', async () => {
    const store = await CheckpointStore.open(tempDir(), { sync: false });
    const live = new Map<string, { n: number }>([['a', { n: 1 }]]);
    const meta = { batchTime: 1000 };
    const first = store.commit({ meta, state: { s: { puts: live.entries() } } });
    const second = store.commit({ state: { s: { puts: live.entries() } } });
    // mutate right away, while both commits are still queued
    live.get('a')!.n = 2;
    live.set('b', { n: 3 });
    meta.batchTime = 2000;
    await first;
    expect(await store.loadState('s')).toEqual([['a', { n: 1 }]]);
    expect(await store.readMeta()).toEqual({ batchTime: 1000 });
    await second;
    expect(await store.loadState('s')).toEqual([['a', { n: 1 }]]);
    await store.close();
  });

  it('runs concurrent commits one after the other, in call order', async () => {
    const store = await CheckpointStore.open(tempDir(), { sync: false });
    const commits = Array.from({ length: 20 }, (_, i) =>
      store.commit({ meta: { i }, state: { s: { puts: [['k', i]], ...(i % 2 ? {} : { replace: true }) } } }),
    );
    await Promise.all(commits);
    expect(await store.readMeta()).toEqual({ i: 19 });
    expect(await store.loadState('s')).toEqual([['k', 19]]);
    expect(store.commitCount).toBe(20);
    await store.close();
  });
});

describe('CheckpointStore maintenance', () => {
  it('compacts and reports its size on disk', async () => {
    const dir = tempDir();
    const store = await CheckpointStore.open(dir, { sync: false });
    const puts: Array<[number, string]> = Array.from({ length: 20_000 }, (_, i) => [i, 'v'.repeat(50) + i]);
    await store.commit({ state: { s: { puts } } });
    await store.commit({ state: { s: { deletes: puts.slice(0, 15_000).map(([k]) => k) } } });
    const before = await store.sizeOnDisk();
    expect(before).toBeGreaterThan(0);
    await store.compact();
    const after = await store.sizeOnDisk();
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThan(before);
    expect(readdirSync(dir).some((f) => f.endsWith('.ldb'))).toBe(true);
    expect(await store.loadState('s')).toHaveLength(5000);
    await store.close();
    const reopened = await CheckpointStore.open(dir);
    expect(await reopened.loadState('s')).toHaveLength(5000);
    await reopened.close();
  });

  it('reports CLOSED after close, and close is idempotent', async () => {
    const dir = tempDir();
    const store = await CheckpointStore.open(dir);
    const pending = store.commit({ meta: 1 });
    await Promise.all([store.close(), store.close()]);
    await pending;
    expect((await checkpointError(() => store.commit({ meta: 2 }))).code).toBe('CLOSED');
    expect((await checkpointError(() => store.readMeta())).code).toBe('CLOSED');
    const again = await CheckpointStore.open(dir);
    expect(await again.readMeta()).toBe(1);
    await again.close();
  });

  it('tells whether a directory holds a store', async () => {
    const dir = tempDir();
    expect(await CheckpointStore.exists(dir)).toBe(false);
    expect(await CheckpointStore.exists(path.join(dir, 'missing'))).toBe(false);
    const store = await CheckpointStore.open(dir);
    expect(await CheckpointStore.exists(dir)).toBe(true);
    await store.close();
  });
});
