// State values come back from a checkpoint exactly as they were: what the commit path's faster
// encodings (arrays of numbers, straight native puts) write must read back like the general path.
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore, decodeValue, encodeValue } from '../../src/checkpoint/index.js';
import { ManualClock, StateSpec, StreamingContext, type State } from '../../src/index.js';
import { cleanupTempDirs, tempDir } from './helpers.js';

afterEach(cleanupTempDirs);

// eslint-disable-next-line no-sparse-arrays
const holey = [1, , 3];
const values: Array<[string, unknown]> = [
  ['pair', [41, 1000]],
  ['empty', []],
  ['negative zero', [-0, 1]],
  ['NaN', [NaN, 1]],
  ['Infinity', [1, Infinity]],
  ['hole', holey],
  ['big and small', [1e21, -5.5, 2 ** -1074, Number.MAX_SAFE_INTEGER]],
  ['long', Array.from({ length: 40 }, (_, i) => i)],
  ['nested', [[1, 2], [3]]],
  ['mixed', [1, 'x', true, null]],
  ['object', { count: 3, sum: 4.5 }],
  ['number', 7],
  ['-0', -0],
  ['string', 'w\u00e9rd'],
  ['undefined inside', [1, undefined]],
  ['map', new Map([['a', 1]])],
];

/** Keeps the first value each key gets. */
const firstValue = StateSpec.function((_k: string, v: unknown, state: State<unknown>) => {
  if (!state.exists()) state.update(v);
  return undefined;
});

/** Deep equality that tells -0 from 0, NaN from NaN-less, holes from undefined. */
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (i in a !== i in b || !same(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Map && b instanceof Map) return same([...a], [...b]);
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return same(ka, Object.keys(b)) && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

describe('state values through a checkpoint', () => {
  it('encodeValue / decodeValue give every value back exactly', () => {
    for (const [name, v] of values) expect(same(decodeValue(encodeValue(v)), v), name).toBe(true);
    expect(encodeValue([41, 1000])).toBe('[41,1000]');
    expect(encodeValue([])).toBe('[]');
  });

  it('committed and loaded back by the store, with deletes in the same commit', async () => {
    const dir = tempDir();
    const store = await CheckpointStore.open(dir);
    await store.commit({ state: { s1: { puts: values.map(([k]) => [k, 0] as [string, unknown]).concat([['gone', 1]]) } } });
    await store.commit({ meta: { n: 2 }, state: { s1: { puts: values, deletes: ['gone'] } } });
    await store.close();
    const again = await CheckpointStore.open(dir);
    try {
      const loaded = new Map(await again.loadState<string, unknown>('s1'));
      expect([...loaded.keys()].sort()).toEqual(values.map(([k]) => k).sort());
      for (const [name, v] of values) expect(same(loaded.get(name), v), name).toBe(true);
      expect(await again.readMeta()).toEqual({ n: 2 });
      expect(again.commitCount).toBe(2);
    } finally {
      await again.close();
    }
  });

  it('mapWithState states ([state, time] in the store) resumed with getOrCreate', async () => {
    const dir = tempDir();
    const input: Array<Array<[string, unknown]>> = [values, values.map(([k]) => [k, 1])];
    const snapshots: unknown[] = [];
    const make = (clockAt: number, from: number): { ssc: StreamingContext; clock: ManualClock } => {
      const clock = new ManualClock(clockAt);
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      ssc
        .queueStream(input.slice(from).map((b) => b.slice()))
        .mapWithState(firstValue)
        .stateSnapshots()
        .foreachRDD((rdd, t) => void snapshots.push([t, new Map(rdd.collect() as Array<[string, unknown]>)]));
      return { ssc, clock };
    };
    let first: ReturnType<typeof make> | undefined;
    await StreamingContext.getOrCreate(dir, () => (first = make(0, 0)).ssc);
    await first!.ssc.start();
    await first!.clock.advance(1000);
    await first!.ssc.stop();
    let second: ReturnType<typeof make> | undefined;
    const ssc = await StreamingContext.getOrCreate(dir, () => (second = make(1000, 1)).ssc);
    expect(ssc.recoveredFrom).toBe(1000);
    await ssc.start();
    await second!.clock.advance(1000);
    await ssc.stop();
    const [, after] = snapshots[1] as [number, Map<string, unknown>];
    for (const [name, v] of values) expect(same(after.get(name), v), name).toBe(true);
  });
});
