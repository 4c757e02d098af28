// The delta log and snapshots (formats 2 and 3) at the store level: one bulk value per stream per batch,
// a snapshot that replaces what it covers, and the state read back as keyed ∪ snapshot + deltas.
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT_VERSION, CheckpointStore, decodeBulk, encodeBulk, encodeSnapshot } from '../../src/checkpoint/index.js';
import { cleanupTempDirs, formatTwoStore, tempDir } from './helpers.js';

afterEach(cleanupTempDirs);

const sorted = <T>(xs: T[]): T[] => [...xs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

async function rawKeys(dir: string, prefix: string): Promise<string[]> {
  const db = new Level<string, string>(dir);
  await db.open();
  try {
    return await db.keys({ gte: prefix, lt: prefix.slice(0, -1) + '0' }).all();
  } finally {
    await db.close();
  }
}

describe('bulk values', () => {
  it('JSON when every key and value is exact in JSON, framed otherwise; both round-trip', () => {
    const plain: Array<[unknown, unknown]> = [['a', 1], [2, { n: [1, 2] }], [true, null], ['', 'x']];
    const j = encodeBulk(plain, ['gone', 7]);
    expect(j.startsWith('J')).toBe(true);
    const dj = decodeBulk(j);
    expect(dj.deletes).toEqual(['gone', 7]);
    expect(dj.flat).toEqual(plain.flat());

    const odd: Array<[unknown, unknown]> = [[['fr', 'paris'], 1], ['k', new Map([[1, 2]])], [-0, undefined], [NaN, 1n]];
    const f = encodeBulk(odd, [{ a: 1 }]);
    expect(f.startsWith('F')).toBe(true);
    const df = decodeBulk(f);
    expect(df.deletes).toEqual([{ a: 1 }]);
    expect(df.flat).toEqual([['fr', 'paris'], 1, 'k', new Map([[1, 2]]), 0, undefined, NaN, 1n]);
    expect(() => decodeBulk('Fp9:ab')).toThrow('bad bulk value');
    expect(() => decodeBulk('Fp3:abc')).toThrow(); // not an encoded key
    expect(() => decodeBulk('x')).toThrow('bad bulk value');
  });

  it('snapshots keep string keys as text when no key holds a newline or a lone surrogate, and fall back to JSON or framed otherwise', () => {
    const text: Array<[unknown, unknown]> = [['a', 1], ['', [2, 3000]], ['naïve 🌍', { n: null }], ['tab\there', 'v']];
    const s = encodeSnapshot(text);
    expect(s.startsWith('S')).toBe(true);
    expect(decodeBulk(s)).toEqual({ flat: text.flat(), deletes: [] });
    expect(decodeBulk(encodeSnapshot([['', 1]]))).toEqual({ flat: ['', 1], deletes: [] });

    for (const keys of [['a', 'line\nbreak'], ['a', 'lone \ud800'], ['a', 7]]) {
      const puts = keys.map((k, i): [unknown, unknown] => [k, i]);
      const e = encodeSnapshot(puts);
      expect(e.startsWith('J')).toBe(true);
      expect(decodeBulk(e).flat).toEqual(puts.flat());
    }
    expect(encodeSnapshot([['a', 1n]]).startsWith('F')).toBe(true);
    expect(encodeSnapshot([]).startsWith('J')).toBe(true);
    expect(() => decodeBulk('S9:ab[1]')).toThrow('bad bulk value');
    expect(() => decodeBulk('S1:a[1,2]')).toThrow('bad bulk value'); // two values for one key
    expect(() => decodeBulk('S:a[1]')).toThrow('bad bulk value');
  });

  it('a snapshot in text keys goes through LevelDB and back exactly (keys with any other character)', async () => {
    const dir = tempDir();
    const keys = ['plain', '', 'ü', '日本', '😀 pair', 'nul\u0000in', 'cr\rlf', '"quoted"', '\\'];
    const store = await CheckpointStore.open(dir);
    await store.commit({ deltas: { s1: { time: 1000, replace: true, puts: keys.map((k, i): [string, number] => [k, i]) } } });
    await store.close();
    const raw = new Level<string, string>(dir);
    await raw.open();
    const chunk = (await raw.values({ gte: 'snap/s1/', lt: 'snap/s10' }).all())[0]!;
    await raw.close();
    expect(chunk.startsWith('S')).toBe(true);
    const again = await CheckpointStore.open(dir);
    expect(sorted(await again.loadState('s1'))).toEqual(sorted(keys.map((k, i) => [k, i])));
    await again.close();
  });

  it('a format-2 store (snapshots in JSON) opens and reads, and is marked as the current format by its first write', async () => {
    const dir = tempDir();
    await formatTwoStore(dir);
    const again = await CheckpointStore.open(dir);
    expect(sorted(await again.loadState('s1'))).toEqual([['a', 1], ['b', 2]]);
    await again.close();
    // Only read: still format 2, which the dstreams that wrote it reads.
    const raw = new Level<string, string>(dir);
    await raw.open();
    expect(JSON.parse((await raw.get('meta/format'))!)).toEqual({ format: 'dstreams-checkpoint', version: 2 });
    await raw.close();
    const writer = await CheckpointStore.open(dir);
    await writer.commit({ deltas: { s1: { time: 2000, puts: [['c', 3]] } } });
    expect(sorted(await writer.loadState('s1'))).toEqual([['a', 1], ['b', 2], ['c', 3]]);
    await writer.close();
    await raw.open();
    expect(JSON.parse((await raw.get('meta/format'))!)).toEqual({ format: 'dstreams-checkpoint', version: CHECKPOINT_FORMAT_VERSION });
    await raw.close();
  });
});

describe('the delta log', () => {
  it('writes one entry per stream per batch and reads the state back with the deltas applied in order', async () => {
    const dir = tempDir();
    const store = await CheckpointStore.open(dir);
    await store.commit({ deltas: { s1: { time: 1000, replace: true, puts: [['a', 1], ['b', 1]] } } });
    await store.commit({ deltas: { s1: { time: 2000, puts: [['a', 2], ['c', 1]], deletes: ['b'] } } });
    await store.commit({ deltas: { s1: { time: 3000, puts: [['b', 5]], deletes: ['c'] } } });
    expect(sorted(await store.loadState('s1'))).toEqual([['a', 2], ['b', 5]]);
    const streamed: unknown[] = [];
    for await (const e of store.readState('s1', { batchSize: 1 })) streamed.push(e);
    expect(sorted(streamed)).toEqual([['a', 2], ['b', 5]]);
    expect(await store.streamIds()).toEqual(['s1']);
    await store.close();
    expect(await rawKeys(dir, 'delta/')).toEqual(['delta/s1/0000000000002000', 'delta/s1/0000000000003000']);
    expect(await rawKeys(dir, 'snap/')).toEqual(['snap/s1/0000000000001000/000000']);
  });

  it('a merge compacts the stored log into a snapshot as of its last delta entry: the keyed entries, the older snapshot and the deltas go, later deltas stay', async () => {
    const dir = tempDir();
    const store = await CheckpointStore.open(dir);
    const entries = Array.from({ length: 45_000 }, (_, i): [string, number] => [`k${i}`, i]);
    await store.commit({ deltas: { s1: { time: 1000, replace: true, puts: entries } } });
    await store.commit({ state: { s1: { puts: [['old', 1]] } } }); // keyed (as format 1 wrote it)
    await store.commit({ deltas: { s1: { time: 2000, puts: [['a', 1], ['b', 1], [['t', 7], 70]], deletes: ['k3'] } } });
    await store.commit({ deltas: { s1: { time: 3000, puts: [['c', 1], ['k4', -4]], deletes: ['b', 'k5', 'never'] } } });
    const before = sorted(await store.loadState('s1'));
    expect(before).toHaveLength(45_000 + 4 - 2);
    expect(await store.mergeLog('s1')).toBe(3000);
    expect(sorted(await store.loadState('s1'))).toEqual(before);
    await store.commit({ deltas: { s1: { time: 4000, puts: [['d', 1]], deletes: ['k6'] } } });
    const after = sorted(await store.loadState('s1'));
    expect(after).toEqual(sorted([...before.filter((e) => e[0] !== 'k6'), ['d', 1]]));
    await store.close();
    expect(await rawKeys(dir, 'delta/')).toEqual(['delta/s1/0000000000004000']);
    expect(await rawKeys(dir, 'snap/')).toEqual([
      'snap/s1/0000000000003000/000000',
      'snap/s1/0000000000003000/000001',
      'snap/s1/0000000000003000/000002',
    ]);
    expect(await rawKeys(dir, 'state/')).toEqual([]);
    const again = await CheckpointStore.open(dir);
    expect(sorted(await again.loadState('s1'))).toEqual(after);
    await again.close();
  });

  it('a merge reads back as the log it merged, for any mix of keys (1 vs "1", structured, text) and values (JSON or not), removals and re-puts', async () => {
    let seed = 7;
    const rand = (m: number): number => (seed = (Math.imul(seed, 48271) + 1) >>> 0) % m;
    const keyOf = (i: number): unknown => [`s${i}`, i, String(i % 50), ['t', i % 30], { o: i % 20 }][i % 5];
    const valueOf = (i: number): unknown => (i % 9 === 0 ? new Date(i) : i % 7 === 0 ? [i, 'x'] : i);
    const store = await CheckpointStore.open(tempDir());
    // Snapshot chunks in text keys (all strings) and in JSON (mixed keys), then deltas over both.
    await store.commit({ deltas: { s1: { time: 1000, replace: true, puts: Array.from({ length: 300 }, (_, i): [string, number] => [`s${i}`, i]) } } });
    await store.commit({ deltas: { s2: { time: 1000, replace: true, puts: Array.from({ length: 300 }, (_, i) => [keyOf(i), valueOf(i)] as [never, unknown]) } } });
    for (let t = 2000; t <= 9000; t += 1000) {
      for (const id of ['s1', 's2']) {
        const puts = Array.from({ length: 40 }, () => rand(400)).map((i) => [keyOf(i), valueOf(i + t)] as [never, unknown]);
        const deletes = Array.from({ length: 15 }, () => keyOf(rand(400)) as never);
        await store.commit({ deltas: { [id]: { time: t, puts, deletes } } });
      }
    }
    const key = (e: unknown): string => JSON.stringify(e, (_k, v: unknown) => (v instanceof Date ? `Date:${v.getTime()}` : v));
    for (const id of ['s1', 's2']) {
      const before = (await store.loadState(id)).map(key).sort();
      expect(await store.mergeLog(id)).toBe(9000);
      expect((await store.loadState(id)).map(key).sort()).toEqual(before);
    }
    await store.close();
  });

  it('a merge writes nothing when a full copy was written while it ran, or when no delta follows the snapshot', async () => {
    const store = await CheckpointStore.open(tempDir());
    await store.commit({ deltas: { s1: { time: 1000, replace: true, puts: [['a', 1]] } } });
    await store.commit({ deltas: { s1: { time: 2000, puts: [['b', 1]] } } });
    const merging = store.mergeLog('s1'); // reads the log before the full copy below is written
    await store.commit({ deltas: { s1: { time: 3000, replace: true, puts: [['z', 1]] } } });
    expect(await merging).toBeUndefined();
    expect(await store.loadState('s1')).toEqual([['z', 1]]);
    expect(await store.mergeLog('s1')).toBeUndefined();
    expect(await store.mergeLog('nothing-here')).toBeUndefined();
    await store.close();
  });

  it('a merge reads the log as written when it starts, without waiting for the commits queued before it', async () => {
    const dir = tempDir();
    const store = await CheckpointStore.open(dir);
    await store.commit({ deltas: { s1: { time: 1000, replace: true, puts: [['a', 1]] } } });
    await store.commit({ deltas: { s1: { time: 2000, puts: [['b', 1]] } } });
    // Queued, not written: its group lingers for company until the merge's write releases it.
    const queued = store.commit({ deltas: { s1: { time: 3000, puts: [['c', 1]], deletes: ['a'] } } }, { coalesce: true, linger: { ms: 20_000, max: 8 } });
    expect(await store.mergeLog('s1')).toBe(2000);
    await queued;
    expect(sorted(await store.loadState('s1'))).toEqual([['b', 1], ['c', 1]]);
    await store.close();
    expect(await rawKeys(dir, 'delta/')).toEqual(['delta/s1/0000000000003000']);
    expect(await rawKeys(dir, 'snap/')).toEqual(['snap/s1/0000000000002000/000000']);
  });

  it('a merge of a damaged delta entry fails with CORRUPT and leaves the log as it was', async () => {
    const dir = tempDir();
    const store = await CheckpointStore.open(dir);
    await store.commit({ deltas: { s1: { time: 1000, replace: true, puts: [['a', 1]] } } });
    await store.commit({ deltas: { s1: { time: 2000, puts: [['b', 1]] } } });
    await store.close();
    const raw = new Level<string, string>(dir);
    await raw.open();
    await raw.put('delta/s1/0000000000002000', 'J[["b"');
    await raw.close();
    const again = await CheckpointStore.open(dir);
    await expect(again.mergeLog('s1')).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('delta entry 0 after the snapshot cannot be decoded') });
    await again.close();
    expect(await rawKeys(dir, 'delta/')).toEqual(['delta/s1/0000000000002000']);
  });

  it('dropStreams removes a stream\'s snapshot and delta log too; an unserialisable change writes nothing', async () => {
    const store = await CheckpointStore.open(tempDir());
    await store.commit({ deltas: { s1: { time: 1000, replace: true, puts: [['a', 1]] }, s2: { time: 1000, puts: [['x', 1]] } } });
    await store.commit({ deltas: { s1: { time: 2000, puts: [['b', 1]] } } });
    await store.commit({ dropStreams: ['s1'] });
    expect(await store.loadState('s1')).toEqual([]);
    expect(await store.streamIds()).toEqual(['s2']);
    await expect(store.commit({ deltas: { s2: { time: 3000, puts: [['f', () => 1]] } } })).rejects.toMatchObject({ code: 'UNSERIALIZABLE' });
    expect(await store.loadState('s2')).toEqual([['x', 1]]);
    await store.close();
  });
});
