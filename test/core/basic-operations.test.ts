// Per-batch vectors of Spark Streaming's BasicOperationsSuite, plus the order rules of the contract.
import { describe, expect, it } from 'vitest';
import { InputDStream, ManualClock, RDD, StreamingContext, type DStream } from '../../src/index.js';
import {
  expectBatches,
  runBatches,
  runBatches2,
  runBatchesWithPartitions,
  runStreams,
} from '../helpers/batches.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const pair = <K, V>(k: K, v: V): [K, V] => [k, v];
const ones = (s: DStream<string>): DStream<[string, number]> => s.map((x) => pair(x, 1));
const xs = (s: DStream<string>): DStream<[string, string]> => s.map((x) => pair(x, 'x'));

/**
 * An input stream that has no RDD at the batches whose input is `null` (Spark's TestInputStream
 * given `null`). Like Spark's, it picks its batch from the time, so computing a time twice is harmless.
 */
class GappyInputDStream<T> extends InputDStream<T> {
  constructor(
    ssc: StreamingContext,
    private readonly input: (T[] | null)[],
  ) {
    super(ssc.graph);
  }
  compute(time: number): RDD<T> | undefined {
    const batch = this.input[(time - this.zeroTime!) / this.slideDuration - 1];
    if (batch === null) return undefined;
    return RDD.fromArray(batch ?? [], this.graph.defaultParallelism);
  }
}

describe('BasicOperationsSuite vectors', () => {
  const input = [range(1, 4), range(5, 8), range(9, 12)];

  it('map', async () => {
    expectBatches(
      await runBatches(input, (s) => s.map((x) => String(x))),
      input.map((b) => b.map(String)),
    );
  });

  it('flatMap', async () => {
    expectBatches(
      await runBatches(input, (s) => s.flatMap((x) => [x, x * 2])),
      input.map((b) => b.flatMap((x) => [x, x * 2])),
    );
  });

  it('flatMap accepts any iterable (a generator)', async () => {
    function* twice(x: number): Generator<number> {
      yield x;
      yield x;
    }
    expectBatches(await runBatches([[1, 2]], (s) => s.flatMap(twice)), [[1, 1, 2, 2]]);
  });

  it('filter', async () => {
    expectBatches(
      await runBatches(input, (s) => s.filter((x) => x % 2 === 0)),
      input.map((b) => b.filter((x) => x % 2 === 0)),
    );
  });

  it('glom', async () => {
    expectBatches(await runBatches(input, (s) => s.glom()), [
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
      [
        [9, 10],
        [11, 12],
      ],
    ]);
  });

  it('mapPartitions', async () => {
    const sum = (it: Iterable<number>): number[] => {
      let s = 0;
      for (const x of it) s += x;
      return [s];
    };
    expectBatches(await runBatches(input, (s) => s.mapPartitions(sum)), [[3, 7], [11, 15], [19, 23]], {
      useSet: true,
    });
  });

  it('repartition (more partitions)', async () => {
    const big = [range(1, 100), range(101, 200), range(201, 300)];
    const out = await runBatchesWithPartitions(big, (s) => s.repartition(5), 3, { defaultParallelism: 2 });
    expect(out).toHaveLength(3);
    out.forEach((parts, i) => {
      expect(parts).toHaveLength(5);
      expect(new Set(parts.flat())).toEqual(new Set(big[i]));
      expect(parts.flat()).toHaveLength(100);
    });
  });

  it('repartition (fewer partitions)', async () => {
    const big = [range(1, 100), range(101, 200), range(201, 300)];
    const out = await runBatchesWithPartitions(big, (s) => s.repartition(2), 3, { defaultParallelism: 5 });
    expect(out).toHaveLength(3);
    out.forEach((parts, i) => {
      expect(parts).toHaveLength(2);
      expect(new Set(parts.flat())).toEqual(new Set(big[i]));
      expect(parts.flat()).toHaveLength(100);
    });
  });

  it('repartition of an input with 5 partitions really has 5 input partitions', async () => {
    const out = await runBatchesWithPartitions([range(1, 10)], (s) => s, 1, { defaultParallelism: 5 });
    expect(out[0]).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
      [9, 10],
    ]);
  });

  const words: string[][] = [['a', 'a', 'b'], ['', ''], []];

  it('groupByKey', async () => {
    expectBatches(
      await runBatches(words, (s) => ones(s).groupByKey()),
      [[pair('a', [1, 1]), pair('b', [1])], [pair('', [1, 1])], []],
      { useSet: true },
    );
  });

  it('reduceByKey', async () => {
    expectBatches(
      await runBatches(words, (s) => ones(s).reduceByKey((a, b) => a + b)),
      [[pair('a', 2), pair('b', 1)], [pair('', 2)], []],
      { useSet: true },
    );
  });

  it('reduce', async () => {
    expectBatches(await runBatches(input, (s) => s.reduce((a, b) => a + b)), [[10], [26], [42]]);
  });

  it('reduce of an empty batch is an empty batch', async () => {
    expectBatches(await runBatches([[], [1]], (s) => s.reduce((a, b) => a + b)), [[], [1]]);
  });

  it('count', async () => {
    expectBatches(
      await runBatches([[], range(1, 1), range(1, 2), range(1, 3), range(1, 4)], (s) => s.count()),
      [[0], [1], [2], [3], [4]],
    );
  });

  it('countByValue', async () => {
    expectBatches(
      await runBatches([range(1, 1), [1, 1, 1], range(1, 2), [1, 1, 2, 2]], (s) => s.countByValue()),
      [[pair(1, 1)], [pair(1, 3)], [pair(1, 1), pair(2, 1)], [pair(2, 2), pair(1, 2)]],
      { useSet: true },
    );
  });

  it('mapValues', async () => {
    expectBatches(
      await runBatches(words, (s) =>
        ones(s)
          .reduceByKey((a, b) => a + b)
          .mapValues((v) => v + 10),
      ),
      [[pair('a', 12), pair('b', 11)], [pair('', 12)], []],
      { useSet: true },
    );
  });

  it('flatMapValues', async () => {
    expectBatches(
      await runBatches(words, (s) =>
        ones(s)
          .reduceByKey((a, b) => a + b)
          .flatMapValues((v) => [v, v + 10]),
      ),
      [[pair('a', 2), pair('a', 12), pair('b', 1), pair('b', 11)], [pair('', 2), pair('', 12)], []],
      { useSet: true },
    );
  });

  it('union', async () => {
    const inp = [range(1, 4), range(101, 104), range(201, 204)];
    expectBatches(
      await runBatches(inp, (s) => s.union(s.map((x) => x + 4))),
      [range(1, 8), range(101, 108), range(201, 208)],
    );
  });

  it('union puts the first stream’s partitions first', async () => {
    const run = await runStreams((ssc) => {
      const s = ssc.queueStream([[1, 2, 3, 4]]);
      return s.union(s.map((x) => x * 10));
    }, 1);
    expect(run.partitions[0]).toEqual([[1, 2], [3, 4], [10, 20], [30, 40]]);
  });

  it('union with input stream return None fails the batch', async () => {
    const error = await runStreams((ssc) => {
      const s = new GappyInputDStream(ssc, [range(1, 4), range(101, 104), range(201, 204), null]);
      return s.union(s.map((x) => x + 4));
    }, 4).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/union: .* has no RDD at time 4000/);
  });

  it('StreamingContext.union', async () => {
    const inp = [range(1, 4), range(101, 104), range(201, 204)];
    expectBatches(
      await runStreams(
        (ssc) => {
          const s = ssc.queueStream(inp.map((b) => [...b]));
          return ssc.union(s, s.map((x) => x + 4), s.map((x) => x + 8));
        },
        3,
      ).then((r) => r.outputs),
      [range(1, 12), range(101, 112), range(201, 212)],
    );
  });

  it('union of streams with different slides or contexts throws', () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const other = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const s = ssc.queueStream<number>([]);
    expect(() => s.union(other.queueStream<number>([]))).toThrow(/different StreamingContexts/);
  });

  it('transform', async () => {
    expectBatches(
      await runBatches(input, (s) => s.transform((rdd) => rdd.map((x) => String(x)))),
      input.map((b) => b.map(String)),
    );
  });

  it('transform is given the batch time', async () => {
    expectBatches(
      await runBatches([[1], [2], [3]], (s) => s.transform((rdd, time) => rdd.map((x) => [x, time] as const))),
      [[[1, 1000]], [[2, 2000]], [[3, 3000]]],
    );
  });

  it('transform with NULL fails the batch', async () => {
    const error = await runBatches([range(1, 4)], (s) => s.transform(() => null as unknown as RDD<number>), 1).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/must return an RDD/);
  });

  it('transform with input stream return None fails the batch', async () => {
    const outputs: string[][] = [];
    const error = await runStreams((ssc) => {
      const s = new GappyInputDStream(ssc, [range(1, 4), range(5, 8), null]);
      const t = s.transform((rdd) => rdd.map(String));
      t.foreachRDD((rdd) => void outputs.push(rdd.collect()));
      return t;
    }, 3).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/transform: .* has no RDD at time 3000/);
    expect(outputs).toEqual([range(1, 4).map(String), range(5, 8).map(String)]);
  });

  const in1: string[][] = [['a', 'b'], ['a', ''], [''], []];
  const in2: string[][] = [['a', 'b'], ['b', ''], [], ['']];

  it('transformWith', async () => {
    expectBatches(
      await runBatches2(in1, in2, (s1, s2) => ones(s1).transformWith(xs(s2), (r1, r2) => r1.join(r2))),
      [[pair('a', pair(1, 'x')), pair('b', pair(1, 'x'))], [pair('', pair(1, 'x'))], [], []],
      { useSet: true },
    );
  });

  it('transformWith with input stream return None fails the batch', async () => {
    const error = await runStreams((ssc) => {
      const s1 = new GappyInputDStream(ssc, [['a', 'b'], ['a', ''], [''], null]);
      const s2 = new GappyInputDStream(ssc, [['a', 'b'], ['b', ''], [], null]);
      return s1.transformWith(s2, (r1, r2) => r1.union(r2));
    }, 4).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/no RDD at time 4000/);
  });

  it('StreamingContext.transform', async () => {
    const inp = [range(1, 4), range(101, 104), range(201, 204)];
    const run = await runStreams((ssc) => {
      const s = ssc.queueStream(inp.map((b) => [...b]));
      return ssc.transform<number>([s, s.map((x) => x + 4), s.map((x) => x + 8)], (rdds) =>
        RDD.unionAll(rdds as RDD<number>[]),
      );
    }, 3);
    expectBatches(run.outputs, [range(1, 12), range(101, 112), range(201, 212)]);
  });

  it('StreamingContext.transform with input stream return None fails the batch', async () => {
    const error = await runStreams((ssc) => {
      const s = new GappyInputDStream(ssc, [range(1, 4), range(101, 104), range(201, 204), null]);
      return ssc.transform<number>([s, s.map((x) => x + 4), s.map((x) => x + 8)], (rdds) =>
        (rdds as RDD<number>[]).reduce((a, b) => a.union(b)),
      );
    }, 4).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/no RDD at time 4000/);
  });

  it('cogroup', async () => {
    expectBatches(
      await runBatches2(
        [['a', 'a', 'b'], ['a', ''], [''], []],
        [['a', 'a', 'b'], ['b', ''], [], []],
        (s1, s2) => ones(s1).cogroup(xs(s2)),
      ),
      [
        [pair('a', pair([1, 1], ['x', 'x'])), pair('b', pair([1], ['x']))],
        [pair('a', pair([1], [])), pair('b', pair([], ['x'])), pair('', pair([1], ['x']))],
        [pair('', pair([1], []))],
        [],
      ],
      { useSet: true },
    );
  });

  it('join', async () => {
    expectBatches(
      await runBatches2(in1, in2, (s1, s2) => ones(s1).join(xs(s2))),
      [[pair('a', pair(1, 'x')), pair('b', pair(1, 'x'))], [pair('', pair(1, 'x'))], [], []],
      { useSet: true },
    );
  });

  it('leftOuterJoin', async () => {
    expectBatches(
      await runBatches2(in1, in2, (s1, s2) => ones(s1).leftOuterJoin(xs(s2))),
      [
        [pair('a', pair(1, 'x')), pair('b', pair(1, 'x'))],
        [pair('', pair(1, 'x')), pair('a', pair(1, undefined))],
        [pair('', pair(1, undefined))],
        [],
      ],
      { useSet: true },
    );
  });

  it('rightOuterJoin', async () => {
    expectBatches(
      await runBatches2(in1, in2, (s1, s2) => ones(s1).rightOuterJoin(xs(s2))),
      [
        [pair('a', pair(1, 'x')), pair('b', pair(1, 'x'))],
        [pair('', pair(1, 'x')), pair('b', pair(undefined, 'x'))],
        [],
        [pair('', pair(undefined, 'x'))],
      ],
      { useSet: true },
    );
  });

  it('fullOuterJoin', async () => {
    expectBatches(
      await runBatches2(in1, in2, (s1, s2) => ones(s1).fullOuterJoin(xs(s2))),
      [
        [pair('a', pair(1, 'x')), pair('b', pair(1, 'x'))],
        [pair('', pair(1, 'x')), pair('a', pair(1, undefined)), pair('b', pair(undefined, 'x'))],
        [pair('', pair(1, undefined))],
        [pair('', pair(undefined, 'x'))],
      ],
      { useSet: true },
    );
  });

  it('outer joins give undefined, never null', async () => {
    const out = await runBatches2([['a']], [['b']], (s1, s2) => ones(s1).fullOuterJoin(xs(s2)));
    for (const [, [v, w]] of out[0]!) {
      expect(v === null || w === null).toBe(false);
    }
  });

  it('combineByKey', async () => {
    // Spark's (sum, count) average example.
    const out = await runBatches(
      [[pair('a', 1), pair('b', 2), pair('a', 3), pair('b', 4), pair('a', 5)], [pair('c', 10)], []],
      (s) =>
        s.combineByKey(
          (v) => pair(v, 1),
          (c, v) => pair(c[0] + v, c[1] + 1),
          (x, y) => pair(x[0] + y[0], x[1] + y[1]),
        ),
    );
    expectBatches(out, [[pair('a', pair(9, 3)), pair('b', pair(6, 2))], [pair('c', pair(10, 1))], []], {
      useSet: true,
    });
  });

  it('combineByKey merges a key’s values from every partition, in order', async () => {
    // Partition 1: a1, a2 — partition 2: a3, a4 (how combiners are merged is the engine's choice).
    const out = await runBatches([[pair('a', 1), pair('a', 2), pair('a', 3), pair('a', 4)]], (s) =>
      s.combineByKey(
        (v) => [v],
        (c, v) => [...c, v],
        (x, y) => [...x, ...y],
      ),
    );
    expectBatches(out, [[pair('a', [1, 2, 3, 4])]]);
  });

  it('slice', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const stream = ssc.queueStream([[1], [2], [3], [4]]);
    stream.foreachRDD(() => undefined);
    ssc.remember(10_000);
    await ssc.start();
    await clock.advance(4000);
    const fromSlice = (from: number, to: number): Set<number> =>
      new Set(stream.slice(from, to).flatMap((r) => r.collect()));
    expect(fromSlice(0, 1000)).toEqual(new Set([1]));
    expect(fromSlice(0, 2000)).toEqual(new Set([1, 2]));
    expect(fromSlice(1000, 2000)).toEqual(new Set([1, 2]));
    expect(fromSlice(2000, 4000)).toEqual(new Set([2, 3, 4]));
    expect(stream.slice(1500, 3500).map((r) => r.collect())).toEqual([[2], [3]]);
    expect(stream.slice(5000, 9000)).toEqual([]);
    await ssc.stop();
  });

  it('slice - has not been initialized', () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const stream = ssc.queueStream([[1], [2]]);
    expect(() => stream.slice(0, 1000)).toThrow(/started StreamingContext/);
  });
});

describe('pair operations with structured keys', () => {
  it('tuple keys compare by value: [country, city] keys reduce together', async () => {
    const visits: [[string, string], number][] = [
      [['FR', 'Paris'], 1],
      [['US', 'NYC'], 2],
      [['FR', 'Paris'], 3],
      [['FR', 'Lyon'], 4],
      [['US', 'NYC'], 5],
    ];
    expectBatches(
      await runBatches([visits], (s) => s.reduceByKey((a, b) => a + b)),
      [
        [
          [['FR', 'Paris'], 4],
          [['US', 'NYC'], 7],
          [['FR', 'Lyon'], 4],
        ],
      ],
      { useSet: true },
    );
  });

  it('number 1 and string "1" are different keys', async () => {
    expectBatches(
      await runBatches([[1, '1', 1, '1', '1']], (s) => s.countByValue()),
      [
        [
          [1, 2],
          ['1', 3],
        ],
      ],
      { useSet: true },
    );
  });

  it('object keys compare by value whatever the property order', async () => {
    const out = await runBatches(
      [
        [
          pair({ a: 1, b: 2 }, 1),
          pair({ b: 2, a: 1 }, 1),
        ],
      ],
      (s) => s.groupByKey(),
    );
    expect(out[0]).toHaveLength(1);
    expect(out[0]![0]![1]).toEqual([1, 1]);
  });

  it('join on tuple keys', async () => {
    expectBatches(
      await runBatches2(
        [[pair(['FR', 'Paris'], 1)]],
        [[pair(['FR', 'Paris'], 'x'), pair(['FR', 'Lyon'], 'y')]],
        (a, b) => a.join(b),
      ),
      [[pair(['FR', 'Paris'], pair(1, 'x'))]],
    );
  });

  it('shuffles use defaultParallelism partitions, or numPartitions when given', async () => {
    const run = await runStreams((ssc) => ssc.queueStream([['a', 'b', 'c']]).countByValue(), 1, {
      defaultParallelism: 3,
    });
    expect(run.partitions[0]).toHaveLength(3);
    const run2 = await runStreams(
      (ssc) =>
        ssc
          .queueStream([['a', 'b', 'c']])
          .map((x) => pair(x, 1))
          .reduceByKey((a, b) => a + b, 5),
      1,
    );
    expect(run2.partitions[0]).toHaveLength(5);
  });

  it('groupByKey keeps a key’s values in arrival order', async () => {
    const vals = range(1, 10).map((i) => pair('k', i));
    expectBatches(await runBatches([vals], (s) => s.groupByKey()), [[pair('k', range(1, 10))]]);
  });
});

describe('queueStream', () => {
  it('cuts an array into defaultParallelism contiguous slices', async () => {
    const run = await runStreams((ssc) => ssc.queueStream([[1, 2, 3, 4], [1, 2, 3, 4, 5]]), 2);
    expect(run.partitions).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [1, 2],
        [3, 4, 5],
      ],
    ]);
    const run3 = await runStreams((ssc) => ssc.queueStream([[1, 2, 3, 4, 5, 6, 7]]), 1, { defaultParallelism: 3 });
    expect(run3.partitions[0]).toEqual([[1, 2], [3, 4], [5, 6, 7]]);
  });

  it('takes one element per batch, then yields empty batches', async () => {
    const run = await runStreams((ssc) => ssc.queueStream([[1], [2, 3]]), 4);
    expect(run.outputs).toEqual([[1], [2, 3], [], []]);
    expect(run.times).toEqual([1000, 2000, 3000, 4000]);
  });

  it('with oneAtATime false takes everything queued at once', async () => {
    const run = await runStreams((ssc) => ssc.queueStream([[1, 2], [3, 4], [5, 6]], false), 2);
    expect(run.outputs).toEqual([[1, 2, 3, 4, 5, 6], []]);
    expect(run.partitions[0]).toEqual([[1], [2], [3], [4], [5], [6]]);
  });

  it('yields defaultRDD when the queue is empty', async () => {
    const run = await runStreams((ssc) => ssc.queueStream([[1]], true, RDD.fromArray([0, 0])), 3);
    expect(run.outputs).toEqual([[1], [0, 0], [0, 0]]);
  });

  it('refuses a defaultRDD that is not an RDD, and a oneAtATime that is not a boolean, when the stream is made', () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    expect(() => ssc.queueStream([], true, [7, 8] as unknown as RDD<number>)).toThrow(/defaultRDD must be an RDD \(RDD.fromArray\(...\) for an array\), got an array/);
    expect(() => ssc.queueStream([], 'yes' as unknown as boolean)).toThrow(/oneAtATime must be a boolean, got string/);
  });

  it('accepts RDDs in the queue and sees what is queued after start', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const queue: Array<number[] | RDD<number>> = [RDD.fromPartitions([[1], [2], [3]])];
    const seen: number[][][] = [];
    ssc.queueStream(queue).glom().foreachRDD((rdd) => void seen.push(rdd.collect()));
    await ssc.start();
    await clock.advance(1000);
    queue.push([7, 8]);
    await clock.advance(1000);
    await clock.advance(1000);
    await ssc.stop();
    expect(seen).toEqual([[[1], [2], [3]], [[7], [8]], []]);
  });
});

describe('order rules and caching', () => {
  it('element-wise operations keep order across a chain', async () => {
    const data = range(1, 20);
    expectBatches(
      await runBatches([data], (s) =>
        s
          .map((x) => x * 3)
          .filter((x) => x % 2 === 1)
          .flatMap((x) => [x, -x]),
      ),
      [data.map((x) => x * 3).filter((x) => x % 2 === 1).flatMap((x) => [x, -x])],
    );
  });

  it('a cached stream computes each batch once for several outputs; an uncached one per output', async () => {
    let cachedCalls = 0;
    let plainCalls = 0;
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const s = ssc.queueStream([range(1, 5), range(6, 10)]);
    const cached = s.map((x) => (cachedCalls++, x)).cache();
    const plain = s.map((x) => (plainCalls++, x));
    for (let i = 0; i < 3; i++) {
      cached.foreachRDD((rdd) => void rdd.collect());
      plain.foreachRDD((rdd) => void rdd.collect());
    }
    await ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    expect(cachedCalls).toBe(10);
    expect(plainCalls).toBe(30);
  });
});
