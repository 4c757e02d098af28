// updateStateByKey, with the vectors of Spark's BasicOperationsSuite, run batch by batch on a ManualClock.
import { describe, expect, it } from 'vitest';
import { RDD, type DStream } from '../../src/index.js';
import { collect, copyInput, expectBatchSets, testContext } from './helpers.js';

async function runOperation<U>(
  input: string[][],
  operation: (s: DStream<string>) => DStream<U>,
  numBatches = input.length,
): Promise<U[][]> {
  const ctx = testContext();
  try {
    const out = collect(operation(ctx.ssc.queueStream(copyInput(input))));
    await ctx.ssc.start();
    await ctx.run(numBatches);
    return out.outputs;
  } finally {
    await ctx.close();
  }
}

const sum = (values: number[], state: number | undefined): number => values.reduce((a, b) => a + b, 0) + (state ?? 0);
const input = [['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []];

describe('updateStateByKey (Spark BasicOperationsSuite)', () => {
  it('updateStateByKey', async () => {
    const out = await runOperation(input, (s) => s.map((x): [string, number] => [x, 1]).updateStateByKey(sum));
    expectBatchSets(out, [
      [['a', 1]],
      [['a', 2], ['b', 1]],
      [['a', 3], ['b', 2], ['c', 1]],
      [['a', 4], ['b', 3], ['c', 1]],
      [['a', 5], ['b', 3], ['c', 1]],
      [['a', 5], ['b', 3], ['c', 1]],
    ]);
  });

  const withInitial: [string, number][][] = [
    [['a', 2], ['c', 2]],
    [['a', 3], ['b', 1], ['c', 2]],
    [['a', 4], ['b', 2], ['c', 3]],
    [['a', 5], ['b', 3], ['c', 3]],
    [['a', 6], ['b', 3], ['c', 3]],
    [['a', 6], ['b', 3], ['c', 3]],
  ];

  it('simple with initial value RDD', async () => {
    const initial: [string, number][] = [['a', 1], ['c', 2]];
    const out = await runOperation(input, (s) =>
      s.map((x): [string, number] => [x, 1]).updateStateByKey(sum, { numPartitions: 2, initialRDD: RDD.fromArray(initial) }),
    );
    expectBatchSets(out, withInitial);
  });

  it('with initial value RDD', async () => {
    // Spark's variant passes an iterator-based function; ours is the same update per key.
    const initial: [string, number][] = [['a', 1], ['c', 2]];
    const update = (values: number[], state: number | undefined) => values.reduce((a, b) => a + b, 0) + (state ?? 0);
    const out = await runOperation(input, (s) =>
      s
        .map((x): [string, number] => [x, 1])
        .updateStateByKey(update, { numPartitions: 2, initialRDD: RDD.fromArray(initial, 2) }),
    );
    expectBatchSets(out, withInitial);
  });

  it('initial state given as an array of pairs', async () => {
    const out = await runOperation(input, (s) =>
      s.map((x): [string, number] => [x, 1]).updateStateByKey(sum, { initialRDD: [['a', 1], ['c', 2]] }),
    );
    expectBatchSets(out, withInitial);
  });

  it('an initial state with keys given twice: each key once, the later pair winning (string and tuple keys)', async () => {
    const many = Array.from({ length: 1000 }, (_, i): [string, number] => [`k${i}`, i]);
    const initial: [string, number][] = [['a', 1], ['c', 2], ...many, ['a', 5], ['k9', 90]];
    const out = await runOperation([['a', 'k9'], ['c']], (s) =>
      s.map((x): [string, number] => [x, 1]).updateStateByKey(sum, { numPartitions: 3, initialRDD: RDD.fromArray(initial, 2) }),
    );
    const expected = new Map(initial);
    expected.set('a', 6).set('k9', 91);
    expect(out[0]!.length).toBe(expected.size);
    expect(new Map(out[0])).toEqual(expected);
    expect(new Map(out[1])).toEqual(expected.set('c', 3));

    const tuples: [[string, number], number][] = [[['a', 1], 10], [['b', 1], 20], [['a', 1], 30]];
    const byTuple = await runOperation([['a'], ['b', 'c']], (s) =>
      s.map((x): [[string, number], number] => [[x, 1], 1]).updateStateByKey(sum, { numPartitions: 3, initialRDD: RDD.fromArray(tuples, 2) }),
    );
    expectBatchSets(byTuple, [
      [[['a', 1], 31], [['b', 1], 20]],
      [[['a', 1], 31], [['b', 1], 21], [['c', 1], 1]],
    ]);
  });

  it('object lifecycle', async () => {
    class StateObject {
      constructor(
        public counter = 0,
        public expireCounter = 0,
      ) {}
    }
    // Spark's `null` batches (no RDD) update every key with no values, like our empty batches.
    const lifecycle = [['a', 'b'], [], ['a', 'c', 'a'], ['c'], [], []];
    const out = await runOperation(lifecycle, (s) =>
      s
        .map((x): [string, number] => [x, 1])
        .updateStateByKey((values: number[], state: StateObject | undefined) => {
          // clears a state when a StateObject is seen without new values twice in a row
          const stateObj = state ?? new StateObject();
          const n = values.reduce((a, b) => a + b, 0);
          if (n === 0) stateObj.expireCounter += 1;
          else {
            stateObj.counter += n;
            stateObj.expireCounter = 0;
          }
          return stateObj.expireCounter === 2 ? undefined : stateObj;
        })
        .mapValues((o) => o.counter),
    );
    expectBatchSets(out, [
      [['a', 1], ['b', 1]],
      [['a', 1], ['b', 1]],
      [['a', 3], ['c', 1]],
      [['a', 3], ['c', 2]],
      [['c', 2]],
      [],
    ]);
  });
});

describe('updateStateByKey', () => {
  it('runs the book\'s Listing 7.8 update function (counts carry over, keys without values stay)', async () => {
    const out = await runOperation([['x', 'y'], [], ['x']], (s) =>
      s.map((w): [string, number] => [w, 1]).updateStateByKey((newValues: number[], lastSum: number | undefined) =>
        newValues.reduce((a, b) => a + b, 0) + (lastSum ?? 0),
      ),
    );
    expectBatchSets(out, [
      [['x', 1], ['y', 1]],
      [['x', 1], ['y', 1]],
      [['x', 2], ['y', 1]],
    ]);
  });

  it('passes [] for keys without new values and undefined for new keys; undefined removes', async () => {
    const calls: string[] = [];
    const out = await runOperation([['a', 'a'], ['b'], []], (s) =>
      s.map((x): [string, number] => [x, 1]).updateStateByKey((values: number[], state: number | undefined) => {
        calls.push(`${JSON.stringify(values)}:${String(state)}`);
        return state === undefined ? values.length : undefined;
      }),
    );
    expectBatchSets(out, [[['a', 2]], [['b', 1]], []]);
    expect(calls.sort()).toEqual(['[1,1]:undefined', '[1]:undefined', '[]:1', '[]:2'].sort());
  });

  it('hash-partitions the state into numPartitions', async () => {
    const ctx = testContext();
    try {
      const parts: number[] = [];
      const s = ctx.ssc
        .queueStream([['a', 'b', 'c', 'd', 'e']])
        .map((x): [string, number] => [x, 1])
        .updateStateByKey(sum, { numPartitions: 3 });
      s.foreachRDD((rdd) => void parts.push(rdd.getNumPartitions()));
      const keys = collect(s.glom());
      await ctx.ssc.start();
      await ctx.run(1);
      expect(parts).toEqual([3]);
      const { partitionOf } = await import('../../src/rdd/keys.js');
      keys.outputs[0]!.forEach((part, i) => part.forEach(([k]) => expect(partitionOf(k, 3)).toBe(i)));
    } finally {
      await ctx.close();
    }
  });

  it('an output RDD read later still shows its batch, even when states are mutated in place', async () => {
    const ctx = testContext();
    try {
      const held: RDD<[string, { n: number }]>[] = [];
      ctx.ssc
        .queueStream([['a'], ['a'], ['a']])
        .map((x): [string, number] => [x, 1])
        .updateStateByKey((values: number[], state: { n: number } | undefined) => {
          const s = state ?? { n: 0 };
          s.n += values.length; // in place
          return s;
        })
        .foreachRDD((rdd) => void held.push(rdd));
      await ctx.ssc.start();
      await ctx.run(3);
      expect(held.map((r) => r.collect())).toEqual([[['a', { n: 1 }]], [['a', { n: 2 }]], [['a', { n: 3 }]]]);
    } finally {
      await ctx.close();
    }
  });

  it('keys compare by value (tuple keys)', async () => {
    const ctx = testContext();
    try {
      const out = collect(
        ctx.ssc
          .queueStream<[[string, number], number]>([[[['k', 1], 1]], [[['k', 1], 1], [['k', 2], 1]]])
          .updateStateByKey(sum),
      );
      await ctx.ssc.start();
      await ctx.run(2);
      expectBatchSets(out.outputs, [
        [[['k', 1], 1]],
        [[['k', 1], 2], [['k', 2], 1]],
      ]);
    } finally {
      await ctx.close();
    }
  });

  it('advances the state at every batch even when no output needs it then', async () => {
    const ctx = testContext();
    try {
      const state = ctx.ssc.queueStream([['a'], ['a'], ['a'], ['a']]).map((x): [string, number] => [x, 1]).updateStateByKey(sum);
      // The output reads the state every other batch only: the state must still count every batch.
      const out = collect(state.transform((rdd, time) => (time % 2000 === 0 ? rdd : RDD.empty<[string, number]>())));
      await ctx.ssc.start();
      await ctx.run(4);
      expect(out.outputs).toEqual([[], [['a', 2]], [], [['a', 4]]]);
    } finally {
      await ctx.close();
    }
  });
});

describe('updateStateByKey errors', () => {
  it('start() without a checkpoint directory throws, asking for checkpoint(dir)', async () => {
    const ctx = testContext({ checkpoint: false });
    try {
      ctx.ssc.queueStream<[string, number]>([]).updateStateByKey(sum).pprint();
      await expect(ctx.ssc.start()).rejects.toThrow(
        /updateStateByKey needs a checkpoint directory: call ssc\.checkpoint\(dir\)/,
      );
    } finally {
      await ctx.close();
    }
  });

  it('an update function that throws fails the batch and awaitTermination rejects with its error', async () => {
    const ctx = testContext();
    const boom = new Error('boom in update function');
    ctx.ssc
      .queueStream<[string, number]>([[['a', 1]], [['bad', 1]]])
      .updateStateByKey((values: number[], state: number | undefined) => {
        if (values.length && state === undefined && ctx.clock.getTimeMillis() === 2000) throw boom;
        return 1;
      })
      .foreachRDD(() => undefined);
    await ctx.ssc.start();
    await ctx.clock.advance(1000);
    await expect(ctx.clock.advance(1000)).rejects.toBe(boom);
    await expect(ctx.ssc.awaitTermination()).rejects.toBe(boom);
    await ctx.close();
  });

  it('rejects bad arguments', () => {
    const ctx = testContext();
    const pairs = ctx.ssc.queueStream<[string, number]>([]);
    expect(() => pairs.updateStateByKey(null as never)).toThrow(TypeError);
    expect(() => pairs.updateStateByKey(sum, { numPartitions: 0 })).toThrow(RangeError);
    expect(() => pairs.updateStateByKey(sum, { initialRDD: 5 as never })).toThrow(TypeError);
  });

  it('refuses an unknown option by name, where a misspelt initialRdd started from an empty state', () => {
    const ctx = testContext();
    const pairs = ctx.ssc.queueStream<[string, number]>([]);
    expect(() => pairs.updateStateByKey(sum, { initialRdd: [['a', 1]] } as never)).toThrow(
      "updateStateByKey: unknown option 'initialRdd'; the options are numPartitions, initialRDD, name, stateStore",
    );
  });
});
