// mapWithState, with the vectors of Spark's MapWithStateSuite, run batch by batch on a ManualClock;
// the suite's vectors and the timeout vectors run on the memory store and on the disk store alike.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  MapWithStateDStream,
  Milliseconds,
  RDD,
  Seconds,
  State,
  StateSpec,
  type DStream,
} from '../../src/index.js';
import type { StateStoreOption } from '../../src/dstream/stateStore.js';
import { InternalMapWithStateDStream, type MapWithStateRecord } from '../../src/state/InternalMapWithStateDStream.js';
import { forEachEntry } from '../../src/state/RestoredTable.js';
import type { StateMaps } from '../../src/state/StateMaps.js';
import { collect, copyInput, expectBatchSets, testContext } from './helpers.js';

async function runMapWithState<S, M>(
  input: string[][],
  spec: StateSpec<string, number, S, M>,
  numBatches = input.length,
  store: StateStoreOption = 'memory',
): Promise<{ outputs: M[][]; snapshots: [string, S][][] }> {
  const ctx = testContext();
  try {
    const stream = ctx.ssc.queueStream(copyInput(input)).map((x): [string, number] => [x, 1]);
    const mapped = stream.mapWithState(spec.stateStore(store));
    expect(mapped.internalStream.stateShape()).toBe(store === 'memory' ? 'mapWithState' : 'mapWithState store=disk');
    const outputs = collect(mapped);
    const snapshots = collect(mapped.stateSnapshots());
    await ctx.ssc.start();
    await ctx.run(numBatches);
    return { outputs: outputs.outputs, snapshots: snapshots.outputs };
  } finally {
    await ctx.close();
  }
}

const words = [[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []];
const runningCounts: [string, number][][] = [
  [],
  [['a', 1]],
  [['a', 2], ['b', 1]],
  [['a', 3], ['b', 2], ['c', 1]],
  [['a', 4], ['b', 3], ['c', 1]],
  [['a', 5], ['b', 3], ['c', 1]],
  [['a', 5], ['b', 3], ['c', 1]],
];

describe('State', () => {
  // Spark: "state - get, exists, update, remove"
  function check(
    state: State<number>,
    expected: number | undefined,
    { updated = false, removed = false, timingOut = false } = {},
  ): void {
    if (expected !== undefined) {
      expect(state.exists()).toBe(true);
      expect(state.get()).toBe(expected);
      expect(state.getOption()).toBe(expected);
      expect(state.getOption() ?? -1).toBe(expected);
    } else {
      expect(state.exists()).toBe(false);
      expect(() => state.get()).toThrow('State is not set');
      expect(state.getOption()).toBeUndefined();
      expect(state.getOption() ?? -1).toBe(-1);
    }
    expect(state.isTimingOut()).toBe(timingOut);
    if (timingOut) {
      expect(() => state.remove()).toThrow('Cannot remove the state that is timing out');
      expect(() => state.update(-1)).toThrow('Cannot update the state that is timing out');
    }
    expect(state.isUpdated()).toBe(updated);
    expect(state.isRemoved()).toBe(removed);
    if (removed) {
      expect(() => state.remove()).toThrow('Cannot remove the state that has already been removed');
      expect(() => state.update(-1)).toThrow('Cannot update the state after it has been removed');
    }
  }

  it('get, exists, update, remove', () => {
    let state = new State<number>();
    check(state, undefined);
    state.wrap(false, undefined);
    check(state, undefined);
    state.wrap(true, 1);
    check(state, 1);
    state.update(2);
    check(state, 2, { updated: true });

    state = new State<number>();
    state.update(2);
    check(state, 2, { updated: true });
    state.remove();
    check(state, undefined, { removed: true });
    state.wrapTimingOut(3);
    check(state, 3, { timingOut: true });
  });
});

const STORES: [string, StateStoreOption][] = [
  ['memory', 'memory'],
  ['disk', { type: 'disk', cacheKeys: 2 }],
];

describe.each(STORES)('mapWithState (Spark MapWithStateSuite), %s store', (_name, store) => {
  it('basic operations with simple API', async () => {
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>) => {
      const sum = (value ?? 0) + (state.getOption() ?? 0);
      state.update(sum);
      return sum;
    });
    const { outputs, snapshots } = await runMapWithState(words, spec, undefined, store);
    expectBatchSets(outputs, [[], [1], [2, 1], [3, 2, 1], [4, 3], [5], []]);
    expectBatchSets(snapshots, runningCounts);
  });

  it('basic operations with advanced API', async () => {
    const spec = StateSpec.function(
      (time: number, key: string, value: number | undefined, state: State<number>): string | undefined => {
        const sum = (value ?? 0) + (state.getOption() ?? 0);
        state.update(sum);
        return key + key;
      },
    );
    const { outputs, snapshots } = await runMapWithState(words, spec, undefined, store);
    expectBatchSets(outputs, [[], ['aa'], ['aa', 'bb'], ['aa', 'bb', 'cc'], ['aa', 'bb'], ['aa'], []]);
    expectBatchSets(snapshots, runningCounts);
  });

  it('type inferencing', () => {
    const ctx = testContext();
    const pairs = ctx.ssc.queueStream<[string, number]>([]);
    const simpleFunc = (key: string, value: number | undefined, state: State<number>): bigint => 0n;
    const advancedFunc = (time: number, key: string, value: number | undefined, state: State<number>) =>
      0n as bigint | undefined;

    const s1 = pairs.mapWithState(StateSpec.function(simpleFunc).numPartitions(1));
    expectTypeOf(s1).toEqualTypeOf<MapWithStateDStream<string, number, number, bigint>>();
    const simpleSpec = StateSpec.function<string, number, number, bigint>(simpleFunc);
    expectTypeOf(pairs.mapWithState(simpleSpec)).toEqualTypeOf<MapWithStateDStream<string, number, number, bigint>>();
    const s3 = pairs.mapWithState(StateSpec.function(advancedFunc));
    expectTypeOf(s3).toEqualTypeOf<MapWithStateDStream<string, number, number, bigint>>();
    expectTypeOf(s3.stateSnapshots()).toEqualTypeOf<DStream<[string, number]>>();
    expect(s1).toBeInstanceOf(MapWithStateDStream);
    expect(s3.internalStream.numPartitions).toBe(2);
    expect(s1.internalStream.numPartitions).toBe(1);
  });

  it('states as mapped data', async () => {
    const spec = StateSpec.function(
      (time: number, key: string, value: number | undefined, state: State<number>): [string, number] => {
        const sum = (value ?? 0) + (state.getOption() ?? 0);
        state.update(sum);
        return [key, sum];
      },
    );
    const { outputs, snapshots } = await runMapWithState(words, spec, undefined, store);
    expectBatchSets(outputs, [
      [],
      [['a', 1]],
      [['a', 2], ['b', 1]],
      [['a', 3], ['b', 2], ['c', 1]],
      [['a', 4], ['b', 3]],
      [['a', 5]],
      [],
    ]);
    expectBatchSets(snapshots, runningCounts);
  });

  it('initial states, with nothing returned as from mapping function', async () => {
    const initialState: [string, number][] = [['a', 5], ['b', 10], ['c', -20], ['d', 0]];
    const spec = StateSpec.function(
      (time: number, key: string, value: number | undefined, state: State<number>): number | undefined => {
        state.update((value ?? 0) + (state.getOption() ?? 0));
        return undefined;
      },
    ).initialState(RDD.fromArray(initialState, 2));
    const { outputs, snapshots } = await runMapWithState(words, spec, undefined, store);
    expectBatchSets(outputs, words.map(() => []));
    expectBatchSets(snapshots, [
      [['a', 5], ['b', 10], ['c', -20], ['d', 0]],
      [['a', 6], ['b', 10], ['c', -20], ['d', 0]],
      [['a', 7], ['b', 11], ['c', -20], ['d', 0]],
      [['a', 8], ['b', 12], ['c', -19], ['d', 0]],
      [['a', 9], ['b', 13], ['c', -19], ['d', 0]],
      [['a', 10], ['b', 13], ['c', -19], ['d', 0]],
      [['a', 10], ['b', 13], ['c', -19], ['d', 0]],
    ]);
  });

  it('a large initial state over partitions, a key given twice: the later pair wins, as Spark puts them in order', async () => {
    const initial: [string, number][] = Array.from({ length: 5000 }, (_, i): [string, number] => [`k${i}`, i]);
    initial.push(['k7', 700], ['a', 1], ['a', 2]);
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>) => {
      state.update((value ?? 0) + (state.getOption() ?? 0));
      return state.get();
    })
      .initialState(RDD.fromArray(initial, 3))
      .numPartitions(3);
    const { outputs, snapshots } = await runMapWithState([['a', 'k7', 'new'], ['k4999']], spec, undefined, store);
    expectBatchSets(outputs, [[3, 701, 1], [5000]]);
    const expected = new Map(initial);
    expected.set('a', 3).set('k7', 701).set('new', 1);
    expect(snapshots[0]!.length).toBe(expected.size);
    expect(new Map(snapshots[0])).toEqual(expected);
    expect(new Map(snapshots[1])).toEqual(expected.set('k4999', 5000));
  });

  it('initial state given as an array of pairs', async () => {
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>) => {
      state.update((value ?? 0) + (state.getOption() ?? 0));
      return state.get();
    }).initialState([['a', 5], ['z', 1]]);
    const { outputs, snapshots } = await runMapWithState([['a'], ['z', 'y']], spec, undefined, store);
    expectBatchSets(outputs, [[6], [2, 1]]);
    expectBatchSets(snapshots, [
      [['a', 6], ['z', 1]],
      [['a', 6], ['z', 2], ['y', 1]],
    ]);
  });

  it('state removing', async () => {
    const input = [[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []];
    const spec = StateSpec.function(
      (time: number, key: string, value: number | undefined, state: State<number>): string | undefined => {
        if (state.exists()) {
          state.remove();
          return key;
        }
        state.update(value!);
        return undefined;
      },
    ).numPartitions(1);
    const { outputs, snapshots } = await runMapWithState(input, spec, undefined, store);
    expectBatchSets(outputs, [[], [], ['a'], ['b'], ['a', 'c'], ['b'], ['a'], []]);
    expectBatchSets(snapshots, [[], [['a', 1]], [['b', 1]], [['a', 1], ['c', 1]], [['b', 1]], [['a', 1]], [], []]);
  });

  it('state timing out', async () => {
    const input = [['a', 'b', 'c'], ['a', 'b'], ['a'], [], [], ['a'], ...Array.from({ length: 20 }, () => ['a'])];
    const spec = StateSpec.function(
      (time: number, key: string, value: number | undefined, state: State<number>): string | undefined => {
        if (value !== undefined) state.update(1);
        return state.isTimingOut() ? key : undefined;
      },
    ).timeout(Seconds(3));
    const { outputs, snapshots } = await runMapWithState(input, spec, 20, store);
    // b and c are returned once each, when they time out
    expect(outputs.flat().sort()).toEqual(['b', 'c']);
    // a, b and c all have a state at one point
    expect(snapshots.some((s) => JSON.stringify([...s].sort()) === JSON.stringify([['a', 1], ['b', 1], ['c', 1]]))).toBe(
      true,
    );
    // finally only a has one
    expect(snapshots.at(-1)).toEqual([['a', 1]]);
  });

  it('checkpoint durations', async () => {
    async function check(batchDuration: number, expected: number, explicit?: number): Promise<void> {
      const ctx = testContext({ batchDuration });
      try {
        const stream = ctx.ssc.queueStream<number>([]).map((x): [number, number] => [x, 1]);
        const mapped = stream.mapWithState(StateSpec.function((key: number, value: number | undefined) => 0));
        if (explicit !== undefined) mapped.checkpoint(explicit);
        mapped.foreachRDD(() => undefined);
        await ctx.ssc.start();
        expect(mapped.checkpointDuration).toBeUndefined();
        expect(mapped.internalStream.checkpointDuration).toBe(expected);
      } finally {
        await ctx.close();
      }
    }
    await check(Milliseconds(100), Seconds(1));
    await check(Seconds(1), Seconds(10));
    await check(Seconds(10), Seconds(100));
    await check(Milliseconds(100), Seconds(2), Seconds(2));
    await check(Seconds(1), Seconds(2), Seconds(2));
    await check(Seconds(10), Seconds(20), Seconds(20));
  });
});

describe.each(STORES)('mapWithState timeouts, %s store', (_name, store) => {
  it('times out a key idle for longer than the timeout: one last call, then it is dropped', async () => {
    const calls: string[] = [];
    const spec = StateSpec.function(
      (time: number, key: string, value: number | undefined, state: State<number>): string => {
        if (state.isTimingOut()) {
          calls.push(`${time}:${key}:timeout:${state.get()}:${String(value)}`);
          expect(() => state.update(0)).toThrow('Cannot update the state that is timing out');
          expect(() => state.remove()).toThrow('Cannot remove the state that is timing out');
          return `${key} timed out`;
        }
        state.update((state.getOption() ?? 0) + value!);
        return `${key}=${state.get()}`;
      },
    ).timeout(Seconds(2));
    //          1000      2000   3000   4000   5000   6000
    const input = [['a', 'b'], ['b'], [], [], ['a'], []];
    const { outputs, snapshots } = await runMapWithState(input, spec, 8, store);
    // a: last data at 1000; idle longer than 2 s at 4000 (1000 < 4000 − 2000). b: last data 2000 → 5000.
    // a again: data at 5000 → times out at 8000.
    expectBatchSets(outputs, [['a=1', 'b=1'], ['b=2'], [], ['a timed out'], ['a=1', 'b timed out'], [], [], ['a timed out']]);
    expect(calls).toEqual(['4000:a:timeout:1:undefined', '5000:b:timeout:2:undefined', '8000:a:timeout:1:undefined']);
    expectBatchSets(snapshots, [
      [['a', 1], ['b', 1]],
      [['a', 1], ['b', 2]],
      [['a', 1], ['b', 2]],
      [['b', 2]],
      [['a', 1]],
      [['a', 1]],
      [['a', 1]],
      [],
    ]);
  });

  it('data refreshes a key without an update when a timeout is set (Spark)', async () => {
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<string>) => {
      if (!state.exists()) state.update('first');
      return state.isTimingOut() ? `${key} out` : key;
    }).timeout(Seconds(2));
    const { outputs } = await runMapWithState([['a'], [], ['a'], [], [], [], []], spec, undefined, store);
    // a's data at 3000 keeps it active although the function did not update it: it times out at 6000.
    expectBatchSets(outputs, [['a'], [], ['a'], [], [], ['a out'], []]);
  });

});

describe('mapWithState', () => {
  it('calls the function once per record, in order, like Spark', async () => {
    const seen: [string, number | undefined, number | undefined][] = [];
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number>) => {
      seen.push([key, value, state.getOption()]);
      state.update((state.getOption() ?? 0) + value!);
      return state.get();
    }).numPartitions(1);
    const ctx = testContext();
    try {
      const stream = ctx.ssc.queueStream([[['x', 1], ['x', 2], ['y', 5], ['x', 3]]] as [string, number][][]);
      const out = collect(stream.mapWithState(spec));
      await ctx.ssc.start();
      await ctx.run(1);
      expect(out.outputs).toEqual([[1, 3, 5, 6]]);
      expect(seen).toEqual([
        ['x', 1, undefined],
        ['x', 2, 1],
        ['y', 5, undefined],
        ['x', 3, 3],
      ]);
    } finally {
      await ctx.close();
    }
  });

  it('batches growing and shrinking map exactly their own records (arrays sized from the batch before)', async () => {
    const sizes = [2000, 3, 0, 500, 7000, 1, 40];
    const input = sizes.map((n, b) => Array.from({ length: n }, (_, i) => `k${(i * 7 + b) % 300}`));
    const spec = StateSpec.function((_k: string, v: number | undefined, state: State<number>) => {
      state.update((state.getOption() ?? 0) + v!);
      return state.get();
    }).numPartitions(3);
    const { outputs, snapshots } = await runMapWithState(input, spec);
    // Each record maps to its key's running count; per key, its counts come in order.
    const counts = new Map<string, number>();
    for (let b = 0; b < sizes.length; b++) {
      const expected = input[b]!.map((k) => {
        const n = (counts.get(k) ?? 0) + 1;
        counts.set(k, n);
        return n;
      });
      expect(outputs[b]).toHaveLength(sizes[b]!);
      expect(outputs[b]!.every((x) => typeof x === 'number')).toBe(true);
      expect([...outputs[b]!].sort((x, y) => x - y)).toEqual(expected.sort((x, y) => x - y));
    }
    expect(new Map(snapshots[sizes.length - 1])).toEqual(counts);
  });

  it('a function that changes its state object in place does not change the initial state it was given: the next run starts from it again', async () => {
    const initial: [string, { n: number }][] = [['a', { n: 5 }]];
    const spec = StateSpec.function((_key: string, value: number | undefined, state: State<{ n: number }>) => {
      const s = state.getOption() ?? { n: 0 };
      s.n += value ?? 0;
      state.update(s);
      return s.n;
    }).initialState(initial);
    for (const store of ['memory', 'disk', 'memory'] as const) {
      const { outputs } = await runMapWithState([['a', 'a'], ['a']], spec, undefined, store);
      expectBatchSets(outputs, [[6, 7], [8]]);
    }
    expect(initial).toEqual([['a', { n: 5 }]]);
  });

  it('keys compare by value (tuple keys)', async () => {
    const ctx = testContext();
    try {
      const stream = ctx.ssc.queueStream<[[string, string], number]>([
        [[['fr', 'paris'], 1], [['fr', 'lyon'], 1]],
        [[['fr', 'paris'], 2]],
      ]);
      const mapped = stream.mapWithState(
        StateSpec.function((key: [string, string], value: number | undefined, state: State<number>) => {
          state.update((state.getOption() ?? 0) + value!);
          return state.get();
        }),
      );
      const snaps = collect(mapped.stateSnapshots());
      await ctx.ssc.start();
      await ctx.run(2);
      expectBatchSets(snaps.outputs, [
        [[['fr', 'paris'], 1], [['fr', 'lyon'], 1]],
        [[['fr', 'paris'], 3], [['fr', 'lyon'], 1]],
      ]);
    } finally {
      await ctx.close();
    }
  });

  it('an RDD handed out earlier keeps showing its batch, even when states are mutated in place', async () => {
    const ctx = testContext();
    try {
      const stream = ctx.ssc.queueStream<[string, number]>([[['a', 1]], [['a', 1]], [['a', 1], ['b', 1]]]);
      const mapped = stream.mapWithState(
        StateSpec.function((key: string, value: number | undefined, state: State<{ n: number; seen: number[] }>) => {
          const s = state.getOption() ?? { n: 0, seen: [] };
          s.n += value!; // in place
          s.seen.push(s.n);
          state.update(s);
          return s.n;
        }),
      );
      const held: RDD<[string, { n: number; seen: number[] }]>[] = [];
      mapped.stateSnapshots().foreachRDD((rdd) => void held.push(rdd)); // not read yet
      await ctx.ssc.start();
      await ctx.run(3);
      expect(held.map((r) => r.collect())).toEqual([
        [['a', { n: 1, seen: [1] }]],
        [['a', { n: 2, seen: [1, 2] }]],
        expect.arrayContaining([
          ['a', { n: 3, seen: [1, 2, 3] }],
          ['b', { n: 1, seen: [1] }],
        ]),
      ]);
    } finally {
      await ctx.close();
    }
  });

  it('the state of a forgotten batch, read other than through stateSnapshots, refuses with a clear error', async () => {
    const ctx = testContext();
    try {
      const stream = ctx.ssc.queueStream<[string, number]>([[['a', 1]], [['a', 1]], [['a', 1]]]);
      const mapped = stream.mapWithState(StateSpec.function((_k: string, v: number | undefined, s: State<number>) => s.update((s.getOption() ?? 0) + v!)));
      const internal = mapped.internalStream as InternalMapWithStateDStream<string, number, number, void>;
      const held: RDD<MapWithStateRecord<string, number, void>>[] = [];
      internal.foreachRDD((rdd) => void held.push(rdd));
      await ctx.ssc.start();
      await ctx.run(3);
      const read = (rdd: RDD<MapWithStateRecord<string, number, void>>): [string, number][] => {
        const out: [string, number][] = [];
        for (const r of rdd.collect()) forEachEntry(r.state, r.table, (k, v) => void out.push([k, v]));
        return out;
      };
      expect(read(held[2]!)).toEqual([['a', 3]]);
      expect(() => read(held[0]!)).toThrow(/state of batch \d+ is no longer remembered; read it through stateSnapshots\(\)/);
    } finally {
      await ctx.close();
    }
  });

  it('keys removed or timed out leave the state\'s Maps, and each key keeps one leaf, once no remembered batch sees the old ones', async () => {
    const ctx = testContext();
    try {
      const batches = Array.from({ length: 12 }, (_, b): [string, number][] =>
        Array.from({ length: 200 }, (_, i): [string, number] => [`k${(i * 7 + b * 13) % 300}`, b]),
      );
      const stream = ctx.ssc.queueStream<[string, number]>(batches);
      const mapped = stream.mapWithState(
        StateSpec.function((_k: string, v: number | undefined, s: State<number>) => {
          if (s.isTimingOut()) return;
          // Every third write removes the key.
          if ((s.getOption() ?? 0) % 3 === 2) s.remove();
          else s.update((s.getOption() ?? 0) + 1 + v! * 0);
        }).timeout(Seconds(3)),
      );
      mapped.foreachRDD((rdd) => void rdd.count());
      await ctx.ssc.start();
      await ctx.run(12);
      const internal = mapped.internalStream as InternalMapWithStateDStream<string, number, number, void>;
      const maps = (internal as unknown as { maps: StateMaps<string, number> }).maps.maps;
      let held = 0;
      let longest = 0;
      for (const m of maps) {
        held += m.size;
        for (const leaf of m.prim.values()) {
          let n = 0;
          for (let l: typeof leaf | undefined = leaf; l !== undefined; l = l.prev) n++;
          longest = Math.max(longest, n);
        }
      }
      expect(internal.size).toBeGreaterThan(0);
      expect(internal.size).toBeLessThan(250); // removals and timeouts took keys out
      // The last batch's tombstones and links stay until the next commit's trim.
      expect(held).toBeLessThanOrEqual(internal.size + 200);
      expect(held).toBeGreaterThanOrEqual(internal.size);
      expect(longest).toBeLessThanOrEqual(2);
    } finally {
      await ctx.close();
    }
  });

  it('a key written batch after batch keeps its leaf, written in place, while nothing may read the batches before; a kept stateSnapshots RDD still reads its own batch', async () => {
    const leafOf = (mapped: { internalStream: unknown }, key: string): unknown => {
      const internal = mapped.internalStream as InternalMapWithStateDStream<string, number, number, number>;
      const maps = (internal as unknown as { maps: StateMaps<string, number> }).maps.maps;
      return maps.map((m) => m.prim.get(key)).find((l) => l !== undefined);
    };
    const counting = StateSpec.function((_k: string, v: number | undefined, s: State<number>) => {
      const n = (s.getOption() ?? 0) + v!;
      s.update(n);
      return n;
    });
    const input = (): [string, number][][] => Array.from({ length: 6 }, (): [string, number][] => [['a', 1], ['b', 2]]);

    const alone = testContext();
    try {
      const mapped = alone.ssc.queueStream<[string, number]>(input()).mapWithState(counting);
      const out: number[][] = [];
      mapped.foreachRDD((rdd) => void out.push(rdd.collect().sort()));
      await alone.ssc.start();
      await alone.run(2);
      const leaf = leafOf(mapped, 'a');
      await alone.run(4);
      expect(leaf).toBeDefined();
      expect(leafOf(mapped, 'a')).toBe(leaf);
      expect(out).toEqual([1, 2, 3, 4, 5, 6].map((n) => [n, 2 * n].sort()));
    } finally {
      await alone.close();
    }

    const read = testContext();
    try {
      const mapped = read.ssc.queueStream<[string, number]>(input()).mapWithState(counting);
      const held: RDD<[string, number]>[] = [];
      mapped.stateSnapshots().foreachRDD((rdd, t) => void (t === 2000 && held.push(rdd))); // batch 2's, read later
      await read.ssc.start();
      await read.run(2);
      const leaf = leafOf(mapped, 'a');
      await read.run(4);
      expect(leaf).toBeDefined();
      expect(leafOf(mapped, 'a')).not.toBe(leaf);
      expect(held[0]!.collect().sort()).toEqual([
        ['a', 2],
        ['b', 4],
      ]);
    } finally {
      await read.close();
    }
  });

  it('with a timeout, a key kept alive without update() and changed by a later record of the batch leaves the earlier batch\'s state as it was', async () => {
    const ctx = testContext();
    try {
      const stream = ctx.ssc.queueStream<[string, number]>([[['a', 1]], [['a', 0], ['a', 5]]]);
      const mapped = stream.mapWithState(
        StateSpec.function((_k: string, v: number | undefined, s: State<{ n: number }>) => {
          if (v === 0) return 0; // data without update(): with a timeout, the key stays active
          const o = s.getOption() ?? { n: 0 };
          o.n += v!; // in place, then update
          s.update(o);
          return o.n;
        }).timeout(Seconds(60)),
      );
      const held: RDD<[string, { n: number }]>[] = [];
      mapped.stateSnapshots().foreachRDD((rdd) => void held.push(rdd)); // read after batch 2
      const out = collect(mapped);
      await ctx.ssc.start();
      await ctx.run(2);
      expect(out.outputs).toEqual([[1], [0, 6]]);
      expect(held.map((r) => r.collect())).toEqual([[['a', { n: 1 }]], [['a', { n: 6 }]]]);
    } finally {
      await ctx.close();
    }
  });

  it('a batch whose state is computed while the batch before it still runs (an action in transform) leaves that batch its state for its checkpoint', async () => {
    const ctx = testContext();
    try {
      const stream = ctx.ssc.queueStream<[string, number]>(Array.from({ length: 4 }, (): [string, number][] => [['a', 1], ['b', 1]]));
      const mapped = stream.mapWithState(
        StateSpec.function((_k: string, v: number | undefined, s: State<number>) => {
          const n = (s.getOption() ?? 0) + v!;
          s.update(n);
          return n;
        }),
      );
      // An action at generation time: the next batch's state is computed as its jobs are made.
      const counted = collect(mapped.transform((rdd) => RDD.fromArray([rdd.count()], 1)));
      const out = collect(mapped);
      await ctx.ssc.start();
      await ctx.clock.advance(4000); // four batch times at once: each generated while the one before runs
      expect(counted.outputs).toEqual([[2], [2], [2], [2]]);
      expect(out.outputs.map((o) => o.sort())).toEqual([1, 2, 3, 4].map((n) => [n, n]));
    } finally {
      await ctx.close();
    }
  });

  it('a change made in place without update() is not kept', async () => {
    const ctx = testContext();
    try {
      const stream = ctx.ssc.queueStream<[string, number]>([[['a', 1]], [['a', 1]], [['a', 1]]]);
      const mapped = stream.mapWithState(
        StateSpec.function((key: string, value: number | undefined, state: State<{ n: number }>) => {
          if (!state.exists()) state.update({ n: 1 });
          else state.get().n += 100; // no update: not kept
          return state.get().n;
        }),
      );
      const out = collect(mapped);
      const snaps = collect(mapped.stateSnapshots());
      await ctx.ssc.start();
      await ctx.run(3);
      expect(out.outputs).toEqual([[1], [101], [101]]);
      expect(snaps.outputs).toEqual([[['a', { n: 1 }]], [['a', { n: 1 }]], [['a', { n: 1 }]]]);
    } finally {
      await ctx.close();
    }
  });

  it('class instances keep their prototype across batches', async () => {
    class Counter {
      constructor(public n = 0) {}
      inc(by: number): this {
        this.n += by;
        return this;
      }
    }
    const ctx = testContext();
    try {
      const stream = ctx.ssc.queueStream<[string, number]>([[['a', 1]], [['a', 2]], [['a', 3]]]);
      const mapped = stream.mapWithState(
        StateSpec.function((key: string, value: number | undefined, state: State<Counter>) => {
          state.update((state.getOption() ?? new Counter()).inc(value!));
          return state.get().n;
        }),
      );
      const out = collect(mapped);
      await ctx.ssc.start();
      await ctx.run(3);
      expect(out.outputs).toEqual([[1], [3], [6]]);
    } finally {
      await ctx.close();
    }
  });

  it.each(STORES)('works with a window over its state snapshots (%s store)', async (_name, store) => {
    const ctx = testContext();
    try {
      const stream = ctx.ssc.queueStream<[string, number]>([[['a', 1]], [['a', 1]], [['b', 1]], [['a', 1]]]);
      const snaps = stream
        .mapWithState(
          StateSpec.function((key: string, value: number | undefined, state: State<number>) => {
            state.update((state.getOption() ?? 0) + value!);
          }).stateStore(store),
        )
        .stateSnapshots();
      const seen = collect(snaps.transform((rdd, time) => rdd.map(([k, v]) => `${time}:${k}=${v}`)));
      const held = collect(ctx.ssc.union(snaps, snaps)); // the same RDDs read twice per batch
      const windowed = collect(snaps.window(2000)); // each batch's snapshot read again one batch later
      await ctx.ssc.start();
      await ctx.run(4);
      expect(seen.outputs.map((b) => b.sort())).toEqual([
        ['1000:a=1'],
        ['2000:a=2'],
        ['3000:a=2', '3000:b=1'],
        ['4000:a=3', '4000:b=1'],
      ]);
      expect(held.outputs[3]!.length).toBe(4);
      expectBatchSets(windowed.outputs, [
        [['a', 1]],
        [['a', 1], ['a', 2]],
        [['a', 2], ['a', 2], ['b', 1]],
        [['a', 2], ['b', 1], ['a', 3], ['b', 1]],
      ]);
    } finally {
      await ctx.close();
    }
  });

  it('a key updated to undefined still exists', async () => {
    const spec = StateSpec.function((key: string, value: number | undefined, state: State<number | undefined>) => {
      const had = state.exists();
      state.update(undefined);
      return had;
    });
    const { outputs } = await runMapWithState([['a'], ['a']], spec);
    expect(outputs).toEqual([[false], [true]]);
  });
});

describe('mapWithState errors', () => {
  it('start() without a checkpoint directory throws, asking for checkpoint(dir)', async () => {
    const ctx = testContext({ checkpoint: false });
    try {
      ctx.ssc
        .queueStream<[string, number]>([])
        .mapWithState(StateSpec.function((k: string, v: number | undefined) => v))
        .pprint();
      await expect(ctx.ssc.start()).rejects.toThrow(/mapWithState needs a checkpoint directory: call ssc\.checkpoint\(dir\)/);
    } finally {
      await ctx.close();
    }
  });

  it('a mapping function that throws fails the batch and awaitTermination rejects with its error', async () => {
    const ctx = testContext();
    const boom = new Error('boom in mapping function');
    ctx.ssc
      .queueStream<[string, number]>([[['a', 1]], [['bad', 1]], [['a', 1]]])
      .mapWithState(
        StateSpec.function((k: string, v: number | undefined, state: State<number>) => {
          if (k === 'bad') throw boom;
          state.update(1);
          return k;
        }),
      )
      .foreachRDD(() => undefined);
    await ctx.ssc.start();
    await ctx.clock.advance(1000);
    await expect(ctx.clock.advance(1000)).rejects.toBe(boom);
    await expect(ctx.ssc.awaitTermination()).rejects.toBe(boom);
    await ctx.close();
  });

  it('updating a state that is timing out fails the batch', async () => {
    const ctx = testContext();
    ctx.ssc
      .queueStream<[string, number]>([[['a', 1]]])
      .mapWithState(
        StateSpec.function((k: string, v: number | undefined, state: State<number>) => {
          state.update(1);
        }).timeout(1000),
      )
      .foreachRDD(() => undefined);
    await ctx.ssc.start();
    await ctx.clock.advance(2000);
    await expect(ctx.clock.advance(1000)).rejects.toThrow('Cannot update the state that is timing out');
    await expect(ctx.ssc.awaitTermination()).rejects.toThrow('Cannot update the state that is timing out');
    await ctx.close();
  });

  it('an async mapping or update function fails its batch saying it must be synchronous, its own rejection handled', async () => {
    for (const attach of [
      (pairs: DStream<[string, number]>) =>
        pairs.mapWithState(
          StateSpec.function(async (_k: string, _v: number | undefined, s: State<number>) => {
            await Promise.resolve();
            s.update(1);
            throw new Error('after the await');
          }),
        ),
      (pairs: DStream<[string, number]>) =>
        // A state type inferred loosely lets TypeScript accept it.
        pairs.updateStateByKey<unknown>(async (vs: number[], s: unknown) => {
          await Promise.resolve();
          return ((s as number | undefined) ?? 0) + vs.length;
        }),
    ]) {
      const ctx = testContext();
      attach(ctx.ssc.queueStream<[string, number]>([[['a', 1]]]) as DStream<[string, number]>).foreachRDD((rdd) => void rdd.count());
      await ctx.ssc.start();
      await expect(ctx.clock.advance(1000)).rejects.toThrow(/function returned a promise: it must be synchronous/);
      await expect(ctx.ssc.awaitTermination()).rejects.toThrow(/must be synchronous/);
      await ctx.close();
    }
  });

  it('rejects a bad spec', () => {
    const ctx = testContext();
    const pairs = ctx.ssc.queueStream<[string, number]>([]);
    expect(() => pairs.mapWithState({} as never)).toThrow(TypeError);
    expect(() => StateSpec.function(null as never)).toThrow(TypeError);
    expect(() => StateSpec.function(() => 0).numPartitions(0)).toThrow(RangeError);
    expect(() => StateSpec.function(() => 0).timeout(-1)).toThrow(RangeError);
  });
});
